"""Benchmark the Telegram bot under a burst: N chats each send M questions at the same instant.

Runs the real bot (python-telegram-bot Application, long polling) against the loopback Bot API
(bot/telegram/fake_api.py) on 127.0.0.1, with the real answering service over the configured
index, and prints the reply latency (question queued -> answer received by the server): p50 and
p95.

    python scripts/bench_telegram.py                  # 50 chats x 4 questions, as in the tests
    python scripts/bench_telegram.py --no-flood-limit # without Telegram's ~30 msg/s cap

By default Telegram's flood limits are enforced (AIORateLimiter, as in production), so the figure
is what readers would see; --no-flood-limit shows what the bot itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.ext import AIORateLimiter  # noqa: E402

from bot.telegram import TelegramSettings, build_application  # noqa: E402
from bot.telegram.app import CONCURRENT_UPDATES, MODEL_WORKERS  # noqa: E402
from bot.telegram.burst import run_load, running_bot  # noqa: E402
from bot.telegram.fake_api import TOKEN, FakeBotAPI  # noqa: E402
from retrieval import AnswerService, NewsqaError, Settings  # noqa: E402


async def bench(service: AnswerService, chats: int, per_chat: int, flood_limit: bool,
                queue: Path) -> int:
    with FakeBotAPI() as api:
        tg = TelegramSettings.load(token=TOKEN, base_url=api.base_url, queue_path=queue,
                                   user_questions_per_minute=max(per_chat, 10))
        limiter = None if flood_limit else AIORateLimiter(overall_max_rate=0, group_max_rate=0)
        app = build_application(service, tg, rate_limiter=limiter)
        async with running_bot(app):
            # one question first, so lazy initialisation is not billed to the burst
            await api.wait_for_reply(api.push_text(1, "高新大厦有多高？"))
            result = await run_load(api, chats=chats, per_chat=per_chat)
    print(result.summary())
    print(f"model workers: {MODEL_WORKERS}, concurrent updates: {CONCURRENT_UPDATES}, "
          f"flood limit: {'on (AIORateLimiter)' if flood_limit else 'off'}")
    problems = len(result.missing) + len(result.duplicated) + len(result.rejected)
    if problems:
        print(f"PROBLEMS: missing {result.missing}, duplicated {result.duplicated}, "
              f"rejected {[c.error for c in result.rejected]}")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--per-chat", type=int, default=4)
    parser.add_argument("--no-flood-limit", action="store_true",
                        help="do not apply Telegram's flood limits (AIORateLimiter)")
    parser.add_argument("--index", metavar="DIR", help="index directory (default: settings)")
    args = parser.parse_args()
    try:
        settings = Settings.load(**({"index_dir": Path(args.index).resolve()} if args.index else {}))
        service = AnswerService.open(settings, build_if_needed=True)
    except NewsqaError as err:
        print(f"bench_telegram: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:  # the benchmark's updates are no one's
        return asyncio.run(bench(service, args.chats, args.per_chat, not args.no_flood_limit,
                                 Path(scratch) / "updates.sqlite3"))


if __name__ == "__main__":
    sys.exit(main())
