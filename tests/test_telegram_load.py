"""Load: 50 chats send 4 questions each at the same instant through the end-to-end harness.

Every question must get exactly one answer (none lost, none duplicated), every message must be
accepted by the fake Bot API, and the bot must still answer afterwards. The p50/p95 reply
latency is printed as a benchmark figure, not asserted (``scripts/bench_telegram.py`` runs the
same scenario on its own).

The bot runs exactly as in production: ``concurrent_updates`` (``CONCURRENT_UPDATES``) lets the
200 updates be handled side by side while the model calls queue for the worker threads - so a
/start sent in the middle of the burst is answered at once, which the test checks - and
Telegram's flood limits are enforced by ``AIORateLimiter``, so the figures include the ~30
messages/second Telegram allows a bot overall.
"""

from __future__ import annotations

import asyncio

from bot.telegram import build_application
from bot.telegram.burst import run_load, running_bot
from bot.telegram.fake_api import FakeBotAPI
from telegram_harness import tg_settings


async def test_fifty_chats_four_questions_each(seed_service, tmp_path):
    with FakeBotAPI() as api:
        settings = tg_settings(tmp_path, base_url=api.base_url)
        async with running_bot(build_application(seed_service, settings)):
            load = asyncio.create_task(run_load(api, chats=50, per_chat=4))
            await asyncio.sleep(0.05)  # the burst is queued; now someone else needs the bot
            probe = api.push_text(99_998, "/start")
            [start] = await api.wait_for_reply(probe, timeout=60)
            result = await load
            print("\n" + result.summary())
            print(f"/start sent during the burst answered after {(start.at - probe.at) * 1000:.0f} ms")

            # commands do not queue behind the model: /start was answered mid-burst
            last_answer = max(api.replies_to(p.chat_id, p.message_id)[0].at for p in result.pushed)
            assert start.at < last_answer

            assert result.missing == []
            assert result.duplicated == []
            assert result.rejected == []
            assert len(result.latencies) == 200

            after = await api.wait_for_reply(api.push_text(99_999, "高新大厦有多高？"))
            assert "168" in after[0].params["text"]
