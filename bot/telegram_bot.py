"""Telegram front end: readers message a question, the bot replies with the paper's own sentences.

Built on python-telegram-bot's async :class:`~telegram.ext.Application`. The handlers are small
and the state is explicit:

* ``application.bot_data["newsqa"]`` holds one :class:`BotState` - the answering service, the
  settings, the per-user question limiter and the worker threads the model runs in;
* ``context.chat_data["last"]`` holds the chat's :class:`LastAnswer`, which ``/sources`` and the
  inline "more" button page through.

The model is CPU-bound, so ``service.ask`` runs in a small thread pool and updates are processed
concurrently: a slow question in one chat never holds up commands or answers in another.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import formatting as fmt
from retrieval.answers import Answer
from retrieval.errors import NewsqaError, QuestionError
from retrieval.settings import Settings

if TYPE_CHECKING:
    from retrieval.service import AnswerService

log = logging.getLogger(__name__)

#: Passages per message page; the rest of the answer waits behind the "more" button.
PAGE_SIZE = 3
#: Updates processed at once (PTB ``concurrent_updates``). PTB creates a task for every fetched
#: update anyway and this only caps how many run; a question's handler spends its time waiting
#: for a model worker (``MODEL_WORKERS`` is what bounds CPU). A small cap would just put a second
#: queue in front of that one - and a /start or a "more" press would wait behind every queued
#: question. So the cap is high: a burst of up to ~250 questions never delays anything else.
CONCURRENT_UPDATES = 256
#: Threads running ``service.ask``. The model is CPU-bound (and already uses every core per call),
#: so more threads than cores only thrash; but at least two, so one long question never holds up
#: the next reader's. Measured on 2 cores: 200 questions take 7.7 s with 1 thread, 9.5 s with 2.
MODEL_WORKERS = max(2, min(4, os.cpu_count() or 1))
#: Updates the bot asks Telegram for; edited messages are deliberately not among them.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MORE = "more"
EXAMPLE_QUESTION = "高新大厦有多高？"


class BotConfigError(NewsqaError):
    """The bot cannot start as configured (no token, a rejected token, no webhook URL...)."""


# --------------------------------------------------------------------------------------------
# State


class UserRateLimiter:
    """At most ``per_minute`` questions per user in any 60-second window.

    Telegram's own flood limits are handled by ``AIORateLimiter`` on the way out; this one keeps a
    single reader from monopolising the model. A reader over the limit is told once per window,
    then further messages are dropped silently (answering each would be spam in itself).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def check(self, user_id: int) -> tuple[bool, float]:
        """Record a question; returns ``(allowed, seconds_to_wait)``."""
        now = self.clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= 60.0:
            asked.popleft()
        if len(asked) < self.per_minute:
            asked.append(now)
            return True, 0.0
        return False, 60.0 - (now - asked[0])

    def should_warn(self, user_id: int, wait: float) -> bool:
        """True the first time a user hits the limit in a window."""
        now = self.clock()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        self._warned_until[user_id] = now + wait
        return True


@dataclass
class LastAnswer:
    """A chat's most recent answer and how many of its passages were already sent. ``serial``
    ties an inline "more" button to this answer, so an old button cannot page a newer answer."""

    answer: Answer
    shown: int
    serial: int


@dataclass
class BotState:
    service: "AnswerService"
    settings: Settings
    limiter: UserRateLimiter
    executor: ThreadPoolExecutor
    serials: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Run the blocking model call in a worker thread; the event loop stays free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, partial(self.service.ask, question, top_k=top_k)
        )


def _state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["newsqa"]


# --------------------------------------------------------------------------------------------
# Texts


def start_html() -> str:
    return (
        f"<b>{fmt.esc(fmt.PAPER)} 问答 · newsqa</b>\n"
        "问我《株洲日报》报道过的事，我用报纸的原文回答：逐字引用句子，注明标题、版面文件和日期；"
        "报纸没写过的，我会直说没找到。\n"
        "Ask me about what the 株洲日报 (Zhuzhou Daily) reported: I answer with the paper's own "
        "sentences, quoted verbatim with headline, issue and date, and say so when it never said it.\n\n"
        f"例如 Try: <code>{fmt.esc(EXAMPLE_QUESTION)}</code>\n"
        "/help · /about"
    )


def help_html(settings: Settings) -> str:
    return (
        "<b>怎么用 · How to use</b>\n"
        "直接发问题（中文或英文）。Just send a question, in Chinese or English.\n"
        "在群里请 @我 或回复我的消息。In groups, mention me or reply to my message.\n\n"
        "/sources — 上一个问题的更多段落 · more passages for your last question\n"
        "/sources N — 重新检索 N 条 · search again with N passages\n"
        "/about — 资料库信息 · what the archive holds\n"
        "/help — 本说明 · this help\n\n"
        f"问题最长 {settings.max_question_chars} 字，每分钟最多 "
        f"{settings.telegram_user_questions_per_minute} 个问题。\n"
        f"Questions up to {settings.max_question_chars} characters, "
        f"{settings.telegram_user_questions_per_minute} per minute."
    )


NON_TEXT_HTML = "我只能读文字问题。I can only read text questions — please type your question."
EMPTY_HTML = "请发一个问题，例如 Please send a question, e.g. " + fmt.esc(EXAMPLE_QUESTION)
UNKNOWN_COMMAND_HTML = "没有这个命令，看看 /help。Unknown command — see /help."
APOLOGY_HTML = "抱歉，出了点问题，请稍后再试。Sorry, something went wrong — please try again."
ASK_FIRST_HTML = "请先问一个问题。Ask a question first."
EXPIRED_TEXT = "这个回答已过期，请重新提问。That answer has expired — please ask again."


def rate_limited_html(language: str, wait: float) -> str:
    seconds = max(1, int(wait + 0.999))
    if language == "en":
        return f"You're asking quickly — please wait {seconds} s before the next question."
    return f"问得太快了，请 {seconds} 秒后再问。"


def more_markup(last: LastAnswer) -> InlineKeyboardMarkup | None:
    remaining = len(last.answer.passages) - last.shown
    if remaining <= 0:
        return None
    label = f"更多 · More ({remaining})"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{MORE}:{last.serial}")]]
    )


# --------------------------------------------------------------------------------------------
# Sending


async def send_page(message: Message, last: LastAnswer, *, quote: bool) -> None:
    """Send the next page of ``last`` as replies in ``message``'s chat (and thread). The first
    message quotes the question when ``quote``; the "more" button goes on the last one."""
    texts = fmt.answer_page_html(last.answer, last.shown, PAGE_SIZE)
    if last.answer.answered:
        last.shown = min(len(last.answer.passages), last.shown + PAGE_SIZE)
        markup = more_markup(last)
    else:
        markup = None
    for i, text in enumerate(texts):
        await message.reply_html(
            text,
            do_quote=quote and i == 0,
            reply_markup=markup if i == len(texts) - 1 else None,
        )


def addressed_text(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question in ``message``, or None when it is not meant for the bot.

    In private chats every text is a question. In groups only messages that mention the bot or
    reply to one of its messages are; the mention itself is cut out of the question.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    ours = f"@{bot_username}".lower()
    mentions = [
        value
        for entity, value in message.parse_entities(
            [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        ).items()
        if (entity.type == MessageEntity.MENTION and value.lower() == ours)
        or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id)
    ]
    if not mentions and not _is_addressed_to_bot(message, bot_id):
        return None
    for value in mentions:
        text = text.replace(value, " ", 1)
    return text.strip()


def _is_addressed_to_bot(message: Message, bot_id: int) -> bool:
    """For non-text messages in groups: only a direct reply to the bot deserves an answer."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


# --------------------------------------------------------------------------------------------
# Handlers


async def guard_allowed_chats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler when an allow-list is set: other chats are ignored."""
    allowed = _state(context).settings.telegram_allowed_chat_ids
    chat = update.effective_chat
    if allowed and (chat is None or chat.id not in allowed):
        log.info("Ignoring update from chat %s (not in telegram_allowed_chat_ids)", chat and chat.id)
        raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(start_html())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(help_html(_state(context).settings))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    info = _state(context).service.info()  # cached facts, no model call
    await update.effective_message.reply_html(fmt.about_html(info))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/sources``: the next page of the last answer. ``/sources N``: ask the last question
    again with N passages and go on from where the reader was."""
    message = update.effective_message
    last: LastAnswer | None = context.chat_data.get("last")
    if last is None:
        await message.reply_html(ASK_FIRST_HTML)
        return
    if context.args:
        try:
            top_k = max(1, min(50, int(context.args[0])))
        except ValueError:
            await message.reply_html("用法 Usage: /sources [N]")
            return
        if not await within_user_limit(update, context, last.answer.question):
            return
        state = _state(context)
        answer = await state.ask(last.answer.question, top_k=top_k)
        last = LastAnswer(answer, min(last.shown, len(answer.passages)), next(state.serials))
        context.chat_data["last"] = last
    if not last.answer.answered or last.shown >= len(last.answer.passages):
        await message.reply_html(fmt.esc(fmt.no_more_text(last.answer.language)))
        return
    await send_page(message, last, quote=False)


async def more_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The inline "more" button: next page of the answer the button belongs to."""
    query = update.callback_query
    last: LastAnswer | None = context.chat_data.get("last")
    serial = query.data.partition(":")[2]
    if last is None or str(last.serial) != serial or not isinstance(query.message, Message):
        await query.answer(EXPIRED_TEXT, show_alert=False)
        return
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)  # one press, one page
    if last.shown >= len(last.answer.passages):
        await query.message.reply_html(fmt.esc(fmt.no_more_text(last.answer.language)))
        return
    await send_page(query.message, last, quote=False)


async def within_user_limit(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Count one model call against the reader's per-minute allowance; tell them (once) if over."""
    limiter = _state(context).limiter
    message = update.effective_message
    user_id = update.effective_user.id if update.effective_user else message.chat.id
    allowed, wait = limiter.check(user_id)
    if not allowed and limiter.should_warn(user_id, wait):
        await message.reply_html(rate_limited_html(fmt.detect_language(text), wait), do_quote=True)
    return allowed


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: if it is meant for the bot, answer it with quotes (or say not found)."""
    message = update.effective_message
    text = addressed_text(message, context.bot.id, context.bot.username)
    if text is None:
        return
    if not text.strip():
        await message.reply_html(EMPTY_HTML, do_quote=True)
        return
    if not await within_user_limit(update, context, text):
        return
    state = _state(context)
    try:
        answer = await state.ask(text)
    except QuestionError as err:  # empty, too long, only symbols: the message says why
        await message.reply_html(fmt.esc(str(err)), do_quote=True)
        return
    last = LastAnswer(answer, 0, next(state.serials))
    context.chat_data["last"] = last
    await send_page(message, last, quote=True)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice...: a polite line in private chats or when replied to."""
    message = update.effective_message
    if _is_addressed_to_bot(message, context.bot.id):
        await message.reply_html(NON_TEXT_HTML, do_quote=True)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_html(UNKNOWN_COMMAND_HTML)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure, apologise to the reader, keep running (PTB goes on after this)."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("Error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY_HTML)
        except TelegramError as err:  # e.g. the chat blocked us: nothing more to do
            log.warning("Could not send the apology to chat %s: %s", update.effective_chat.id, err)


# --------------------------------------------------------------------------------------------
# Wiring

COMMANDS = [
    BotCommand("start", "What this bot is · 介绍"),
    BotCommand("help", "How to ask · 用法"),
    BotCommand("about", "The archive · 资料库信息"),
    BotCommand("sources", "More passages · 更多段落"),
]


def require_token(settings: Settings) -> str:
    """The token, or a one-line error saying where it goes (never the token itself)."""
    token = settings.telegram_token.get_secret_value().strip() if settings.telegram_token else ""
    if not token:
        raise BotConfigError(
            "No Telegram bot token: set NEWSQA_TELEGRAM_TOKEN (environment or .env); "
            "get a token from @BotFather (see docs/telegram.md)."
        )
    return token


def build_application(
    service: "AnswerService",
    settings: Settings,
    *,
    rate_limiter: BaseRateLimiter | None = None,
    request: BaseRequest | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Application:
    """An :class:`Application` wired to ``service``; not started.

    ``rate_limiter`` defaults to :class:`AIORateLimiter` with Telegram's published limits;
    ``request`` (PTB's HTTP layer) and ``clock`` (the per-user limit's) are for tests.
    """
    token = require_token(settings)
    redact_secret(token)
    executor = ThreadPoolExecutor(max_workers=MODEL_WORKERS, thread_name_prefix="newsqa-ask")

    async def post_init(app: Application) -> None:
        await app.bot.set_my_commands(COMMANDS)
        log.info("Answering as @%s", app.bot.username)

    async def post_shutdown(app: Application) -> None:
        executor.shutdown(wait=False, cancel_futures=True)

    builder = ApplicationBuilder()
    if request is not None:
        builder = builder.request(request)
    application = (
        builder
        .token(token)
        .base_url(settings.telegram_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=2))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["newsqa"] = BotState(
        service=service,
        settings=settings,
        limiter=UserRateLimiter(settings.telegram_user_questions_per_minute, clock=clock),
        executor=executor,
    )
    only_new = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored

    if settings.telegram_allowed_chat_ids:
        application.add_handler(TypeHandler(Update, guard_allowed_chats), group=-1)
    application.add_handler(CommandHandler("start", start, filters=only_new))
    application.add_handler(CommandHandler("help", help_command, filters=only_new))
    application.add_handler(CommandHandler("about", about, filters=only_new))
    application.add_handler(CommandHandler("sources", sources, filters=only_new))
    application.add_handler(CallbackQueryHandler(more_button, pattern=rf"^{MORE}:\d+$"))
    application.add_handler(MessageHandler(only_new & filters.TEXT & ~filters.COMMAND, question))
    application.add_handler(MessageHandler(only_new & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(only_new & filters.ATTACHMENT, non_text))
    application.add_error_handler(on_error)
    return application


def webhook_options(settings: Settings) -> dict:
    """Arguments for PTB's ``run_webhook``/``start_webhook``: listen where the settings say,
    serve the path of the public URL (what the reverse proxy forwards), and register the webhook
    with a fresh random secret so only Telegram can post updates to it."""
    return {
        "listen": settings.telegram_webhook_listen,
        "port": settings.telegram_webhook_port,
        "url_path": urlparse(settings.telegram_webhook_url).path.lstrip("/"),
        "webhook_url": settings.telegram_webhook_url,
        "secret_token": secrets.token_urlsafe(32),
        "allowed_updates": ALLOWED_UPDATES,
    }


def run_bot(settings: Settings) -> None:
    """Open the answering service and serve Telegram until interrupted (Ctrl-C / SIGTERM).

    Long polling unless ``telegram_mode`` is "webhook". Configuration problems raise
    :class:`BotConfigError` (or the service's own errors) with a one-line message.
    """
    require_token(settings)  # fail before loading a model for nothing
    if settings.telegram_mode == "webhook" and not settings.telegram_webhook_url:
        raise BotConfigError(
            "telegram_mode is 'webhook' but NEWSQA_TELEGRAM_WEBHOOK_URL is empty: set the public "
            "https URL Telegram should post updates to."
        )
    if not logging.getLogger().handlers:  # the CLI leaves logging to us: say what happens
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, token included
    from retrieval.service import AnswerService  # heavy: model and index load here

    # Like the REPL: a missing or outdated index is built first rather than refusing to start.
    service = AnswerService.open(settings, build_if_needed=True, progress=log.info)
    application = build_application(service, settings)
    where = settings.telegram_base_url if settings.telegram_mode == "polling" else (
        settings.telegram_webhook_url
    )
    log.info("Starting the Telegram bot (%s, %s)", settings.telegram_mode, where)
    try:
        if settings.telegram_mode == "webhook":
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        raise BotConfigError(
            "Telegram rejected the bot token in NEWSQA_TELEGRAM_TOKEN: check it with @BotFather."
        ) from None
    except NetworkError as err:
        raise BotConfigError(
            f"Cannot reach the Telegram Bot API at {settings.telegram_base_url}: {err}"
        ) from None


# --------------------------------------------------------------------------------------------
# Keeping the token out of logs

_SECRETS: set[str] = set()
_REDACTION_INSTALLED = False


def redact_secret(secret: str) -> None:
    """Make every log record created from now on show ``secret`` as ``<token>``.

    The token is part of every Bot API URL, and httpx (INFO) and PTB (DEBUG) log URLs. A record
    factory catches all loggers and handlers, including ones configured later.
    """
    global _REDACTION_INSTALLED
    _SECRETS.add(secret)
    if _REDACTION_INSTALLED:
        return
    _REDACTION_INSTALLED = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return record
        if any(s in text for s in _SECRETS):
            for s in _SECRETS:
                text = text.replace(s, "<token>")
            record.msg, record.args = text, None
        return record

    logging.setLogRecordFactory(factory)
