"""The terminal front end: ask questions in a loop, read quotes with the matched sentence lit up.

``run_repl`` is for people at a terminal: line editing and a persistent history through the
stdlib ``readline``, Ctrl-C to drop the current line, Ctrl-D to leave. ``print_answer`` is the
same rendering for one-shot use (``newsqa ask``). All paper text goes through ``rich.text.Text``,
never through rich markup, so a ``[bold]`` in an article or a question prints as it is.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rich.console import Console
from rich.text import Text

from bot import formatting as fmt
from bot.terminal import safe
from retrieval import Answer, CorpusInfo, NewsqaError, Settings
from retrieval.answers import FullArticle, IssueContents

if TYPE_CHECKING:
    from retrieval import AnswerService

log = logging.getLogger(__name__)

PROMPT = "newsqa> "
HISTORY_FILE = "repl_history"
HISTORY_LENGTH = 1000
QUOTE_STYLE = "yellow"
ANSWER_STYLE = "bold yellow"
MAX_SOURCES = 50

HELP = """\
Type a question in Chinese or English and press Enter. 输入中文或英文问题后回车。
  :sources N   show N passages for the last question · 上一个问题显示 N 条
  :article N   the whole article behind passage (or headline) N · 第 N 条的全文
  :new         forget the conversation (a new follow-up starts afresh) · 新话题
  :issues      the issues in the archive, newest first · 各期报纸
  :issue KEY   the headlines of one issue (2024-01-05, or its file name) · 某一期的标题
  :latest      the newest issue's headlines · 最新一期
  :about       what the archive holds · 资料库信息
  :help        this help · 帮助
  :quit        leave (or Ctrl-D) · 退出
Ctrl-C clears the current line. Up/Down walk through earlier questions."""


def print_answer(answer: Answer, console: Console | None = None) -> None:
    """Print an answer for a person: each passage's context with the quote highlighted, its
    headline · source · date underneath; or a plain "not found" in the question's language. A
    context already shown for an earlier passage is not printed twice: only the quote is.
    Every piece of text goes through :func:`bot.terminal.safe` (no control sequences reach the
    terminal)."""
    console = console or Console()
    if not answer.answered or not answer.passages:
        console.print(Text(safe(fmt.not_found_text(answer.language, answer.question)), style="yellow"))
        return
    console.print(Text(safe(fmt.answer_header(answer)), style="bold"))
    for note in (fmt.read_as_line(answer), fmt.date_line(answer)):
        if note:
            console.print(Text(safe(note), style="cyan"))
    shown: set[tuple[str, str]] = set()
    for number, passage in enumerate(answer.passages, 1):
        h = fmt.highlight(passage)
        body = Text()
        body.append(f"{number}. ", style="bold")
        seen = (passage.source, passage.context) in shown
        shown.add((passage.source, passage.context))
        if not seen:
            body.append(safe(("…" if h.cut_before else "") + h.before))
        before, answer_words, after = fmt.quote_parts(passage, h.quote)
        body.append(safe(before), style=QUOTE_STYLE)
        body.append(safe(answer_words), style=ANSWER_STYLE)
        body.append(safe(after), style=QUOTE_STYLE)
        if not seen:
            body.append(safe(h.after + ("…" if h.cut_after else "")))
        console.print()
        console.print(body)
        console.print(Text("   — " + safe(fmt.source_line(passage)), style="dim"))
    console.print()
    noun = "passage" if len(answer.passages) == 1 else "passages"
    console.print(Text(f"{len(answer.passages)} {noun} · {answer.seconds:.2f} s", style="dim"))


def print_issue(contents: IssueContents, console: Console) -> None:
    """An issue's headlines, numbered for ``:article N``."""
    console.print(Text(safe(fmt.issue_title(contents)), style="bold"))
    for number, headline in enumerate(contents.headlines, 1):
        console.print(Text(safe(fmt.headline_line(number, headline))))
    console.print(Text(fmt.ARTICLE_HINT, style="dim"))


def print_article(article: FullArticle, console: Console) -> None:
    """The whole article, its quoted sentence (if opened from a quote) highlighted."""
    header = fmt.article_header(article)
    console.print(Text(safe(header[0]), style="bold"))
    for line in header[1:]:
        console.print(Text(safe(line), style="dim"))
    for before, marked, after in fmt.article_paragraphs(article):
        console.print()
        body = Text(safe(before))
        body.append(safe(marked), style=ANSWER_STYLE)
        body.append(safe(after))
        console.print(body)


def print_banner(info: CorpusInfo, console: Console) -> None:
    console.print(Text(f"{fmt.PAPER} · newsqa", style="bold"))
    for line in fmt.about_lines(info):
        console.print(Text(safe(line), style="dim"))
    console.print(Text("Ask a question (:help for commands, Ctrl-D to quit). 请提问。", style="dim"))


class _History:
    """readline history kept in a file under the cache dir, so questions survive sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import readline  # noqa: F401 - importing it is what enables line editing in input()
        except ImportError:  # e.g. Windows without pyreadline: plain input() still works
            self.readline = None
            return
        self.readline = readline
        readline.set_history_length(HISTORY_LENGTH)
        readline.set_auto_history(True)
        try:
            readline.read_history_file(path)
        except (FileNotFoundError, OSError):
            pass

    def save(self) -> None:
        if self.readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(self.path)
        except OSError as err:  # a read-only home must not turn quitting into a crash
            log.warning("Could not save the REPL history to %s: %s", self.path, err)


class Repl:
    """One session's state: the service, where output goes, and the last question asked."""

    def __init__(self, service: "AnswerService", settings: Settings, console: Console) -> None:
        self.service = service
        self.settings = settings
        self.console = console
        self.last: Answer | None = None
        # what ``:article N`` opens: the passages or headlines last shown, numbered from 1
        self.numbered: list[tuple[int, tuple[int, int] | None]] = []

    def handle(self, line: str) -> bool:
        """Act on one input line; False means the session is over."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return self.command(line[1:])
        self.ask(line)
        return True

    def ask(self, question: str, top_k: int | None = None) -> None:
        try:
            # a follow-up ("他…", "那E区呢?") leans on this session's last answer
            answer = self.service.ask(question, top_k=top_k, previous=self.last)
        except NewsqaError as err:  # too long, empty...: the message says what to do
            self.console.print(Text(safe(str(err)), style="red"))
            return
        self.last = answer
        self._number_passages(answer)
        print_answer(answer, self.console)

    def _number_passages(self, answer: Answer) -> None:
        if answer.answered:
            self.numbered = [(p.article, (p.article_start, p.article_start + len(p.quote))) for p in answer.passages]

    def error(self, message: str) -> None:
        self.console.print(Text(safe(message), style="red"))

    def command(self, text: str) -> bool:
        name, _, arg = text.strip().partition(" ")
        name = name.lower()
        if name in ("q", "quit", "exit"):
            return False
        if name in ("h", "help", "?"):
            self.console.print(Text(HELP))
        elif name == "about":
            print_banner(self.service.info(), self.console)
        elif name == "sources":
            self.sources(arg.strip())
        elif name == "new":
            self.last, self.numbered = None, []
            self.console.print(Text("New conversation: the next question leans on nothing. 新话题。", style="dim"))
        elif name == "issues":
            for info in self.service.issues():
                self.console.print(Text(safe(fmt.issue_line(info))))
        elif name in ("issue", "latest"):
            if name == "issue" and not arg.strip():
                self.error("Usage: :issue 2024-01-05 (or a file name; see :issues)")
                return True
            try:
                contents = self.service.issue(arg) if name == "issue" else self.service.latest()
            except NewsqaError as err:
                self.error(str(err))
                return True
            self.numbered = [(h.article, None) for h in contents.headlines]
            print_issue(contents, self.console)
        elif name == "article":
            self.article(arg.strip())
        else:
            self.console.print(Text(safe(f"Unknown command :{name} — type :help"), style="red"))
        return True

    def sources(self, arg: str) -> None:
        """``:sources N``: N passages for the last question, cut from its ranking (no new search)."""
        if self.last is None:
            self.console.print(Text("Ask a question first. 请先提问。", style="red"))
            return
        try:
            n = int(arg)
            if not 1 <= n <= MAX_SOURCES:
                raise ValueError
        except ValueError:
            self.console.print(Text(f"Usage: :sources N   (1–{MAX_SOURCES})", style="red"))
            return
        if not self.last.answered:
            print_answer(self.last, self.console)
            return
        passages = self.service.more(self.last, n)
        shown = replace(self.last, passages=passages)
        self._number_passages(shown)
        print_answer(shown, self.console)

    def article(self, arg: str) -> None:
        """``:article N``: the whole article behind passage N of the last answer (or headline N
        of the last issue listed), the quoted sentence highlighted."""
        if not self.numbered:
            self.error("Ask a question or list an issue first (:latest). 请先提问或列出一期。")
            return
        try:
            article, mark = self.numbered[int(arg) - 1]
            if int(arg) < 1:
                raise IndexError
        except (ValueError, IndexError):
            self.error(f"Usage: :article N   (1–{len(self.numbered)})")
            return
        print_article(self.service.article(article, mark), self.console)


@contextmanager
def _own_terminal() -> Iterator[None]:
    """Make the REPL the terminal's foreground process group while it runs.

    Ctrl-C at a terminal interrupts the whole foreground group: under ``make run`` that is make
    too, which dies of it and exits 130 when the session ends, however well the REPL handled the
    key. In a group of its own the REPL alone gets Ctrl-C; the terminal is handed back on exit."""
    fd = sys.stdin.fileno() if sys.stdin and sys.stdin.isatty() else None
    previous = None
    if fd is not None:
        try:
            previous = os.tcgetpgrp(fd)
            if os.getpgrp() == previous and os.getpid() != os.getsid(0):
                os.setpgid(0, 0)
                _set_foreground(fd, os.getpgrp())
            else:
                previous = None
        except OSError:
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            try:
                _set_foreground(fd, previous)
            except OSError:
                pass


def _set_foreground(fd: int, group: int) -> None:
    # a background group changing the terminal's foreground gets SIGTTOU unless it ignores it
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, group)
    finally:
        signal.signal(signal.SIGTTOU, old)


def run_repl(
    service: "AnswerService",
    settings: Settings,
    *,
    console: Console | None = None,
    input_fn: Callable[[str], str] | None = None,
) -> None:
    """Read questions until ``:quit`` or Ctrl-D. ``input_fn`` replaces ``input`` (tests feed
    scripted lines through it; with it, no readline history is read or written)."""
    console = console or Console()
    history = None if input_fn is not None else _History(settings.cache_dir / HISTORY_FILE)
    read = input_fn or input
    repl = Repl(service, settings, console)
    print_banner(service.info(), console)
    with _own_terminal():
        _loop(repl, read, console, history)
    console.print(Text("再见 · Bye.", style="dim"))


def _loop(repl: Repl, read: Callable[[str], str], console: Console, history: _History | None) -> None:
    try:
        while True:
            try:
                line = read(PROMPT)
            except KeyboardInterrupt:  # Ctrl-C: drop this line, keep the session
                console.print()
                continue
            except EOFError:  # Ctrl-D
                console.print()
                break
            try:
                if not repl.handle(line):
                    break
            except KeyboardInterrupt:  # Ctrl-C while a question runs: give up on it
                console.print(Text("(cancelled)", style="dim"))
    finally:
        if history is not None:
            history.save()
