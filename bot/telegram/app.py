"""Wiring: one :class:`~telegram.ext.Application` from the service and the settings, and
:func:`run_bot`, which serves it until it is stopped.

As in python-telegram-bot's examples, the handlers are module-level functions
(:mod:`bot.telegram.handlers`) and this is the one place they are registered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlparse

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.telegram import handlers as h
from bot.telegram.journal import JournaledUpdateProcessor, JournaledUpdateQueue, UpdateJournal
from bot.telegram.limits import UserRateLimiter
from bot.telegram.redact import redact, redact_secret
from bot.telegram.settings import BotConfigError, TelegramSettings

if TYPE_CHECKING:
    from retrieval import AnswerService, Settings

log = logging.getLogger(__name__)

#: Updates processed at once. PTB creates a task for every fetched update anyway and this only
#: caps how many run; a question's handler spends its time waiting for a model worker
#: (``MODEL_WORKERS`` is what bounds CPU). A small cap would just put a second queue in front of
#: that one - and a /start or a "more" press would wait behind every queued question. So the cap
#: is high: a burst of up to ~250 questions never delays anything else.
CONCURRENT_UPDATES = 256
#: Threads running the service. The model is CPU-bound (and already uses every core per call),
#: so more threads than cores only thrash; but at least two, so one long question never holds up
#: the next reader's. Measured on 2 cores: 200 questions take 7.7 s with 1 thread, 9.5 s with 2.
MODEL_WORKERS = max(2, min(4, os.cpu_count() or 1))
#: Updates the bot asks Telegram for; edited messages are deliberately not among them.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]

COMMANDS = [
    BotCommand("start", "What this bot is · 介绍"),
    BotCommand("help", "How to ask · 用法"),
    BotCommand("about", "The archive · 资料库信息"),
    BotCommand("sources", "More passages · 更多段落"),
    BotCommand("new", "New conversation · 新话题"),
    BotCommand("issues", "The issues · 各期报纸"),
    BotCommand("issue", "One issue's headlines · 某一期"),
    BotCommand("latest", "The newest issue · 最新一期"),
    BotCommand("article", "Full article N · 全文"),
]


def require_token(tg: TelegramSettings) -> str:
    """The token, or a one-line error saying where it goes (never the token itself)."""
    token = tg.token.get_secret_value().strip() if tg.token else ""
    if not token:
        raise BotConfigError(
            "No Telegram bot token: set NEWSQA_TELEGRAM_TOKEN (environment or .env); "
            "get a token from @BotFather (see docs/telegram.md)."
        )
    return token


def build_application(
    service: AnswerService,
    tg: TelegramSettings,
    *,
    rate_limiter: BaseRateLimiter | None = None,
    request: BaseRequest | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Application:
    """An :class:`Application` wired to ``service``; not started.

    Updates go through the journal at ``tg.queue_path`` (see :mod:`bot.telegram.journal`), and
    those an earlier run received but never answered are queued first, in ``post_init``.
    ``rate_limiter`` defaults to :class:`AIORateLimiter` with Telegram's published limits;
    ``request`` (PTB's HTTP layer) and ``clock`` (the per-user limit's) are for tests.
    """
    token = require_token(tg)
    redact_secret(token)
    executor = ThreadPoolExecutor(max_workers=MODEL_WORKERS, thread_name_prefix="newsqa-ask")
    journal = UpdateJournal(tg.queue_path, bot=token.partition(":")[0])
    queue = JournaledUpdateQueue(journal)

    async def post_init(app: Application) -> None:
        await app.bot.set_my_commands(COMMANDS)
        queue.replay(app.bot)
        log.info("Answering as @%s", app.bot.username)

    async def post_shutdown(app: Application) -> None:
        executor.shutdown(wait=False, cancel_futures=True)

    builder = ApplicationBuilder()
    if request is not None:
        builder = builder.request(request)
    application = (
        builder
        .token(token)
        .base_url(tg.base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .context_types(ContextTypes(context=h.BotContext, chat_data=h.ChatData))
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=2))
        .update_queue(queue)
        .concurrent_updates(JournaledUpdateProcessor(journal, CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[h.STATE_KEY] = h.BotState(
        service=service,
        telegram=tg,
        limiter=UserRateLimiter(tg.user_questions_per_minute, clock=clock),
        executor=executor,
    )
    only_new = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored

    if tg.allowed_chat_ids:
        application.add_handler(TypeHandler(Update, h.guard_allowed_chats), group=-1)
    application.add_handler(CommandHandler("start", h.start, filters=only_new))
    application.add_handler(CommandHandler("help", h.help_command, filters=only_new))
    application.add_handler(CommandHandler("about", h.about, filters=only_new))
    application.add_handler(CommandHandler("sources", h.sources, filters=only_new))
    application.add_handler(CommandHandler("new", h.new, filters=only_new))
    application.add_handler(CommandHandler("issues", h.issues, filters=only_new))
    application.add_handler(CommandHandler("issue", h.issue, filters=only_new))
    application.add_handler(CommandHandler("latest", h.latest, filters=only_new))
    application.add_handler(CommandHandler("article", h.article, filters=only_new))
    application.add_handler(CallbackQueryHandler(h.more_button, pattern=rf"^{h.MORE}:\d+$"))
    application.add_handler(CallbackQueryHandler(h.article_button, pattern=rf"^{h.ARTICLE}(?::-?\d+){{4}}$"))
    application.add_handler(InlineQueryHandler(h.inline_query))
    application.add_handler(MessageHandler(only_new & filters.TEXT & ~filters.COMMAND, h.question))
    application.add_handler(MessageHandler(only_new & filters.COMMAND, h.unknown_command))
    application.add_handler(MessageHandler(only_new & filters.ATTACHMENT, h.non_text))
    application.add_error_handler(h.on_error)
    return application


def webhook_options(tg: TelegramSettings) -> dict:
    """Arguments for PTB's ``run_webhook``/``start_webhook``: listen where the settings say,
    serve the path of the public URL (what the reverse proxy forwards), and register the webhook
    with a fresh random secret so only Telegram can post updates to it."""
    return {
        "listen": tg.webhook_listen,
        "port": tg.webhook_port,
        "url_path": urlparse(tg.webhook_url).path.lstrip("/"),
        "webhook_url": tg.webhook_url,
        "secret_token": secrets.token_urlsafe(32),
        "allowed_updates": ALLOWED_UPDATES,
    }


def check_token(token: str, base_url: str) -> None:
    """Ask the Bot API who the token belongs to (``getMe``) and turn a refusal into one line.

    Done before the model and the index are loaded: a revoked or mistyped token is then reported
    in a second, not after a model load (or an index build), and without the traceback in which
    python-telegram-bot would quote the token."""

    async def get_me() -> None:
        async with Bot(token, base_url=base_url):  # initialize() is getMe
            pass

    loop = asyncio.new_event_loop()  # not asyncio.run: that would unset the loop PTB runs in
    try:
        loop.run_until_complete(get_me())
    except InvalidToken:
        raise rejected_token() from None
    except NetworkError as err:
        raise unreachable(base_url, err) from None
    finally:
        loop.close()


def rejected_token() -> BotConfigError:
    return BotConfigError(
        "Telegram rejected the bot token in NEWSQA_TELEGRAM_TOKEN: check it with @BotFather."
    )


def unreachable(base_url: str, err: Exception) -> BotConfigError:
    return BotConfigError(f"Cannot reach the Telegram Bot API at {base_url}: {redact(str(err))}")


def run_bot(settings: Settings, tg: TelegramSettings, *, build_if_needed: bool = True) -> None:
    """Open the answering service and serve Telegram until interrupted (Ctrl-C / SIGTERM: the
    updates already received are answered before it returns). ``build_if_needed=False`` (an
    index the user named) serves the index as it is, stale or not.

    Long polling unless ``tg.mode`` is "webhook". Configuration problems raise
    :class:`BotConfigError` (or the service's own errors) with a one-line message.
    """
    token = require_token(tg)  # fail before loading a model for nothing
    if tg.mode == "webhook" and not tg.webhook_url:
        raise BotConfigError(
            "NEWSQA_TELEGRAM_MODE is 'webhook' but NEWSQA_TELEGRAM_WEBHOOK_URL is empty: set the "
            "public https URL Telegram should post updates to."
        )
    redact_secret(token)
    if not logging.getLogger().handlers:  # the CLI leaves logging to us: say what happens
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request, URL and all
    check_token(token, tg.base_url)
    from retrieval import AnswerService  # heavy: model and index load here

    # Like the REPL: a missing or outdated index is built first rather than refusing to start.
    service = AnswerService.open(settings, build_if_needed=build_if_needed, progress=log.info)
    service.prepare_in_background()
    application = build_application(service, tg)
    where = tg.base_url if tg.mode == "polling" else tg.webhook_url
    log.info("Starting the Telegram bot (%s, %s)", tg.mode, where)
    try:
        if tg.mode == "webhook":
            application.run_webhook(**webhook_options(tg))
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:  # revoked between the check and the start
        raise rejected_token() from None
    except NetworkError as err:
        raise unreachable(tg.base_url, err) from None
