"""``newsqa bot`` as a process (the real ``bot.cli``), against the loopback Bot API on 127.0.0.1:
what the operator sees when the token is wrong, and what happens to readers' questions when the
process dies (issue 13)."""

from __future__ import annotations

import signal
import time

from bot.telegram.fake_api import TOKEN, FakeBotAPI
from bot.telegram.journal import UpdateJournal
from telegram_harness import bot_process

#: Seconds a bot process may take to start (model load) and answer a burst on 2 cores.
STARTUP = 180


def test_a_rejected_token_is_one_line_without_the_token(seed_settings, tmp_path):
    """Telegram answers 401 to a revoked or mistyped token; PTB then raises an error quoting the
    token, inside a logged traceback. The operator must get one line and exit code 2 instead."""
    wrong = "999999:AAHnot-the-token-the-server-knows"
    output = tmp_path / "bot.log"
    with FakeBotAPI() as api:
        process = bot_process(api, seed_settings, tmp_path / "updates.sqlite3", output, token=wrong)
        code = process.wait(timeout=STARTUP)
    printed = output.read_text(encoding="utf-8")
    assert wrong not in printed and wrong.partition(":")[2] not in printed
    assert printed.splitlines() == [
        "newsqa: Telegram rejected the bot token in NEWSQA_TELEGRAM_TOKEN: check it with @BotFather."
    ], printed
    assert code == 2


async def test_a_killed_bot_answers_every_question_exactly_once_after_a_restart(
    seed_service, seed_settings, tmp_path  # seed_service: the index the processes open is built
):
    """30 readers ask at once; the bot fetches all 30 (and so confirms them to Telegram, which
    forgets them), answers a few and is killed with SIGKILL. Restarted, it must answer the rest
    from its journal - every question exactly once. Then a SIGTERM with questions in flight
    still answers them all before the process exits (code 0)."""
    queue, output = tmp_path / "updates.sqlite3", tmp_path / "bot.log"
    with FakeBotAPI() as api:
        with api.at_once():  # queued before the bot starts: its first getUpdates gets all 30
            burst = [api.push_text(20_000 + i, "高新大厦有多高？") for i in range(30)]

        first = bot_process(api, seed_settings, queue, output)
        try:
            await api.wait_for(lambda: len(api.sent()) >= 3, timeout=STARTUP)
            # What reached "Telegram" is fixed from here: the network goes, then the process.
            api.cut_off()
            time.sleep(0.5)  # answers already accepted get recorded as answered meanwhile
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            first.kill()
            api.reconnect()
        answered_before = [p for p in burst if replies(api, p)]
        assert 0 < len(answered_before) < len(burst)
        assert api.unconfirmed() == []  # the case: confirmed, so Telegram will not resend

        second = bot_process(api, seed_settings, queue, output)
        try:
            await api.wait_for(lambda: all(replies(api, p) for p in burst), timeout=STARTUP)
            with api.at_once():
                late = [api.push_text(30_000 + i, "How tall is the Gaoxin Building?")
                        for i in range(10)]
            await api.wait_for(lambda: not api.unconfirmed(), timeout=30)  # fetched
            in_flight = [p for p in late if not replies(api, p)]
            second.send_signal(signal.SIGTERM)
            code = second.wait(timeout=60)
        finally:
            second.kill()
        await api.settle()

    printed = output.read_text(encoding="utf-8")
    assert TOKEN not in printed
    assert code == 0, printed
    assert in_flight, "SIGTERM came after every late question was answered: nothing drained"
    counts = {p.update_id: len(replies(api, p)) for p in burst + late}
    assert [u for u, n in counts.items() if n == 0] == [], "lost questions"
    assert [u for u, n in counts.items() if n > 1] == [], "questions answered twice"
    journal = UpdateJournal(queue, bot=TOKEN.partition(":")[0])
    journal.open()
    try:
        assert journal.unanswered() == []
    finally:
        journal.close()


def replies(api: FakeBotAPI, pushed) -> list:
    return api.replies_to(pushed.chat_id, pushed.message_id)
