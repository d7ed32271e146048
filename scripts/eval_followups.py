"""Score the follow-up pairs (default ``evaluation_data/followups.jsonl``) against an index: asked in
conversation and asked alone. ``python scripts/eval_followups.py [PAIRS] [--index DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.followups import load_pairs, run  # noqa: E402
from retrieval import AnswerService, Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pairs", nargs="?", default=str(Path(__file__).resolve().parents[1] / "evaluation_data" / "followups.jsonl"))
    parser.add_argument("--index", help="index directory (default: settings index_dir)")
    args = parser.parse_args()
    settings = Settings.load(**({"index_dir": Path(args.index).absolute()} if args.index else {}))
    service = AnswerService.open(settings, build_if_needed=not args.index)
    in_context, alone, read = run(load_pairs(Path(args.pairs)), service)
    print("\n".join(read))
    print("\nFollow-ups asked in conversation:\n" + in_context.format_table())
    print("\nThe same follow-ups asked alone:\n" + alone.format_table())


if __name__ == "__main__":
    main()
