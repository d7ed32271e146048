"""The Telegram front end: readers message a question, the bot replies with the paper's own
sentences (see docs/telegram.md).

``settings`` (its own settings, config/telegram.toml), ``texts`` and ``html`` (what it says and
how), ``limits`` (per-reader), ``redact`` (the token out of every log), ``journal`` (no question
lost when the process dies), ``handlers`` and ``app`` (python-telegram-bot's handlers and their
wiring). ``fake_api`` and ``burst`` are the loopback Bot API and the load scenario that the tests
and ``scripts/bench_telegram.py`` drive the real bot with.
"""

from bot.telegram.app import build_application, run_bot
from bot.telegram.settings import BotConfigError, TelegramSettings

__all__ = ["BotConfigError", "TelegramSettings", "build_application", "run_bot"]
