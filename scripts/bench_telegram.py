"""Benchmark the Telegram bot under a burst: N chats each send M questions at the same instant.

Runs the real bot (python-telegram-bot Application, long polling) against the fake Bot API server
of the test-suite on 127.0.0.1, with the real answering service over the configured index, and
prints the reply latency (question queued -> answer received by the server): p50 and p95.

    python scripts/bench_telegram.py                  # 50 chats x 4 questions, as in the tests
    python scripts/bench_telegram.py --no-flood-limit # without Telegram's ~30 msg/s cap

By default Telegram's flood limits are enforced (AIORateLimiter, as in production), so the figure
is what readers would see; --no-flood-limit shows what the bot itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pydantic import SecretStr  # noqa: E402
from telegram.ext import AIORateLimiter  # noqa: E402

from bot import telegram_bot as tb  # noqa: E402
from retrieval.service import AnswerService  # noqa: E402
from retrieval.settings import Settings  # noqa: E402
from telegram_harness import TOKEN, FakeBotAPI, run_load, running_bot  # noqa: E402


async def bench(service: AnswerService, settings: Settings, chats: int, per_chat: int,
                flood_limit: bool) -> int:
    with FakeBotAPI() as api:
        settings = settings.model_copy(update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_base_url": api.base_url,
            "telegram_user_questions_per_minute": max(per_chat, 10),
        })
        limiter = None if flood_limit else AIORateLimiter(overall_max_rate=0, group_max_rate=0)
        app = tb.build_application(service, settings, rate_limiter=limiter)
        async with running_bot(app):
            # one question first, so lazy initialisation is not billed to the burst
            await api.wait_for_reply(api.push_text(1, "高新大厦有多高？"))
            result = await run_load(api, chats=chats, per_chat=per_chat)
    print(result.summary())
    print(f"model workers: {tb.MODEL_WORKERS}, concurrent updates: {tb.CONCURRENT_UPDATES}, "
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
    settings = Settings(**({"index_dir": Path(args.index).resolve()} if args.index else {}))
    service = AnswerService.open(settings, build_if_needed=True)
    return asyncio.run(bench(service, settings, args.chats, args.per_chat,
                             not args.no_flood_limit))


if __name__ == "__main__":
    sys.exit(main())
