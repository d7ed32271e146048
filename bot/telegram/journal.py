"""No question lost when the bot process dies: every update is on disk before Telegram forgets it.

Telegram keeps an update until the bot confirms it, and python-telegram-bot confirms a batch by
asking for the next one (``getUpdates(offset=last + 1)``) as soon as the batch is *queued*, long
before it is answered. A bot killed with 30 questions queued therefore loses all 30. So each
update is written to a small SQLite journal (stdlib ``sqlite3``, WAL) on its way into the queue:
the polling loop awaits :meth:`JournaledUpdateQueue.put` for every update of a batch before it
asks for the next one, and the webhook server does before it answers Telegram's POST. When its
handlers are done (the answer sent), :class:`JournaledUpdateProcessor` marks the update answered.
On start, :meth:`JournaledUpdateQueue.replay` queues what was received but never answered, ahead
of anything new.

An answered update keeps its row, without its content, for a day: Telegram may deliver an
update again when its confirmation was lost with the process, and an update id the journal has
already seen - answered or still waiting - is never handled twice. After 24 hours Telegram no
longer re-delivers anything, so older rows are pruned. An update whose handling killed the
process is replayed at most :data:`MAX_REPLAYS` times, so one poison message cannot keep the
bot in a crash loop.

What remains is the instant between Telegram accepting an answer and the journal recording it:
a process killed exactly then sends that answer again on restart. No Bot API call can be made
idempotent, so that window is only kept as short as one SQLite commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.settings import BotConfigError

log = logging.getLogger(__name__)

#: How often an update that was being handled when the process died is handled again.
MAX_REPLAYS = 3
#: Telegram re-delivers an unconfirmed update for at most this long; older rows are pruned.
KEEP_SECONDS = 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    bot       TEXT    NOT NULL,            -- the bot id (update ids are per bot)
    update_id INTEGER NOT NULL,
    body      TEXT,                        -- the update as JSON; NULL once answered
    received  REAL    NOT NULL,
    answered  REAL,                        -- when its handlers finished; NULL while waiting
    replays   INTEGER NOT NULL DEFAULT 0,  -- how often it was queued again after a restart
    PRIMARY KEY (bot, update_id)
)
"""


class UpdateJournal:
    """The journal file of one bot. Not thread-safe: used from the bot's event loop only.

    ``bot`` keys the rows: update ids are numbered per bot, so switching to another bot's token
    must neither replay the old bot's questions nor take its ids for already answered."""

    def __init__(self, path: Path, bot: str) -> None:
        self.path = Path(path)
        self.bot = bot
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # A commit survives the process being killed; only a power cut may lose the last one.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            db.execute("DELETE FROM updates WHERE answered < ?", (time.time() - KEEP_SECONDS,))
        except (OSError, sqlite3.Error) as err:
            raise BotConfigError(
                f"Cannot open the update queue {self.path} (NEWSQA_TELEGRAM_QUEUE_PATH): {err}"
            ) from None
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the update journal is not open")
        return self._db

    def record(self, update_id: int, body: str) -> bool:
        """Write a received update; False if this id was seen before (answered or waiting)."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO updates (bot, update_id, body, received) VALUES (?, ?, ?, ?)",
            (self.bot, update_id, body, time.time()),
        )
        return cursor.rowcount == 1

    def answered(self, update_id: int) -> None:
        """The update's handlers are done: forget its content, remember its id."""
        self.db.execute(
            "UPDATE updates SET body = NULL, answered = ? WHERE bot = ? AND update_id = ?",
            (time.time(), self.bot, update_id),
        )

    def unanswered(self) -> list[tuple[int, str]]:
        """``(update_id, body)`` of every update received but not answered, oldest first, each
        counted as replayed once more; those replayed :data:`MAX_REPLAYS` times are given up."""
        rows = self.db.execute(
            "SELECT update_id, body, replays FROM updates"
            " WHERE bot = ? AND answered IS NULL ORDER BY update_id",
            (self.bot,),
        ).fetchall()
        waiting = []
        for update_id, body, replays in rows:
            if replays >= MAX_REPLAYS:
                log.warning("Giving up on update %s: the bot died %s times handling it",
                            update_id, replays + 1)
                self.answered(update_id)
                continue
            self.db.execute(
                "UPDATE updates SET replays = replays + 1 WHERE bot = ? AND update_id = ?",
                (self.bot, update_id),
            )
            waiting.append((update_id, body))
        return waiting


class JournaledUpdateQueue(asyncio.Queue):
    """The :class:`~telegram.ext.Application`'s update queue (``ApplicationBuilder.update_queue``),
    writing every :class:`~telegram.Update` to the journal before it is queued and dropping one
    the journal has already seen. Anything else PTB queues (its stop signal) passes through."""

    def __init__(self, journal: UpdateJournal) -> None:
        super().__init__()
        self.journal = journal

    def put_nowait(self, item: Any) -> None:  # asyncio.Queue.put ends in put_nowait too
        if isinstance(item, Update) and not self.journal.record(item.update_id, item.to_json()):
            log.info("Update %s was received before; not handling it twice", item.update_id)
            return
        super().put_nowait(item)

    def replay(self, bot: Bot) -> int:
        """Queue the updates received but never answered by an earlier run; how many."""
        waiting = self.journal.unanswered()
        for _, body in waiting:
            super().put_nowait(Update.de_json(json.loads(body), bot))
        if waiting:
            log.info("Answering %d question(s) received before the last stop first", len(waiting))
        return len(waiting)


class JournaledUpdateProcessor(BaseUpdateProcessor):
    """Runs up to ``max_concurrent_updates`` updates at once (as PTB's simple processor does) and
    marks each answered in the journal when its handlers are done. It owns the journal's file:
    opened when the application is initialised, closed when it shuts down."""

    def __init__(self, journal: UpdateJournal, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.journal = journal

    async def initialize(self) -> None:
        self.journal.open()

    async def shutdown(self) -> None:
        self.journal.close()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine  # PTB hands handler errors to the error handler; this returns normally
        if isinstance(update, Update):
            self.journal.answered(update.update_id)
