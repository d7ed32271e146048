"""``newsqa``: build the index, ask, open the REPL, run the Telegram bot, evaluate.

Every subcommand reads the one Settings object; flags only override it for this run. Errors meant
for people (missing index, bad question, no model) are printed as one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from bot.terminal import safe
from retrieval import NewsqaError, Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index).absolute()
    if getattr(args, "corpus", None):
        overrides["corpus_paths"] = [Path(p).absolute() for p in args.corpus]
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    return Settings.load(**overrides)


def _progress(message: str) -> None:
    print(safe(message), file=sys.stderr, flush=True)


def _report(report) -> int:
    if report.unchanged:
        print(f"The index at {report.directory} is up to date ({report.articles} articles, {report.sentences} "
              f"sentences from {report.files} files); checked in {report.seconds:.1f} s")
        return 0
    print(
        f"Indexed {report.articles} articles ({report.sentences} sentences, {report.chunks} chunks) "
        f"from {report.files} files in {report.seconds:.1f} s into {report.directory} "
        f"({report.reused} articles reused, {report.embedded} sentences and chunks embedded)"
    )
    for problem in report.problems:
        print(f"  skipped: {problem}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from retrieval import build

    return _report(build(_settings(args), progress=_progress))


def cmd_add(args: argparse.Namespace) -> int:
    from retrieval.service import add

    return _report(add(_settings(args), [Path(f) for f in args.files], progress=_progress))


def _open(settings: Settings, args: argparse.Namespace, *, build_if_needed: bool = False):
    """The answering service. An index the user named with ``--index`` is never rebuilt behind
    their back: when it is out of date they are told, and ``--rebuild`` rebuilds it."""
    from retrieval import AnswerService, build

    named = bool(getattr(args, "index", None))
    if getattr(args, "rebuild", False):
        build(settings, progress=_progress)
    service = AnswerService.open(settings, build_if_needed=build_if_needed and not named, progress=_progress)
    changes = service.corpus_changes(settings.corpus_paths if getattr(args, "corpus", None) else None)
    if changes:
        corpus = " ".join(str(p) for p in settings.corpus_paths)
        _progress(
            f"warning: the corpus changed since the index was built ({'; '.join(changes[:3])}); "
            f"rebuild it to include the changes: newsqa build --index {settings.index_dir} --corpus {corpus}"
            + (" (or add --rebuild)" if hasattr(args, "rebuild") else "")
        )
    return service


def _decode_line(raw: bytes) -> str:
    """One line of a question batch: UTF-8, else GB18030 (a GBK batch), else UnicodeDecodeError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _json_line(record: dict) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _ask_batch(service) -> None:
    """``ask --json``: exactly one JSON object per input line, in order; a line that cannot be
    asked (empty, undecodable, too long) gets ``{"answered": false, "error": …}`` and the batch
    goes on."""
    seconds = []
    for raw in sys.stdin.buffer:
        raw = raw.rstrip(b"\r\n")
        try:
            line = _decode_line(raw)
        except UnicodeDecodeError as exc:
            _json_line({
                "question": raw.decode("utf-8", errors="replace"), "answered": False, "passages": [],
                "error": f"the line is neither UTF-8 nor GB18030 (invalid byte at position {exc.start})",
            })
            continue
        try:
            answer = service.ask(line)
        except NewsqaError as exc:
            _json_line({"question": line, "answered": False, "passages": [], "error": str(exc)})
            continue
        seconds.append(answer.seconds)
        _json_line(answer.to_json())
    if seconds:
        _progress(f"{len(seconds)} questions, median {statistics.median(seconds) * 1000:.0f} ms per question")


def cmd_ask(args: argparse.Namespace) -> int:
    if not args.question and not args.json:
        raise UsageError("give a question, or --json to read questions from stdin")
    settings = _settings(args)
    service = _open(settings, args)
    if args.question:
        question = " ".join(args.question)
        if args.json:
            _json_line(service.ask(question).to_json())
        else:
            from bot.repl import print_answer

            print_answer(service.ask(question))
        return 0
    _ask_batch(service)
    return 0


def cmd_repl(args: argparse.Namespace) -> int:
    from bot.repl import run_repl

    settings = _settings(args)
    service = _open(settings, args, build_if_needed=True)
    service.prepare_in_background()  # while the reader types the first question
    run_repl(service, settings)
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.telegram import TelegramSettings, run_bot
    from retrieval import build

    settings = _settings(args)
    if args.rebuild:
        build(settings, progress=_progress)
    # an index named with --index is served as it is: never rebuilt from another corpus unasked
    run_bot(settings, TelegramSettings.load(), build_if_needed=not args.index)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from evaluation import runner

    questions, settings = runner.prepare(
        Path(args.questions), _settings(args), squad=args.squad,
        squad_out=Path(args.squad_out) if args.squad_out else None, index_given=bool(args.index), say=_progress,
    )
    report = runner.run(questions, _open(settings, args, build_if_needed=True), say=_progress)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    print(report.format_table())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsqa", description="Ask the 株洲日报 archive; every answer is a quote.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, corpus: bool = False) -> None:
        sp.add_argument("--index", metavar="DIR", help="index directory (default: settings index_dir)")
        if corpus:
            sp.add_argument("--corpus", nargs="+", metavar="PATH", help="issue files, folders or .jsonl files")

    b = sub.add_parser("build", help="(re)build the index from the corpus")
    common(b, corpus=True)
    b.set_defaults(func=cmd_build)

    d = sub.add_parser("add", help="add issue files to the corpus folder and index only them")
    common(d, corpus=True)
    d.add_argument("files", nargs="+", metavar="FILE", help="the new issue files (.txt, .md, .jsonl)")
    d.set_defaults(func=cmd_add)

    a = sub.add_parser("ask", help="answer one question, or JSON lines from stdin with --json")
    common(a, corpus=True)
    a.add_argument("question", nargs="*", help="the question (omit with --json to read stdin)")
    a.add_argument("--json", action="store_true", help="one JSON object per answer")
    a.add_argument("--top-k", type=int, help="how many passages to return")
    a.set_defaults(func=cmd_ask)

    r = sub.add_parser("repl", help="interactive questions in the terminal")
    common(r, corpus=True)
    r.add_argument("--rebuild", action="store_true", help="rebuild the index first (also one named with --index)")
    r.set_defaults(func=cmd_repl)

    t = sub.add_parser("bot", help="run the Telegram bot")
    common(t, corpus=True)
    t.add_argument("--rebuild", action="store_true", help="rebuild the index first (also one named with --index)")
    t.set_defaults(func=cmd_bot)

    e = sub.add_parser("eval", help="score a question file (dev_seeds.jsonl format, or SQuAD with --squad)")
    common(e, corpus=True)
    e.add_argument("questions", help="questions JSONL, or a SQuAD/CMRC JSON file with --squad")
    e.add_argument("--squad", action="store_true", help="convert a SQuAD-format file into a corpus and questions first")
    e.add_argument("--squad-out", metavar="DIR", help="where the converted corpus, questions and index go")
    e.add_argument("--rebuild", action="store_true", help="rebuild the index before asking")
    e.add_argument("--json-out", metavar="FILE", help="also write the full report as JSON")
    e.set_defaults(func=cmd_eval)
    return p


class UsageError(NewsqaError):
    """The command line asks for something the command cannot do."""


def _one_line(text: str) -> str:
    return " ".join(safe(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Whatever goes wrong that a user can fix is one line on stderr and exit
    code 2; a reader of the output pipe going away (``| head``) ends the command quietly."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except NewsqaError as exc:
        print(f"newsqa: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # stdout is gone: point it at /dev/null so the interpreter's final flush does not complain
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a disk full, a folder we may not write: still one line
        print(f"newsqa: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nnewsqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
