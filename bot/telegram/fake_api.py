"""A loopback Telegram Bot API: the server the tests and ``scripts/bench_telegram.py`` run the
real bot against, on 127.0.0.1, offline.

The bot is the real python-telegram-bot ``Application`` with its ``base_url`` pointed here (or,
for handler tests, its HTTP layer calling :meth:`FakeBotAPI.request` directly). The server speaks
the Bot API's HTTP shape (``POST /bot<token>/<method>``, form or JSON parameters, ``{"ok": ...,
"result": ...}`` replies), answers 401 to any other token as Telegram does to a revoked one,
hands out queued updates through ``getUpdates`` with Telegram's offset/timeout semantics (an
offset confirms every update below it, and confirmed updates are forgotten), and records every
call. It is as strict as Telegram where it matters: text over 4096 characters or HTML that
Telegram could not parse is refused with the same 400 errors, and the call is still recorded.
:meth:`FakeBotAPI.cut_off` makes it unreachable, to pin down what reached "Telegram" before a
bot process was killed.

It lives in the package, not under tests/, because the benchmark script uses it too; nothing in
the bot itself imports it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

from bot.telegram.html import telegram_html_problems, telegram_length, visible_text

TOKEN = "123456:TEST-token-for-the-fake-server"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "newsqa",
    "username": "newsqa_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
# Parameters that arrive JSON-encoded inside form fields.
_JSON_FIELDS = {"results", "button", "reply_markup", "reply_parameters", "link_preview_options", "entities", "commands",
                "allowed_updates", "scope"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}


@dataclass
class Call:
    """One Bot API request the bot made: method, decoded parameters, when, and our reply."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool = True
    result: Any = None
    error: str | None = None


@dataclass
class Pushed:
    """An update we handed to the bot and when (for latency)."""

    update_id: int
    at: float
    message_id: int | None = None
    chat_id: int | None = None
    text: str | None = None
    kind: str = "message"  # or "edited_message", "callback_query"


class FakeBotAPI:
    """Start with :meth:`start` (or ``with FakeBotAPI() as api``); point the bot at
    :attr:`base_url`; push updates with :meth:`push_text` & co; read :attr:`calls`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.pushed: list[Pushed] = []
        self._updates: list[dict] = []  # not yet confirmed
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message
        self._closing = False
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reachable = threading.Event()
        self._reachable.set()
        self.users: dict[int, dict] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeBotAPI":
        api = self

        class Handler(_Handler):
            fake = api

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self.reconnect()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeBotAPI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}/bot"

    # -- what a user does --------------------------------------------------------------------

    def user(self, user_id: int, first_name: str | None = None) -> dict:
        return self.users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": first_name or f"Reader{user_id}",
             "language_code": "zh-hans"},
        )

    def chat(self, chat_id: int, chat_type: str | None = None) -> dict:
        chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = self.user(chat_id)["first_name"]
        else:
            chat["title"] = f"Group {chat_id}"
        return chat

    def push_message(self, chat_id: int, user_id: int | None = None, **fields: Any) -> Pushed:
        """Queue a ``message`` update; ``fields`` become Message fields (text, sticker...)."""
        user_id = user_id if user_id is not None else abs(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.user(user_id),
            **fields,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return self._push({"message": message}, message)

    def push_text(
        self, chat_id: int, text: str, user_id: int | None = None, reply_to: int | None = None
    ) -> Pushed:
        """A user typing ``text``; commands and @mentions get the entities Telegram would add."""
        fields: dict[str, Any] = {"text": text}
        entities = _entities(text)
        if entities:
            fields["entities"] = entities
        if reply_to is not None:
            fields["reply_to_message"] = self._messages[(chat_id, reply_to)]
        return self.push_message(chat_id, user_id, **fields)

    def push_edit(self, chat_id: int, message_id: int, text: str) -> Pushed:
        message = dict(self._messages[(chat_id, message_id)], text=text,
                       edit_date=int(time.time()))
        return self._push({"edited_message": message}, message)

    def push_callback(self, chat_id: int, message_id: int, data: str,
                      user_id: int | None = None) -> Pushed:
        """A user pressing an inline button on the bot's message ``message_id``."""
        user_id = user_id if user_id is not None else abs(chat_id)
        query = {
            "id": str(next(self._update_ids) * 7919),
            "from": self.user(user_id),
            "chat_instance": f"ci{chat_id}",
            "message": self._messages[(chat_id, message_id)],
            "data": data,
        }
        pushed = self._push({"callback_query": query}, None, chat_id=chat_id)
        pushed.text = data  # what the transcript shows for the press
        return pushed

    def push_inline_query(self, user_id: int, query: str) -> Pushed:
        """A user typing ``@bot query`` in any chat."""
        inline = {"id": str(next(self._update_ids) * 7907), "from": self.user(user_id), "query": query, "offset": ""}
        pushed = self._push({"inline_query": inline}, None, chat_id=user_id)
        pushed.text = query
        return pushed

    def at_once(self) -> threading.Condition:
        """``with api.at_once(): api.push_text(...)...`` - the updates pushed inside reach the
        bot together, in one ``getUpdates`` answer."""
        return self._cond

    def _push(self, body: dict, message: dict | None, chat_id: int | None = None) -> Pushed:
        with self._cond:
            update = {"update_id": next(self._update_ids), **body}
            pushed = Pushed(
                update["update_id"],
                time.perf_counter(),
                message and message["message_id"],
                message["chat"]["id"] if message else chat_id,
                message and message.get("text"),
                next(iter(body)),
            )
            self.pushed.append(pushed)
            self._updates.append(update)
            self._cond.notify_all()
            return pushed

    # -- what the tests read -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls (to ``chat_id`` if given), in arrival order."""
        return [
            c for c in self.calls_to("sendMessage")
            if c.ok and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def replies_to(self, chat_id: int, message_id: int) -> list[Call]:
        """sendMessage calls that quote the user's message ``message_id``."""
        return [
            c for c in self.sent(chat_id)
            if (c.params.get("reply_parameters") or {}).get("message_id") == message_id
            or _int(c.params.get("reply_to_message_id")) == message_id
        ]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait (without blocking the bot's event loop) until ``predicate()`` holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for the bot")
            await asyncio.sleep(0.005)

    async def wait_for_reply(self, pushed: Pushed, timeout: float = 20.0) -> list[Call]:
        """Wait until the bot has sent something to ``pushed``'s chat after it, and has gone
        quiet; returns every message it sent there since (answers can span several)."""
        def since() -> list[Call]:
            return [c for c in self.sent(pushed.chat_id) if c.at >= pushed.at]

        await self.wait_for(lambda: bool(since()), timeout)
        await self.settle()
        return since()

    async def settle(self, quiet: float = 0.15) -> None:
        """Wait until no call has arrived for ``quiet`` seconds."""
        while True:
            n = len(self.calls)
            await asyncio.sleep(quiet)
            if len(self.calls) == n:
                return

    def fail_next(self, method: str, status: int = 400,
                  description: str = "Bad Request: chat not found") -> None:
        """Make the next ``method`` call fail the way Telegram would (once)."""
        with self._cond:
            self._failures.setdefault(method, []).append((status, description))

    def unconfirmed(self) -> list[int]:
        """Ids of the updates the bot has not confirmed yet (Telegram would deliver them again)."""
        with self._cond:
            return [u["update_id"] for u in self._updates]

    def cut_off(self) -> None:
        """From now on, requests hang and are never handled, as if the network to Telegram were
        gone; requests already being handled finish normally. :meth:`reconnect` ends it, and the
        requests that hung meanwhile are then dropped unanswered - they never reached Telegram."""
        self._reachable.clear()

    def reconnect(self) -> None:
        self._reachable.set()

    def _admit(self) -> bool:
        """Called as a request arrives: False if it arrived while cut off (after waiting out the
        cut, so the client sees no answer for as long as it lasts)."""
        if self._reachable.is_set():
            return True
        self._reachable.wait()
        return False

    # -- the Bot API -------------------------------------------------------------------------

    def request(self, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        """Serve ``/bot<token>/<method>`` with decoded ``params``: 401 for another token, as
        Telegram answers a revoked or mistyped one."""
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        return self.handle(path[len(prefix):], _normalize(params))

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        call = Call(method, params, time.perf_counter())
        with self._cond:
            failure = self._failures.get(method) and self._failures[method].pop(0)
        if failure:
            status, body = _error(HTTPStatus(failure[0]), failure[1])
        else:
            status, body = self._dispatch(method, params)
        call.ok = body.get("ok", False)
        call.result = body.get("result")
        call.error = body.get("description")
        if method != "getUpdates" or call.result:
            with self._cond:
                self.calls.append(call)
        return status, body

    def _dispatch(self, method: str, p: dict[str, Any]) -> tuple[int, dict]:
        simple_true = {"deleteWebhook", "setMyCommands", "sendChatAction", "answerCallbackQuery",
                       "setWebhook", "deleteMyCommands", "close", "logOut"}
        if method == "getMe":
            return _ok(BOT_USER)
        if method in simple_true:
            return _ok(True)
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method == "getUpdates":
            return _ok(self._get_updates(p))
        if method == "sendMessage":
            return self._send_message(p)
        if method == "answerInlineQuery":
            # each result's message must be one Telegram would accept
            for result in p.get("results") or []:
                content = result.get("input_message_content") or {}
                problem = self._check_text({"text": content.get("message_text"), "parse_mode": content.get("parse_mode", "")})
                if problem:
                    return _error(HTTPStatus.BAD_REQUEST, problem)
            return _ok(True)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit_message(method, p)
        return _error(HTTPStatus.NOT_FOUND, "Not Found")

    def _get_updates(self, p: dict[str, Any]) -> list[dict]:
        """Telegram's semantics: updates below ``offset`` are confirmed and forgotten; wait up
        to ``timeout`` seconds for new ones; return at most ``limit``."""
        offset = _int(p.get("offset")) or 0
        limit = max(1, min(100, _int(p.get("limit")) or 100))
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closing:
                    return self._updates[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def _check_text(self, p: dict[str, Any]) -> str | None:
        text = p.get("text")
        if not text:
            return "Bad Request: message text is empty"
        if p.get("parse_mode", "").lower() == "html":
            problems = telegram_html_problems(text)
            if problems:
                return f"Bad Request: can't parse entities: {problems[0]}"
            text = visible_text(text)
        if telegram_length(text) > 4096:
            return "Bad Request: message is too long"
        return None

    def _send_message(self, p: dict[str, Any]) -> tuple[int, dict]:
        problem = self._check_text(p)
        if problem:
            return _error(HTTPStatus.BAD_REQUEST, problem)
        chat_id = _int(p["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": BOT_USER,
            "text": visible_text(p["text"]) if p.get("parse_mode") else p["text"],
        }
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        reply_to = (p.get("reply_parameters") or {}).get("message_id")
        if reply_to and (chat_id, reply_to) in self._messages:
            message["reply_to_message"] = self._messages[(chat_id, reply_to)]
        self._messages[(chat_id, message["message_id"])] = message
        return _ok(message)

    def _edit_message(self, method: str, p: dict[str, Any]) -> tuple[int, dict]:
        key = (_int(p.get("chat_id")), _int(p.get("message_id")))
        if key not in self._messages:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: message to edit not found")
        message = dict(self._messages[key])
        if method == "editMessageText":
            problem = self._check_text(p)
            if problem:
                return _error(HTTPStatus.BAD_REQUEST, problem)
            message["text"] = visible_text(p["text"]) if p.get("parse_mode") else p["text"]
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        else:
            message.pop("reply_markup", None)
        self._messages[key] = message
        return _ok(message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (the bot shutting down mid long-poll) is not news."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like api.telegram.org; one thread per connection."""

    protocol_version = "HTTP/1.1"
    fake: FakeBotAPI

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.fake._admit():  # sent while "Telegram" was unreachable: never arrived
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        status, body = self.fake.request(path, _decode(raw, self.headers.get("Content-Type", ""), query))
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


def _decode(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or b"{}")
    if "multipart" in content_type:
        raise NotImplementedError("the bot does not upload files")
    return dict(parse_qsl(query)) | dict(parse_qsl(raw.decode("utf-8")))


def _normalize(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as values: JSON-encoded fields decoded, ids as numbers (form fields are text)."""
    params = dict(params)
    for key in _JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    for key in _INT_FIELDS & params.keys():
        params[key] = _int(params[key]) if _int(params[key]) is not None else params[key]
    return params


def _entities(text: str) -> list[dict]:
    """The entities Telegram's clients attach: a leading bot command and @mentions (UTF-16)."""
    entities = []
    for match in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]+(@\w+)?|@\w{5,}", text):
        kind = "bot_command" if match.group().startswith("/") else "mention"
        if kind == "bot_command" and match.start() != 0:
            continue
        entities.append({
            "type": kind,
            "offset": telegram_length(text[: match.start()]),
            "length": telegram_length(match.group()),
        })
    return entities


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ok(result: Any) -> tuple[int, dict]:
    return HTTPStatus.OK, {"ok": True, "result": result}


def _error(status: HTTPStatus, description: str) -> tuple[int, dict]:
    return status, {"ok": False, "error_code": int(status), "description": description}


