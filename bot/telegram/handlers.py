"""The bot's handlers, module-level as in python-telegram-bot's examples; :mod:`bot.telegram.app`
registers them.

State is explicit and typed (PTB's ``ContextTypes``): :attr:`BotContext.state` is the one
:class:`BotState` of the application - the answering service, the settings, the per-reader limit
and the threads the model runs in - and :attr:`BotContext.chat_data` is the chat's
:class:`ChatData`, whose last answer ``/sources`` and the "more" button page through.

The model is CPU-bound, so every service call runs in the worker threads and updates are handled
concurrently: a slow question in one chat never holds up commands or answers in another.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackContext, ExtBot

from bot.formatting import no_more_text
from bot.telegram import html, texts
from bot.telegram.limits import UserRateLimiter
from bot.telegram.settings import TelegramSettings
from retrieval import Answer, NewsqaError, Passage, QuestionError, language

if TYPE_CHECKING:
    from retrieval import AnswerService

log = logging.getLogger(__name__)

#: Passages per message page; the rest of the answer waits behind the "more" button.
PAGE_SIZE = 3
#: The most passages ``/sources N`` shows.
MAX_SOURCES = 50
#: Callback data of the "more" button: ``more:<serial of the answer>``.
MORE = "more"
#: Callback data of a "全文 · Full article" button: ``art:<article>:<mark start>:<mark end>:<page>``;
#: self-contained, so it opens the article however old the answer is.
ARTICLE = "art"
STATE_KEY = "newsqa"


@dataclass
class BotState:
    """Everything the handlers share, created once by :func:`bot.telegram.app.build_application`."""

    service: AnswerService
    telegram: TelegramSettings
    limiter: UserRateLimiter
    executor: ThreadPoolExecutor
    serials: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def ask(self, question: str, previous: Answer | None = None) -> Answer:
        """Run the blocking model call in a worker thread; the event loop stays free. A
        follow-up leans on ``previous``, the chat's last answer."""
        return await self._in_worker(partial(self.service.ask, previous=previous), question)

    async def call(self, function, *args):
        """Any other service call (browsing), in a worker thread like the questions."""
        return await self._in_worker(function, *args)

    async def more(self, answer: Answer, count: int) -> list[Passage]:
        """The first ``count`` passages of ``answer``, cut from its ranking (no new search)."""
        return await self._in_worker(self.service.more, answer, count)

    async def _in_worker(self, function, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(function, *args))


@dataclass
class LastAnswer:
    """A chat's most recent answer: how many passages it is paged over (``total``) and how many
    were sent. ``serial`` ties an inline "more" button to this answer, so an old button cannot
    page a newer answer."""

    answer: Answer
    total: int
    shown: int
    serial: int


@dataclass
class ChatData:
    """What the bot remembers per chat."""

    last: LastAnswer | None = None
    # what ``/article N`` opens: the passages or headlines last sent, numbered from 1
    numbered: list[tuple[int, int, int]] = field(default_factory=list)


class BotContext(CallbackContext[ExtBot, dict, ChatData, dict]):
    """PTB's context with the bot's state typed: ``context.state``, ``context.chat_data.last``."""

    @property
    def state(self) -> BotState:
        return self.bot_data[STATE_KEY]


# --------------------------------------------------------------------------------------------
# Sending


def passage_ref(passage: Passage) -> tuple[int, int, int]:
    """(article, quote start, quote end in its text): what a "full article" button opens."""
    return passage.article, passage.article_start, passage.article_start + len(passage.quote)


def article_data(ref: tuple[int, int, int], page: int = 0) -> str:
    return f"{ARTICLE}:{ref[0]}:{ref[1]}:{ref[2]}:{page}"


def page_markup(last: LastAnswer, passages: list[Passage]) -> InlineKeyboardMarkup | None:
    """A "全文 · Full article" button for each passage of the page just sent (numbered as in
    the answer), then the "more" button while passages remain."""
    rows = [
        [InlineKeyboardButton(texts.article_label(number), callback_data=article_data(passage_ref(p)))]
        for number, p in passages
    ]
    remaining = last.total - last.shown
    if remaining > 0:
        rows.append([InlineKeyboardButton(texts.more_label(remaining), callback_data=f"{MORE}:{last.serial}")])
    return InlineKeyboardMarkup(rows) if rows else None


async def send_page(message: Message, last: LastAnswer, passages: list[Passage], *,
                    quote: bool) -> None:
    """Send the next page of ``passages`` (those ``last`` pages over) as replies in ``message``'s
    chat and thread. The first message quotes the question when ``quote``; the "more" button goes
    on the last one."""
    pages = html.answer_page_html(last.answer, last.shown, PAGE_SIZE, passages=passages)
    markup = None
    if last.answer.answered:
        first = last.shown
        last.shown = min(last.total, last.shown + PAGE_SIZE)
        markup = page_markup(last, list(enumerate(passages[first : last.shown], first + 1)))
    for i, text in enumerate(pages):
        await message.reply_html(
            text,
            do_quote=quote and i == 0,
            reply_markup=markup if i == len(pages) - 1 else None,
        )


async def send_next_page(message: Message, context: BotContext, last: LastAnswer,
                         passages: list[Passage] | None = None) -> None:
    """The page after what ``last`` has shown, cut from the answer's own ranking with
    :meth:`AnswerService.more` (``passages`` when the caller already has them) - never a second
    search."""
    if not last.answer.answered or last.shown >= last.total:
        await message.reply_html(html.esc(no_more_text(last.answer.language)))
        return
    if passages is None:
        passages = await context.state.more(last.answer, last.total)
    await send_page(message, last, passages, quote=False)


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
    if not mentions and not is_addressed_to_bot(message, bot_id):
        return None
    for value in mentions:
        text = text.replace(value, " ", 1)
    return text.strip()


def is_addressed_to_bot(message: Message, bot_id: int) -> bool:
    """For non-text messages in groups: only a direct reply to the bot deserves an answer."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


async def within_user_limit(update: Update, context: BotContext, text: str) -> bool:
    """Count one model call against the reader's per-minute allowance; tell them (once) if over,
    in the language the library would answer ``text`` in."""
    limiter = context.state.limiter
    message = update.effective_message
    user_id = update.effective_user.id if update.effective_user else message.chat.id
    allowed, wait = limiter.check(user_id)
    if not allowed and limiter.should_warn(user_id, wait):
        await message.reply_html(texts.rate_limited_html(language(text), wait), do_quote=True)
    return allowed


# --------------------------------------------------------------------------------------------
# Handlers


async def guard_allowed_chats(update: Update, context: BotContext) -> None:
    """Runs before every other handler when an allow-list is set: other chats are ignored."""
    allowed = context.state.telegram.allowed_chat_ids
    chat = update.effective_chat
    if update.inline_query is not None:  # no chat yet: the reader's own (private chat) id counts
        if allowed and update.inline_query.from_user.id not in allowed:
            log.info("Ignoring an inline query from user %s (not in the allow-list)", update.inline_query.from_user.id)
            raise ApplicationHandlerStop
        return
    if allowed and (chat is None or chat.id not in allowed):
        log.info("Ignoring update from chat %s (not in NEWSQA_TELEGRAM_ALLOWED_CHAT_IDS)",
                 chat and chat.id)
        raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_html(texts.start_html())


async def help_command(update: Update, context: BotContext) -> None:
    state = context.state
    await update.effective_message.reply_html(texts.help_html(
        state.service.settings.max_question_chars, state.telegram.user_questions_per_minute))


async def about(update: Update, context: BotContext) -> None:
    info = context.state.service.info()  # cached facts, no model call
    await update.effective_message.reply_html(html.about_html(info))


async def sources(update: Update, context: BotContext) -> None:
    """``/sources``: the next page of the last answer. ``/sources N``: page over its first N
    passages from where the reader was - the same ranking, cut longer or shorter."""
    message = update.effective_message
    last = context.chat_data.last
    if last is None:
        await message.reply_html(texts.ASK_FIRST_HTML)
        return
    passages = None
    if context.args:
        try:
            count = max(1, min(MAX_SOURCES, int(context.args[0])))
        except ValueError:
            await message.reply_html(texts.SOURCES_USAGE_HTML)
            return
        if last.answer.answered:
            passages = await context.state.more(last.answer, count)
            last.total = len(passages)
            last.shown = min(last.shown, last.total)
            last.serial = next(context.state.serials)  # an older button paged the old length
            context.chat_data.numbered = [passage_ref(p) for p in passages]
    await send_next_page(message, context, last, passages)


async def new(update: Update, context: BotContext) -> None:
    """``/new``: forget this chat's conversation; the next question leans on nothing."""
    context.chat_data.last, context.chat_data.numbered = None, []
    await update.effective_message.reply_html(texts.NEW_HTML)


async def issues(update: Update, context: BotContext) -> None:
    """``/issues``: every issue of the archive, newest first, with its date."""
    found = await context.state.call(context.state.service.issues)
    await update.effective_message.reply_html(html.issues_html(found))


async def issue(update: Update, context: BotContext) -> None:
    """``/issue 2024-01-05`` (or a file name): that issue's headlines, numbered for /article N."""
    if not context.args:
        await update.effective_message.reply_html(texts.ISSUE_USAGE_HTML)
        return
    await _send_issue(update, context, context.state.service.issue, " ".join(context.args))


async def latest(update: Update, context: BotContext) -> None:
    """``/latest``: the newest issue's headlines."""
    await _send_issue(update, context, context.state.service.latest)


async def _send_issue(update: Update, context: BotContext, function, *args) -> None:
    message = update.effective_message
    try:
        contents = await context.state.call(function, *args)
    except NewsqaError as err:  # an unknown issue: one line saying which exist
        await message.reply_html(html.esc(str(err)))
        return
    context.chat_data.numbered = [(h.article, -1, -1) for h in contents.headlines]
    for text in html.issue_html(contents):
        await message.reply_html(text)


async def article(update: Update, context: BotContext) -> None:
    """``/article N``: the whole article behind passage N of the last answer (or headline N of
    the last issue listed)."""
    message = update.effective_message
    numbered = context.chat_data.numbered
    if not numbered:
        await message.reply_html(texts.ARTICLE_FIRST_HTML)
        return
    try:
        number = int(context.args[0]) if context.args else 0
    except ValueError:
        number = 0
    if not 1 <= number <= len(numbered):
        await message.reply_html(texts.article_usage_html(len(numbered)))
        return
    await send_article_page(message, context, numbered[number - 1], 0)


async def send_article_page(message: Message, context: BotContext, ref: tuple[int, int, int], page: int) -> None:
    """Page ``page`` of an article, with a "next page" button while pages remain."""
    start, end = ref[1], ref[2]
    try:
        full = await context.state.call(context.state.service.article, ref[0], (start, end) if start >= 0 else None)
    except NewsqaError as err:
        await message.reply_html(html.esc(str(err)))
        return
    pages = html.article_pages_html(full)
    if not 0 <= page < len(pages):
        await message.reply_html(html.esc(texts.EXPIRED_TEXT))
        return
    text, markup = pages[page], None
    if len(pages) > 1:
        text += f"\n<i>{page + 1}/{len(pages)}</i>"
    if page + 1 < len(pages):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            texts.next_page_label(page + 2, len(pages)), callback_data=article_data(ref, page + 1))]])
    await message.reply_html(text, reply_markup=markup)


async def article_button(update: Update, context: BotContext) -> None:
    """A "全文 · Full article" (or "next page") button: the page of the article it names."""
    query = update.callback_query
    if not isinstance(query.message, Message):
        await query.answer(texts.EXPIRED_TEXT, show_alert=False)
        return
    _, a, s, e, page = query.data.split(":")
    await query.answer()
    await send_article_page(query.message, context, (int(a), int(s), int(e)), int(page))


async def more_button(update: Update, context: BotContext) -> None:
    """The inline "more" button: next page of the answer the button belongs to."""
    query = update.callback_query
    last = context.chat_data.last
    serial = query.data.partition(":")[2]
    if last is None or str(last.serial) != serial or not isinstance(query.message, Message):
        await query.answer(texts.EXPIRED_TEXT, show_alert=False)
        return
    await query.answer()
    # one press, one page: the "more" button goes, the "full article" buttons stay
    keyboard = query.message.reply_markup.inline_keyboard if query.message.reply_markup else ()
    kept = [row for row in keyboard if not any((b.callback_data or "").startswith(MORE) for b in row)]
    await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(kept) if kept else None)
    await send_next_page(query.message, context, last)


async def question(update: Update, context: BotContext) -> None:
    """A text message: if it is meant for the bot, answer it with quotes (or say not found)."""
    message = update.effective_message
    text = addressed_text(message, context.bot.id, context.bot.username)
    if text is None:
        return
    if not text.strip():
        await message.reply_html(texts.EMPTY_HTML, do_quote=True)
        return
    if not await within_user_limit(update, context, text):
        return
    state = context.state
    try:
        previous = context.chat_data.last.answer if context.chat_data.last else None
        answer = await state.ask(text, previous)
    except QuestionError as err:  # empty, too long, only symbols: the message says why
        await message.reply_html(html.esc(str(err)), do_quote=True)
        return
    last = LastAnswer(answer, len(answer.passages), 0, next(state.serials))
    context.chat_data.last = last
    if answer.answered:
        context.chat_data.numbered = [passage_ref(p) for p in answer.passages]
    await send_page(message, last, answer.passages, quote=True)


#: Inline results offered for ``@bot 问题`` (Telegram shows at most 50).
INLINE_RESULTS = 5


async def inline_query(update: Update, context: BotContext) -> None:
    """``@bot 问题`` in any chat: the top passages as results (``title · date``, the quote as the
    message sent), under the same per-reader limit as questions; "not found" offers nothing."""
    query = update.inline_query
    text = query.query.strip()
    if not text:
        await query.answer([], cache_time=0)
        return
    allowed, wait = context.state.limiter.check(query.from_user.id)
    if not allowed:
        button = InlineQueryResultsButton(texts.rate_limited_text(language(text), wait), start_parameter="limit")
        await query.answer([], cache_time=0, button=button)
        return
    try:
        answer = await context.state.ask(text)
    except QuestionError:
        await query.answer([], cache_time=0)
        return
    passages = answer.passages[:INLINE_RESULTS] if answer.answered else []
    results = [
        InlineQueryResultArticle(
            id=str(i),
            title=html.inline_title(p),
            description=p.quote[:120],
            input_message_content=InputTextMessageContent(html.inline_message_html(p), parse_mode="HTML"),
        )
        for i, p in enumerate(passages)
    ]
    await query.answer(results, cache_time=0)


async def non_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice...: a polite line in private chats or when replied to."""
    message = update.effective_message
    if is_addressed_to_bot(message, context.bot.id):
        await message.reply_html(texts.NON_TEXT_HTML, do_quote=True)


async def unknown_command(update: Update, context: BotContext) -> None:
    if update.effective_chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_html(texts.UNKNOWN_COMMAND_HTML)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure, apologise to the reader, keep running (PTB goes on after this)."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("Error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.APOLOGY_HTML)
        except TelegramError as err:  # e.g. the chat blocked us: nothing more to do
            log.warning("Could not send the apology to chat %s: %s", update.effective_chat.id, err)
