"""Keeping the bot token out of everything logging writes.

The token is part of every Bot API URL, so it turns up where nobody wrote it: httpx (INFO) and
python-telegram-bot (DEBUG) log URLs, and PTB's :class:`~telegram.error.InvalidToken` says "The
token `…` was rejected by the server" - text that reaches the log only as a traceback. So
redacting log *messages* is not enough: the traceback and the stack of a record must be redacted
too. That is done once, where records are made (a log record factory), so it holds for every
logger and every handler, including ones configured after the bot started.
"""

from __future__ import annotations

import logging
import traceback

MASK = "<token>"

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``<token>``."""
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return text


def redact_secret(secret: str) -> None:
    """From now on, show ``secret`` as ``<token>`` in every log record: in its message and its
    arguments, in the traceback of ``exc_info`` and in ``stack_info``."""
    global _installed
    if secret:
        _secrets.add(secret)
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    """Redact ``record`` in place, touching nothing when it holds no secret.

    A traceback that holds the secret is formatted here, redacted, into ``exc_text`` - which
    :class:`logging.Formatter` prints as it is - and ``exc_info`` is dropped, so no handler can
    format the exception again from the original objects.
    """
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logger's problem, not ours
        message = str(record.msg)
    if redact(message) != message:
        record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if redact(text) != text:
            record.exc_text, record.exc_info = redact(text), None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
