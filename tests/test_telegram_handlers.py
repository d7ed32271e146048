"""Handler tests in python-telegram-bot's own style: an offline bot (its HTTP layer replaced by the
in-process fake Bot API, no sockets), updates constructed from PTB objects and fed to
``Application.process_update``, assertions on the Bot API calls the handlers made.
The answering service is the real one over the seed issues."""

from __future__ import annotations

import datetime as dtm
import itertools
import logging

import pytest
from telegram import CallbackQuery, Chat, Message, MessageEntity, Sticker, Update, User

from bot.telegram import BotConfigError, build_application, html, run_bot, texts
from bot.telegram.app import webhook_options
from bot.telegram.fake_api import BOT_USER, TOKEN, FakeBotAPI
from bot.telegram.limits import UserRateLimiter
from bot.telegram.redact import MASK
from retrieval import language
from telegram_harness import InProcessRequest, tg_settings

USER = User(1001, "Reader", False)
OTHER = User(1002, "Other", False)
PRIVATE = Chat(1001, Chat.PRIVATE)
GROUP = Chat(-500, Chat.SUPERGROUP, title="Readers")
ZH_QUESTION = "高新大厦有多高？"
_ids = itertools.count(1)


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


@pytest.fixture
def clock():
    now = [1000.0]
    return now


async def started(service, api, tmp_path, **overrides):
    clock = overrides.pop("clock", None)
    app = build_application(
        service, tg_settings(tmp_path, **overrides), request=InProcessRequest(api),
        **({"clock": lambda: clock[0]} if clock else {}),
    )
    await app.initialize()
    return app


@pytest.fixture
async def app(seed_service, api, tmp_path):
    application = await started(seed_service, api, tmp_path)
    yield application
    await application.shutdown()


def make_message(app, text=None, *, chat=PRIVATE, user=USER, reply_to=None, **fields) -> Message:
    entities = []
    if text and text.startswith("/"):
        entities.append(MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0])))
    if text and "@" in text:
        at = text.index("@")
        if not text.startswith("/"):
            entities.append(MessageEntity(MessageEntity.MENTION, html.telegram_length(text[:at]),
                                          len(text[at:].split()[0])))
    message = Message(
        next(_ids), dtm.datetime.now(dtm.timezone.utc), chat, from_user=user, text=text,
        entities=entities or None, reply_to_message=reply_to, **fields,
    )
    message.set_bot(app.bot)
    return message


async def send(app, text=None, **kwargs) -> Message:
    message = make_message(app, text, **kwargs)
    await app.process_update(Update(next(_ids), message=message))
    return message


def bot_message(app, call) -> Message:
    message = Message.de_json(call.result, app.bot)
    return message


def more_data(call) -> str | None:
    """The callback data of the "more" button on a bot message, if it has one."""
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return next((b["callback_data"] for row in rows for b in row if b["callback_data"].startswith("more:")), None)


async def press(app, call, data: str | None = None, user=USER) -> None:
    """Press a button of the bot's message ``call``: ``data``, by default its "more" button."""
    message = bot_message(app, call)
    query = CallbackQuery(str(next(_ids)), user, "ci", message=message,
                          data=data or more_data(call))
    query.set_bot(app.bot)
    await app.process_update(Update(next(_ids), callback_query=query))


def sent_texts(api) -> list[str]:
    return [c.params["text"] for c in api.sent()]


# -- commands ------------------------------------------------------------------------------


async def test_start_says_what_the_bot_is_with_an_example(app, api):
    await send(app, "/start")
    [text] = sent_texts(api)
    assert "株洲日报" in text and "verbatim" in text and ZH_QUESTION in text
    assert api.sent()[0].params["parse_mode"] == "HTML"
    assert html.telegram_html_problems(text) == []


async def test_help_lists_commands_and_limits(app, api, seed_service):
    await send(app, "/help")
    [text] = sent_texts(api)
    for command in ("/sources", "/about", "/help"):
        assert command in text
    assert str(seed_service.settings.max_question_chars) in text


async def test_about_reports_the_corpus(app, api, seed_service):
    info = seed_service.info()
    await send(app, "/about")
    [text] = sent_texts(api)
    assert f"Articles 文章: {info.articles}" in text and f"Issues 期数: {info.issues}" in text
    assert info.model in text
    if info.first_date:
        assert info.first_date in text


async def test_unknown_command_in_private_chat(app, api):
    await send(app, "/frobnicate")
    assert "/help" in sent_texts(api)[0]


async def test_commands_for_another_bot_in_a_group_are_ignored(app, api):
    await send(app, "/start@some_other_bot", chat=GROUP)
    await send(app, "/frobnicate", chat=GROUP)
    assert sent_texts(api) == []


# -- questions -----------------------------------------------------------------------------


async def test_question_is_answered_with_the_quote_in_bold(app, api):
    question = await send(app, ZH_QUESTION)
    first = api.sent()[0]
    assert first.params["reply_parameters"]["message_id"] == question.message_id
    text = first.params["text"]
    assert "168" in text and "“武广地标”转型记" in text
    bold = [seg.split("</b>")[0] for seg in text.split("<b>")[2:]]
    assert "168米" in bold, "the words that answer are the bold ones"
    assert "<u>" in text and "168米" in text.split("<u>")[1].split("</u>")[0], "inside the underlined quote"
    assert html.telegram_html_problems(text) == []


async def test_unanswerable_question_says_not_found_without_quotes(app, api):
    await send(app, "火星上有没有水?")
    [call] = api.sent()
    assert "没有找到" in call.params["text"]
    assert "<blockquote>" not in call.params["text"]
    assert "reply_markup" not in call.params


async def test_more_button_pages_through_the_rest(app, api):
    await send(app, ZH_QUESTION)
    first = api.sent()[-1]
    if not more_data(first):
        pytest.skip("the answer fits on one page")
    await press(app, first)
    assert api.calls_to("answerCallbackQuery")
    [edit] = api.calls_to("editMessageReplyMarkup")
    assert edit.params["message_id"] == first.result["message_id"]
    kept = [b["callback_data"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert kept and all(data.startswith("art:") for data in kept), "the more button goes, full-article ones stay"
    second = api.sent()[-1]
    assert second is not first and "<blockquote>" in second.params["text"]
    assert "条，共" in second.params["text"]


async def test_an_old_more_button_does_not_page_a_newer_answer(app, api):
    await send(app, ZH_QUESTION)
    first = api.sent()[-1]
    if not more_data(first):
        pytest.skip("the answer fits on one page")
    await send(app, "How tall is the Gaoxin Building?")
    sent_before = len(api.sent())
    await press(app, first)
    assert len(api.sent()) == sent_before
    [answer] = api.calls_to("answerCallbackQuery")
    assert "expired" in answer.params["text"]


async def test_sources_pages_and_sources_n_asks_again(app, api):
    await send(app, "/sources")
    assert "Ask a question first" in sent_texts(api)[-1]
    await send(app, ZH_QUESTION)
    n_before = len(api.sent())
    await send(app, "/sources 8")
    assert len(api.sent()) > n_before
    assert "<blockquote>" in sent_texts(api)[-1] or "No more" in sent_texts(api)[-1]
    await send(app, "/sources x")
    assert "Usage" in sent_texts(api)[-1]


async def test_too_long_empty_and_symbol_questions_are_refused(app, api):
    await send(app, "高" * 5000)
    await send(app, "   ")
    await send(app, "😀😀😀")
    long_reply, empty_reply, emoji_reply = sent_texts(api)
    assert "too long" in long_reply and "<blockquote>" not in long_reply
    assert "question" in empty_reply.lower()
    assert "<blockquote>" not in emoji_reply
    assert all(html.telegram_html_problems(t) == [] for t in sent_texts(api))


async def test_html_in_the_question_is_escaped(app, api):
    await send(app, "<b>高新大厦</b> & 有多高?")
    [text] = sent_texts(api)[:1]
    assert "&lt;b&gt;高新大厦&lt;/b&gt; &amp; 有多高?" in text
    assert html.telegram_html_problems(text) == []


# -- groups, other updates -----------------------------------------------------------------


async def test_in_groups_only_mentions_and_replies_are_answered(app, api):
    await send(app, ZH_QUESTION, chat=GROUP)
    assert sent_texts(api) == []
    mention = await send(app, f"@{BOT_USER['username']} {ZH_QUESTION}", chat=GROUP)
    [reply] = api.replies_to(GROUP.id, mention.message_id)
    assert "168" in reply.params["text"] and "@newsqa" not in reply.params["text"].split("\n")[0]
    bot_reply = bot_message(app, reply)
    follow_up = await send(app, "How tall is the Gaoxin Building?", chat=GROUP, user=OTHER,
                           reply_to=bot_reply)
    assert api.replies_to(GROUP.id, follow_up.message_id)
    other_reply = make_message(app, "hi", chat=GROUP, user=OTHER)
    await send(app, ZH_QUESTION, chat=GROUP, reply_to=other_reply)
    assert len(api.sent()) == 2


async def test_stickers_get_a_polite_reply_in_private_and_are_ignored_in_groups(app, api):
    sticker = Sticker("file", "uniq", 512, 512, False, False, Sticker.REGULAR)
    await send(app, None, sticker=sticker)
    [text] = sent_texts(api)
    assert "text" in text
    await send(app, None, chat=GROUP, sticker=sticker)
    assert len(sent_texts(api)) == 1


async def test_edited_messages_are_ignored(app, api):
    message = make_message(app, ZH_QUESTION)
    await app.process_update(Update(next(_ids), edited_message=message))
    assert api.calls == [c for c in api.calls if c.method == "getMe"]


# -- limits, allow-list, errors ------------------------------------------------------------


async def test_per_user_limit_warns_once_then_recovers(seed_service, api, clock, tmp_path):
    app = await started(seed_service, api, tmp_path, user_questions_per_minute=2, clock=clock)
    try:
        for _ in range(4):
            await send(app, ZH_QUESTION)
        replies = sent_texts(api)
        assert sum("168" in t for t in replies) == 2
        warnings = [t for t in replies if "秒后再问" in t]
        assert len(warnings) == 1  # the 4th question is dropped silently
        await send(app, "/help")  # commands are not questions: never limited
        assert "/sources" in sent_texts(api)[-1]
        clock[0] += 61
        await send(app, ZH_QUESTION)
        assert "168" in sent_texts(api)[-1]
        await send(app, "高新大厦有多高", user=OTHER, chat=Chat(OTHER.id, Chat.PRIVATE))
        assert "168" in sent_texts(api)[-1]  # another reader has their own allowance
    finally:
        await app.shutdown()


def test_user_rate_limiter_window():
    now = [0.0]
    limiter = UserRateLimiter(3, clock=lambda: now[0])
    assert [limiter.check(1)[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.check(1)
    assert not allowed and 59 < wait <= 60
    assert limiter.should_warn(1, wait) and not limiter.should_warn(1, wait)
    now[0] = 30.0
    assert not limiter.check(1)[0]
    now[0] = 60.5
    assert limiter.check(1)[0]
    assert limiter.check(2)[0]


async def test_allow_list_ignores_other_chats(seed_service, api, tmp_path):
    app = await started(seed_service, api, tmp_path, allowed_chat_ids=[PRIVATE.id])
    try:
        await send(app, "/start", chat=Chat(4242, Chat.PRIVATE), user=User(4242, "X", False))
        await send(app, ZH_QUESTION, chat=Chat(4242, Chat.PRIVATE), user=User(4242, "X", False))
        assert sent_texts(api) == []
        await send(app, "/start")
        assert len(sent_texts(api)) == 1
    finally:
        await app.shutdown()


async def test_errors_are_logged_apologised_for_and_the_bot_goes_on(app, api, caplog):
    api.fail_next("sendMessage", 400, "Bad Request: replied message not found")
    with caplog.at_level(logging.ERROR, logger="bot.telegram.handlers"):
        await send(app, ZH_QUESTION)
    assert "Error while handling update" in caplog.text
    assert sent_texts(api) == [texts.APOLOGY_HTML]
    await send(app, ZH_QUESTION)
    assert "168" in sent_texts(api)[-1]


@pytest.mark.parametrize("mixed", ["How tall is the 高新大厦 building?", "Gaoxin 大厦有多高",
                                   "高新大厦有多高"])
async def test_rate_limit_warning_speaks_the_language_of_retrieval(seed_service, api, clock,
                                                                    tmp_path, mixed):
    """The warning is in the language the library would answer the question in - one rule,
    ``retrieval.language`` - even for a question mixing both scripts."""
    app = await started(seed_service, api, tmp_path, user_questions_per_minute=1, clock=clock)
    try:
        await send(app, ZH_QUESTION)
        await send(app, mixed)
        warning = sent_texts(api)[-1]
    finally:
        await app.shutdown()
    english = "please wait" in warning
    chinese = "秒后再问" in warning
    assert english != chinese
    assert ("en" if english else "zh") == language(mixed)


async def test_paging_cuts_the_same_ranking_and_never_searches_again(app, api, seed_service,
                                                                    monkeypatch):
    """The More button, /sources and /sources N page through ``AnswerService.more`` of the
    answer already given: the question is searched once, however far the reader pages."""
    asked, cut = [], []
    real_ask, real_more = seed_service.ask, seed_service.more
    monkeypatch.setattr(seed_service, "ask", lambda *a, **k: asked.append(a) or real_ask(*a, **k))
    monkeypatch.setattr(seed_service, "more", lambda *a, **k: cut.append(a) or real_more(*a, **k))
    await send(app, ZH_QUESTION)
    first = api.sent()[-1]
    answer = real_ask(ZH_QUESTION)
    if more_data(first):
        await press(app, first)
    await send(app, "/sources 8")
    await send(app, "/sources")
    assert len(asked) == 1
    assert cut and all(a[0].question == answer.question for a in cut)
    shown = html.visible_text("".join(sent_texts(api)[1:]))
    eight = real_more(answer, 8)
    for passage in eight[3:]:  # what the reader had not seen yet came from the same ranking
        assert passage.quote in shown


# -- configuration ---------------------------------------------------------------------------


def test_missing_token_is_a_one_line_error(seed_service, tmp_path):
    with pytest.raises(BotConfigError) as err:
        run_bot(seed_service.settings, tg_settings(tmp_path, token=None))
    assert "NEWSQA_TELEGRAM_TOKEN" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(BotConfigError):
        build_application(seed_service, tg_settings(tmp_path, token="  "))


def test_webhook_mode_needs_a_url(seed_service, tmp_path):
    tg = tg_settings(tmp_path, mode="webhook", webhook_url="")
    with pytest.raises(BotConfigError, match="NEWSQA_TELEGRAM_WEBHOOK_URL"):
        run_bot(seed_service.settings, tg)


def test_base_url_is_handed_to_ptb_as_is(seed_service, tmp_path):
    tg = tg_settings(tmp_path, base_url="http://127.0.0.1:9/custom/bot")
    app = build_application(seed_service, tg)
    assert app.bot.base_url == f"http://127.0.0.1:9/custom/bot{TOKEN}"
    default = build_application(seed_service, tg_settings(tmp_path))
    assert default.bot.base_url == f"https://api.telegram.org/bot{TOKEN}"


def test_webhook_options_serve_the_path_of_the_public_url(tmp_path):
    tg = tg_settings(tmp_path, mode="webhook", webhook_url="https://bot.example.org/newsqa/hook")
    options = webhook_options(tg)
    assert options["url_path"] == "newsqa/hook" and options["port"] == 8443
    assert len(options["secret_token"]) >= 32 and options["secret_token"] != webhook_options(tg)["secret_token"]


def test_token_is_redacted_from_logs(seed_service, caplog, tmp_path):
    build_application(seed_service, tg_settings(tmp_path))
    with caplog.at_level(logging.DEBUG, logger="httpx"):
        logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getMe",
                                        TOKEN)
    assert TOKEN not in caplog.text and f"bot{MASK}/getMe" in caplog.text


def test_token_is_redacted_from_tracebacks_and_stacks(seed_service, caplog, tmp_path):
    """PTB quotes a rejected token in the exception, which logging prints as a traceback."""
    from telegram.error import InvalidToken

    build_application(seed_service, tg_settings(tmp_path))
    log = logging.getLogger("telegram.ext.Application")
    with caplog.at_level(logging.DEBUG):
        try:
            raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
        except InvalidToken:
            log.exception("Invalid token. Aborting retry loop.")
        log.warning("where %s was used", TOKEN, stack_info=True)
    assert "Invalid token. Aborting retry loop." in caplog.text
    assert f"The token `{MASK}` was rejected" in caplog.text and "Traceback" in caplog.text
    assert TOKEN not in caplog.text
    for handler in logging.getLogger().handlers:  # every handler's output, as it would print
        for record in caplog.records:
            assert TOKEN not in (handler.formatter or logging.Formatter()).format(record)


# -- the newspaper as a newspaper: issues, headlines, whole articles ---------------------------


def buttons(call) -> list[tuple[str, str]]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_each_passage_has_a_full_article_button_that_opens_it_paged(app, api, seed_service):
    await send(app, ZH_QUESTION)
    first = api.sent()[-1]
    arts = [(text, data) for text, data in buttons(first) if data.startswith("art:")]
    assert [text for text, _ in arts] == [f"{n}. 全文 · Full article" for n in range(1, len(arts) + 1)]
    assert len(arts) == min(3, len(seed_service.ask(ZH_QUESTION).passages))
    passage = seed_service.ask(ZH_QUESTION).passages[0]
    await press(app, first, data=arts[0][1])
    pages = [c for c in api.sent() if c.at > first.at]
    text = pages[0].params["text"]
    assert text.startswith(f"<b>{html.esc(passage.title)}</b>") and "issue 2023-12-22 (inferred)" in text
    assert all(f"<b>{html.esc(line)}</b>" in text for line in passage.quote.split("\n")), "the quote is marked"
    article = seed_service.article(passage.article)
    seen = html.visible_text(text)
    while len(html.article_pages_html(article)) > 1 and buttons(pages[-1]):
        [(label, data)] = buttons(pages[-1])
        assert label.startswith("下一页 · Next")
        await press(app, pages[-1], data=data)
        pages = [c for c in api.sent() if c.at > first.at]
        seen += html.visible_text(pages[-1].params["text"])
    for call in pages:
        assert html.telegram_length(call.params["text"]) <= 4096
        assert html.telegram_html_problems(call.params["text"]) == []
    assert all(para[:30] in seen for para in article.text.split("\n"))


async def test_issues_issue_latest_and_article_n(app, api, seed_service):
    await send(app, "/article 1")
    assert "Ask a question or list an issue" in sent_texts(api)[-1]
    await send(app, "/issues")
    listing = sent_texts(api)[-1]
    assert listing.index("2025-03-09 (inferred)") < listing.index("2023-01-31 (inferred)")
    await send(app, "/issue 2024-01-05")
    contents = seed_service.issue("2024-01-05")
    issue_text = sent_texts(api)[-1]
    assert "002_b290fb6dc75b2668.txt" in issue_text
    assert f"1. {html.esc(contents.headlines[0].title)}" in issue_text
    await send(app, "/article 2")
    assert sent_texts(api)[-1].startswith(f"<b>{html.esc(contents.headlines[1].title)}</b>")
    await send(app, "/article 99")
    assert f"/article N（1–{len(contents.headlines)}）" in sent_texts(api)[-1]
    await send(app, "/issue 1999-01-01")
    assert "is not an issue of this archive" in sent_texts(api)[-1] and "\n" not in sent_texts(api)[-1]
    await send(app, "/issue")
    assert "Usage" in sent_texts(api)[-1]
    await send(app, "/latest")
    assert seed_service.latest().issue.key in sent_texts(api)[-1]
    await send(app, ZH_QUESTION)
    await send(app, "/article 1")
    passage = seed_service.ask(ZH_QUESTION).passages[0]
    assert all(f"<b>{html.esc(line)}</b>" in sent_texts(api)[-1] for line in passage.quote.split("\n"))
    assert all(html.telegram_html_problems(t) == [] for t in sent_texts(api))


async def test_a_follow_up_leans_on_the_chat_and_new_forgets_it(app, api):
    await send(app, "1月4日谁调研了湖南先进硬质材料产业园?")
    await send(app, "他还参加了市长陈恢清对哪位客人的会见?")
    follow = sent_texts(api)[-1]
    assert "<i>理解为：他 → 刘亚亮</i>" in follow and "宋玮" in follow
    await send(app, "/new")
    assert "New conversation" in sent_texts(api)[-1]
    await send(app, "他还参加了市长陈恢清对哪位客人的会见?")
    assert "理解为" not in sent_texts(api)[-1]


# -- inline mode ------------------------------------------------------------------------------


async def inline(app, text: str, user=USER) -> None:
    from telegram import InlineQuery

    query = InlineQuery(str(next(_ids)), user, text, "")
    query.set_bot(app.bot)
    await app.process_update(Update(next(_ids), inline_query=query))


async def test_inline_mode_offers_the_top_passages(app, api, seed_service):
    await inline(app, ZH_QUESTION)
    [call] = api.calls_to("answerInlineQuery")
    assert call.ok, call.error
    results = call.params["results"]
    passages = seed_service.ask(ZH_QUESTION).passages
    assert [r["title"] for r in results] == [html.inline_title(p) for p in passages[: len(results)]]
    assert results[0]["title"] == "“武广地标”转型记 · 2023-12-22 (inferred)"
    message = results[0]["input_message_content"]["message_text"]
    assert "<b>168米</b>" in message and "<blockquote>" in message
    assert html.telegram_html_problems(message) == []
    await inline(app, "火星上有没有水?")
    assert api.calls_to("answerInlineQuery")[-1].params["results"] == []


async def test_inline_mode_keeps_the_rate_limit_and_the_allow_list(seed_service, api, tmp_path, clock):
    app = await started(seed_service, api, tmp_path, clock=clock, user_questions_per_minute=1,
                        allowed_chat_ids=[USER.id])
    try:
        await inline(app, ZH_QUESTION)
        await inline(app, ZH_QUESTION)
        first, second = api.calls_to("answerInlineQuery")
        assert first.params["results"] and second.params["results"] == []
        assert "秒后再问" in second.params["button"]["text"]
        await inline(app, ZH_QUESTION, user=OTHER)  # not on the allow-list: ignored
        assert len(api.calls_to("answerInlineQuery")) == 2
    finally:
        await app.shutdown()
