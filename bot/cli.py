"""``newsqa``: build the index, ask, open the REPL, run the Telegram bot, evaluate.

Every subcommand reads the one Settings object; flags only override it for this run. Errors meant
for people (missing index, bad question, no model) are printed as one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from retrieval.errors import NewsqaError
from retrieval.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index).absolute()
    if getattr(args, "corpus", None):
        overrides["corpus_paths"] = [Path(p).resolve() for p in args.corpus]
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    return Settings(**overrides)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    from retrieval.service import build

    settings = _settings(args)
    report = build(settings, progress=_progress)
    print(
        f"Indexed {report.articles} articles ({report.sentences} sentences, {report.chunks} chunks) "
        f"from {report.files} files in {report.seconds:.1f} s into {report.directory}"
    )
    for problem in report.problems:
        print(f"  skipped: {problem}")
    return 0


def _open(settings: Settings, *, build_if_needed: bool = False):
    from retrieval.service import AnswerService

    service = AnswerService.open(settings, build_if_needed=build_if_needed, progress=_progress)
    changes = service.corpus_changes()
    if changes and not build_if_needed:
        _progress(
            f"warning: the corpus changed since the index was built ({'; '.join(changes[:3])}); "
            f"run `newsqa build` to include the changes"
        )
    return service


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    service = _open(settings)
    if args.question:
        questions = [" ".join(args.question)]
    elif args.json:
        questions = None
    else:
        print("newsqa ask: give a question, or --json to read questions from stdin", file=sys.stderr)
        return 2
    if not args.json:
        from bot.repl import print_answer

        print_answer(service.ask(questions[0]))
        return 0
    seconds = []
    source = questions if questions is not None else (line.rstrip("\n") for line in sys.stdin)
    for line in source:
        if not line.strip():
            continue
        try:
            answer = service.ask(line)
        except NewsqaError as exc:
            print(json.dumps({"question": line, "answered": False, "passages": [], "error": str(exc)}, ensure_ascii=False), flush=True)
            continue
        seconds.append(answer.seconds)
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    if seconds:
        _progress(f"{len(seconds)} questions, median {statistics.median(seconds) * 1000:.0f} ms per question")
    return 0


def cmd_repl(args: argparse.Namespace) -> int:
    from bot.repl import run_repl

    settings = _settings(args)
    service = _open(settings, build_if_needed=True)
    run_repl(service, settings)
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.telegram_bot import run_bot

    run_bot(_settings(args))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from retrieval.evaluation import convert_squad, load_questions, score
    from retrieval.ingest import ingest

    qa_path = Path(args.questions)
    settings = _settings(args)
    if args.squad:
        out = Path(args.squad_out or (settings.cache_dir / "eval" / qa_path.stem))
        corpus_path, qa_path = convert_squad(qa_path, out)
        _progress(f"Converted {args.questions} into {corpus_path} and {qa_path}")
        updates = {"corpus_paths": [corpus_path]}
        if not args.index:
            updates["index_dir"] = out / "index"
        settings = settings.model_copy(update=updates)
    items = load_questions(qa_path)
    if args.rebuild:
        from retrieval.service import build

        build(settings, progress=_progress)
    service = _open(settings, build_if_needed=True)
    started = time.perf_counter()
    answers = [service.ask(item.question, top_k=5) for item in items]
    _progress(f"Asked {len(items)} questions in {time.perf_counter() - started:.1f} s")
    report = score(items, answers, ingest(settings.corpus_paths).sources)
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

    a = sub.add_parser("ask", help="answer one question, or JSON lines from stdin with --json")
    common(a, corpus=True)
    a.add_argument("question", nargs="*", help="the question (omit with --json to read stdin)")
    a.add_argument("--json", action="store_true", help="one JSON object per answer")
    a.add_argument("--top-k", type=int, help="how many passages to return")
    a.set_defaults(func=cmd_ask)

    r = sub.add_parser("repl", help="interactive questions in the terminal")
    common(r, corpus=True)
    r.set_defaults(func=cmd_repl)

    t = sub.add_parser("bot", help="run the Telegram bot")
    common(t, corpus=True)
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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except NewsqaError as exc:
        print(f"newsqa: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nnewsqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
