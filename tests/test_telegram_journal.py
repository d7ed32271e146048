"""The update journal on its own, with real SQLite and real PTB updates: what is queued, what is
replayed, and what is never handled twice. (The process-level proof - SIGKILL mid-burst, restart -
is in tests/test_telegram_process.py.)"""

from __future__ import annotations

import datetime as dtm
import json

import pytest
from telegram import Bot, Chat, Message, Update, User

from bot.telegram import BotConfigError
from bot.telegram.fake_api import TOKEN
from bot.telegram.journal import MAX_REPLAYS, JournaledUpdateQueue, UpdateJournal

BOT = Bot(TOKEN)


def update(update_id: int, text: str = "高新大厦有多高？") -> Update:
    user = User(7, "Reader", False)
    message = Message(update_id * 10, dtm.datetime(2025, 1, 1, tzinfo=dtm.timezone.utc),
                      Chat(7, Chat.PRIVATE), from_user=user, text=text)
    return Update(update_id, message=message)


@pytest.fixture
def journal(tmp_path):
    j = UpdateJournal(tmp_path / "updates.sqlite3", bot="123456")
    j.open()
    yield j
    j.close()


async def test_an_update_is_on_disk_before_it_is_queued_and_gone_once_answered(journal, tmp_path):
    queue = JournaledUpdateQueue(journal)
    await queue.put(update(1))
    again = UpdateJournal(tmp_path / "updates.sqlite3", bot="123456")  # another connection
    again.open()
    try:
        [(update_id, body)] = again.unanswered()
        assert update_id == 1 and json.loads(body)["message"]["text"] == "高新大厦有多高？"
        journal.answered(1)
        assert again.unanswered() == []
        rows = again.db.execute("SELECT * FROM updates").fetchall()
        assert len(rows) == 1 and "message" not in str(rows)  # the id is kept, the text is not
    finally:
        again.close()


async def test_a_redelivered_or_answered_update_is_not_queued_again(journal):
    queue = JournaledUpdateQueue(journal)
    await queue.put(update(1))
    await queue.put(update(1))  # Telegram sends it again: its confirmation was lost
    await queue.put(update(2))
    journal.answered(2)
    await queue.put(update(2))  # already answered
    queue.put_nowait(object())  # PTB's own signals pass through untouched
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [i.update_id for i in items if isinstance(i, Update)] == [1, 2]
    assert len(items) == 3


async def test_a_restart_replays_the_unanswered_first_and_in_order(journal, tmp_path):
    before = JournaledUpdateQueue(journal)
    for i in (3, 1, 2):
        await before.put(update(i))
    journal.answered(2)
    journal.close()

    journal.open()  # the next run
    after = JournaledUpdateQueue(journal)
    assert after.replay(BOT) == 2
    await after.put(update(1))  # Telegram re-delivers one of them too: handled once
    await after.put(update(4))
    replayed = [after.get_nowait() for _ in range(after.qsize())]
    assert [u.update_id for u in replayed] == [1, 3, 4]
    assert replayed[0].message.text == "高新大厦有多高？" and replayed[0].message.chat.id == 7


def test_a_poison_update_is_given_up_after_a_few_replays(journal):
    journal.record(9, update(9).to_json())
    for _ in range(MAX_REPLAYS):
        assert [u for u, _ in journal.unanswered()] == [9]
    assert journal.unanswered() == []


def test_update_ids_are_per_bot(journal, tmp_path):
    journal.record(5, update(5).to_json())
    other = UpdateJournal(tmp_path / "updates.sqlite3", bot="654321")
    other.open()
    try:
        assert other.unanswered() == []
        assert other.record(5, update(5).to_json())  # not mistaken for the first bot's update 5
    finally:
        other.close()


def test_an_unusable_queue_path_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    journal = UpdateJournal(tmp_path / "file" / "updates.sqlite3", bot="1")
    with pytest.raises(BotConfigError) as err:
        journal.open()
    assert "NEWSQA_TELEGRAM_QUEUE_PATH" in str(err.value) and "\n" not in str(err.value)
