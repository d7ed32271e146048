"""Test-only helpers for the Telegram tests: the bot's settings for a test, an in-process HTTP
layer for handler tests, and the real ``newsqa bot`` command started as a process.

The loopback Bot API itself (``bot/telegram/fake_api.py``) and the burst scenario
(``bot/telegram/burst.py``) live in the package, because ``scripts/bench_telegram.py`` uses them
too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.telegram import TelegramSettings
from bot.telegram.fake_api import TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]


def tg_settings(tmp_path: Path, **overrides: Any) -> TelegramSettings:
    """Settings from config/telegram.toml with the fake server's token and a queue in
    ``tmp_path`` (the default queue is the project's own var/ file)."""
    values = {"token": TOKEN, "queue_path": tmp_path / "updates.sqlite3", **overrides}
    return TelegramSettings.load(**values)


class InProcessRequest(BaseRequest):
    """PTB's HTTP layer replaced by a direct call into a :class:`FakeBotAPI` - no socket at all.
    For handler tests in PTB's own style (an offline bot, constructed updates); the answers and
    the strictness are the fake server's."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        status, body = self.api.request(url[url.index("/bot"):], params)
        return int(status), json.dumps(body, ensure_ascii=False).encode()


def bot_process(api: FakeBotAPI, settings, queue: Path, output: Path,
                token: str = TOKEN) -> subprocess.Popen:
    """``python -m bot.cli bot`` over ``settings``' corpus and index, polling ``api``, writing
    its stdout and stderr together to ``output`` (appended: one file can hold a restart). The
    model comes from the cache the session's model fixtures filled."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "NEWSQA_CACHE_DIR": str(settings.cache_dir),
        "NEWSQA_TELEGRAM_TOKEN": token,
        "NEWSQA_TELEGRAM_BASE_URL": api.base_url,
        "NEWSQA_TELEGRAM_QUEUE_PATH": str(queue),
    }
    corpus = [str(p) for p in settings.corpus_paths]
    command = [sys.executable, "-m", "bot.cli", "bot", "--index", str(settings.index_dir),
               "--corpus", *corpus]
    with output.open("a", encoding="utf-8") as sink:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
