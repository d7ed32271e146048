"""End to end: the real ``Application`` long-polling a fake Bot API server on 127.0.0.1.

Nothing in the bot is replaced: python-telegram-bot makes real HTTP requests (getMe,
deleteWebhook, setMyCommands, getUpdates with offsets, sendMessage...) to the loopback Bot API
(``bot/telegram/fake_api.py``) this test starts, and the answering service is the real one over
the seed issues. The test plays a reader and asserts on what the bot actually sent back. Run with
``-s`` to see the transcript. ``tests/test_telegram_process.py`` runs ``newsqa bot`` itself.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot import formatting as fmt
from bot.telegram import BotConfigError, build_application, html, run_bot
from bot.telegram.app import webhook_options
from bot.telegram.burst import running_bot
from bot.telegram.fake_api import TOKEN, FakeBotAPI
from telegram_harness import tg_settings

CHAT = 777
GROUP = -100777
ZH = "高新大厦有多高?"
EN = "How tall is the Gaoxin Building?"
NOT_IN_PAPER = "火星上有没有水?"
HOSTILE_HTML = "<b>高新大厦</b> & 有多高? </blockquote><i>"
HOSTILE_LONG = "高新大厦有多高" * 715  # 5,005 characters
HOSTILE_EMOJI = "😀🎉🚄🏢"


@pytest.fixture
async def bot_api(seed_service, tmp_path):
    """A started fake server and the real bot polling it; yields the server."""
    with FakeBotAPI() as api:
        app = build_application(seed_service, tg_settings(tmp_path, base_url=api.base_url))
        async with running_bot(app):
            yield api


def transcript(api: FakeBotAPI) -> str:
    """What the reader sent and what the bot did, in order (bot messages as raw HTML)."""
    events: list[tuple[float, str]] = []
    for p in api.pushed:
        who = "reader" if p.chat_id and p.chat_id > 0 else f"group {p.chat_id}"
        shown = fmt.shorten(p.text, 120) if p.text is not None else "(sends a sticker)"
        if p.kind == "callback_query":
            shown = f"(presses the button {p.text})"
        elif p.kind == "edited_message":
            shown = f"(edits an earlier message to: {p.text})"
        events.append((p.at, f">>> {who}: {shown}" + (
            f"   [{len(p.text)} characters]" if p.text and len(p.text) > 120 else "")))
    for c in api.calls:
        if c.method == "sendMessage":
            quoted = (c.params.get("reply_parameters") or {}).get("message_id")
            rows = (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
            button = "".join(f" [button: {b['text']}]" for row in rows for b in row)
            status = "" if c.ok else f"   !! REJECTED: {c.error}"
            head = f"<<< bot (sendMessage, parse_mode={c.params.get('parse_mode')}" + (
                f", replying to #{quoted}" if quoted else "") + f"){button}{status}"
            events.append((c.at, head + "\n" + c.params["text"]))
        elif c.method in ("editMessageReplyMarkup", "answerCallbackQuery", "setMyCommands",
                          "deleteWebhook", "getMe"):
            events.append((c.at, f"<<< bot ({c.method})"))
    return "\n\n".join(text for _, text in sorted(events, key=lambda e: e[0]))


def assert_valid_reply(call) -> None:
    assert call.ok, call.error
    assert call.params["parse_mode"] == "HTML"
    assert html.telegram_length(call.params["text"]) <= 4096
    assert html.telegram_html_problems(call.params["text"]) == []


async def test_conversation(bot_api: FakeBotAPI, seed_service, caplog):
    api = bot_api
    caplog.set_level(logging.DEBUG)

    try:
        # /start
        start = await api.wait_for_reply(api.push_text(CHAT, "/start"))
        assert "株洲日报" in start[0].params["text"] and "高新大厦有多高" in start[0].params["text"]

        # a Chinese question: the quote that answers it, with its headline
        [zh] = (await api.wait_for_reply(api.push_text(CHAT, ZH)))[:1]
        zh_text = zh.params["text"]
        assert "168" in zh_text and "“武广地标”转型记" in zh_text
        assert "168米" in [bold.split("</b>")[0] for bold in zh_text.split("<b>")[2:]]
        assert "原文" in zh_text  # a Chinese header for a Chinese question

        # the "more" button pages on to the rest of that answer
        buttons = [b["callback_data"] for row in zh.params["reply_markup"]["inline_keyboard"] for b in row]
        if any(d.startswith("more:") for d in buttons):
            data = next(d for d in buttons if d.startswith("more:"))
            sent_before = len(api.sent(CHAT))
            api.push_callback(CHAT, zh.result["message_id"], data)
            await api.wait_for(lambda: len(api.sent(CHAT)) > sent_before)
            await api.settle()
            assert api.calls_to("answerCallbackQuery")
            assert api.calls_to("editMessageReplyMarkup")[-1].params["message_id"] == zh.result["message_id"]
            page2 = api.sent(CHAT)[-1].params["text"]
            assert "<blockquote>" in page2 and "第 4–" in page2

        # an English question: answered from the Chinese paper, header in English
        [en] = (await api.wait_for_reply(api.push_text(CHAT, EN)))[:1]
        assert "168" in en.params["text"] and "What the 株洲日报" in en.params["text"]

        # hostile input: markup in the question comes back escaped and the reply still parses
        [hostile] = (await api.wait_for_reply(api.push_text(CHAT, HOSTILE_HTML)))[:1]
        assert "&lt;b&gt;高新大厦&lt;/b&gt; &amp; 有多高? &lt;/blockquote&gt;&lt;i&gt;" in hostile.params["text"]

        # 5,000 characters: refused with a reason, not searched
        [long_reply] = await api.wait_for_reply(api.push_text(CHAT, HOSTILE_LONG))
        assert "too long" in long_reply.params["text"] and "<blockquote>" not in long_reply.params["text"]

        # only emoji: refused (nothing to search for), no quotes
        [emoji] = await api.wait_for_reply(api.push_text(CHAT, HOSTILE_EMOJI))
        assert "<blockquote>" not in emoji.params["text"]

        # a sticker gets a polite line; an edited message is ignored
        await api.wait_for_reply(api.push_message(CHAT, sticker={
            "file_id": "f", "file_unique_id": "u", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "type": "regular"}))
        n = len(api.sent(CHAT))
        api.push_edit(CHAT, api.pushed[1].message_id, "株洲有多少人?")

        # in a group: silent unless mentioned
        api.push_text(GROUP, ZH, user_id=5)
        mention = api.push_text(GROUP, f"@newsqa_test_bot {ZH}", user_id=5)
        [group_reply] = (await api.wait_for_reply(mention))[:1]
        assert "168" in group_reply.params["text"]
        assert len(api.sent(CHAT)) == n  # the edit produced nothing
        assert len(api.sent(GROUP)) == len(api.replies_to(GROUP, mention.message_id))

        # what the paper never said: a plain "not found", no quotes
        [nf] = await api.wait_for_reply(api.push_text(CHAT, NOT_IN_PAPER))
        assert "没有找到" in nf.params["text"] and "<blockquote>" not in nf.params["text"]
        assert "reply_markup" not in nf.params
    finally:  # the transcript is shown (with -s) whether or not an assertion failed
        record = transcript(api)
        print("\n" + record)
        if os.environ.get("NEWSQA_E2E_TRANSCRIPT"):  # e.g. kept as a CI artifact
            Path(os.environ["NEWSQA_E2E_TRANSCRIPT"]).write_text(record + "\n", encoding="utf-8")

    # every message the bot sent: accepted by the server, HTML parse mode, valid, under the limit
    assert [c for c in api.calls if not c.ok] == []
    for call in api.sent():
        assert_valid_reply(call)
    # the bot set itself up like a real one
    assert api.calls_to("getMe") and api.calls_to("deleteWebhook") and api.calls_to("setMyCommands")
    # and never let the token into a log line
    assert TOKEN not in caplog.text


async def test_webhook_mode(seed_service, tmp_path):
    """Webhook mode as ``run_bot`` configures it: the bot registers the webhook (with a secret)
    on the Bot API, serves the URL's path, and answers an update Telegram posts there."""
    import json
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with FakeBotAPI() as api:
        settings = tg_settings(
            tmp_path, base_url=api.base_url, mode="webhook",
            webhook_url=f"http://127.0.0.1:{port}/newsqa/hook", webhook_listen="127.0.0.1",
            webhook_port=port,
        )
        app = build_application(seed_service, settings)
        options = webhook_options(settings)
        assert options["url_path"] == "newsqa/hook"
        async with app:
            await app.updater.start_webhook(**options)
            await app.start()
            try:
                [hook] = api.calls_to("setWebhook")
                assert hook.params["url"] == settings.webhook_url
                assert hook.params["secret_token"] == options["secret_token"]
                assert hook.params["allowed_updates"] == ["message", "callback_query", "inline_query"]
                update = {"update_id": 1, "message": {
                    "message_id": 1, "date": 0, "text": ZH,
                    "chat": {"id": CHAT, "type": "private", "first_name": "R"},
                    "from": {"id": CHAT, "is_bot": False, "first_name": "R"}}}
                async with httpx.AsyncClient() as client:
                    forged = await client.post(settings.webhook_url, json=update)
                    assert forged.status_code == 403  # no secret: not from Telegram
                    posted = await client.post(
                        settings.webhook_url, content=json.dumps(update),
                        headers={"X-Telegram-Bot-Api-Secret-Token": options["secret_token"],
                                 "Content-Type": "application/json"})
                    assert posted.status_code == 200
                await api.wait_for(lambda: bool(api.sent(CHAT)))
                assert "168" in api.sent(CHAT)[0].params["text"]
            finally:
                await app.updater.stop()
                await app.stop()


def test_run_bot_reports_a_rejected_token_in_one_line(seed_service, tmp_path):
    """``run_bot`` for real against a Bot API that answers 401, as Telegram does for a revoked
    token: one line, no token, no traceback."""
    wrong = "999999:not-the-token-the-server-knows"
    with FakeBotAPI() as api:
        settings = tg_settings(tmp_path, token=wrong, base_url=api.base_url)
        with pytest.raises(BotConfigError) as err:
            run_bot(seed_service.settings, settings)
    message = str(err.value)
    assert "rejected" in message and "NEWSQA_TELEGRAM_TOKEN" in message
    assert wrong not in message and "\n" not in message


async def test_browsing_and_the_full_article_over_loopback(bot_api: FakeBotAPI, seed_service):
    """/latest, /issue, a date question, the 全文 button under a quote and /article N, through
    the real bot polling the loopback Bot API."""
    api = bot_api
    try:
        [latest] = await api.wait_for_reply(api.push_text(CHAT, "/latest"))
        assert "2025-03-09 (inferred)" in latest.params["text"]
        [issue] = await api.wait_for_reply(api.push_text(CHAT, "/issue 2024-01-05"))
        assert "1. 做大做强硬质合金产业集群 · 1月4日" in issue.params["text"]
        [dated] = (await api.wait_for_reply(api.push_text(CHAT, "3月9日哪个项目复工了?")))[:1]
        assert "日期：03-09" in dated.params["text"] and "蓝谷小镇" in dated.params["text"]
        data = dated.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert data.startswith("art:")
        sent_before = len(api.sent(CHAT))
        api.push_callback(CHAT, dated.result["message_id"], data)
        await api.wait_for(lambda: len(api.sent(CHAT)) > sent_before)
        await api.settle()
        article = api.sent(CHAT)[-1].params["text"]
        quote = seed_service.ask("3月9日哪个项目复工了?").passages[0].quote
        assert all(f"<b>{html.esc(line)}</b>" in article for line in quote.split("\n"))
        [by_number] = await api.wait_for_reply(api.push_text(CHAT, "/article 1"))
        assert by_number.params["text"].split("\n")[0] == article.split("\n")[0]
    finally:
        print("\n" + transcript(api))
    for call in api.sent():
        assert_valid_reply(call)


async def test_inline_mode_over_loopback(bot_api: FakeBotAPI):
    api = bot_api
    api.push_inline_query(4242, ZH)
    await api.wait_for(lambda: bool(api.calls_to("answerInlineQuery")))
    [call] = api.calls_to("answerInlineQuery")
    assert call.ok and "168米" in call.params["results"][0]["input_message_content"]["message_text"]
