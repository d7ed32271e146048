"""The burst the bot is measured and tested under: many chats asking at the same instant.

:func:`run_load` is the scenario ``tests/test_telegram_load.py`` asserts on and
``scripts/bench_telegram.py`` prints figures for; :class:`running_bot` runs the real
``Application`` against the loopback Bot API (:mod:`bot.telegram.fake_api`) inside a caller's
event loop.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bot.telegram.fake_api import Call, FakeBotAPI, Pushed


class running_bot:
    """``async with running_bot(app):`` - what ``Application.run_polling`` does, minus the
    signal handling and the event loop ownership a test cannot give it."""

    def __init__(self, application: Any, poll_timeout: float = 10) -> None:
        self.application = application
        self.poll_timeout = poll_timeout

    async def __aenter__(self) -> Any:
        app = self.application
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(timeout=self.poll_timeout, poll_interval=0)
        await app.start()
        return app

    async def __aexit__(self, *exc: object) -> None:
        app = self.application
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


LOAD_QUESTIONS = [
    "高新大厦有多高？",
    "How tall is the Gaoxin Building?",
    "火星上有没有水?",
    "2024年度全国十佳公共资源交易中心是哪里？",
]


@dataclass
class LoadResult:
    chats: int
    per_chat: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    pushed: list[Pushed] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)
    duplicated: list[tuple[int, int]] = field(default_factory=list)
    rejected: list[Call] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]

    def summary(self) -> str:
        n = len(self.latencies)
        return (
            f"{self.chats} chats x {self.per_chat} questions = {self.chats * self.per_chat} "
            f"sent, {n} answered in {self.seconds:.2f} s; reply latency "
            f"p50 {self.p50 * 1000:.0f} ms, p95 {self.p95 * 1000:.0f} ms, "
            f"max {max(self.latencies) * 1000:.0f} ms"
        )


async def run_load(api: FakeBotAPI, chats: int = 50, per_chat: int = 4,
                   first_chat: int = 10_000, timeout: float = 120.0) -> LoadResult:
    """Every chat sends ``per_chat`` questions at the same instant (all queued before the bot's
    next getUpdates); wait for the answers and check each question got exactly one reply."""
    pushed: list[Pushed] = []
    started = time.perf_counter()
    with api.at_once():  # they really do arrive in one getUpdates batch
        for round_ in range(per_chat):
            for chat in range(first_chat, first_chat + chats):
                question = LOAD_QUESTIONS[(chat + round_) % len(LOAD_QUESTIONS)]
                pushed.append(api.push_text(chat, question))

    def answered() -> bool:
        return all(api.replies_to(p.chat_id, p.message_id) for p in pushed)

    try:
        await api.wait_for(answered, timeout)
    except AssertionError:
        pass
    await api.settle()
    result = LoadResult(chats, per_chat, time.perf_counter() - started, pushed=pushed)
    for p in pushed:
        replies = api.replies_to(p.chat_id, p.message_id)
        if not replies:
            result.missing.append((p.chat_id, p.message_id))
            continue
        if len(replies) > 1:
            result.duplicated.append((p.chat_id, p.message_id))
        result.latencies.append(replies[0].at - p.at)
    result.rejected = [c for c in api.calls if not c.ok]
    return result
