"""Time questions against a built index: cold start, then warm latency per question.

    python scripts/bench.py --index var/index --questions evaluation_data/seeds_heldout.jsonl [--rounds 3]

Opens the service once (timed: index and model load), asks ``--warmup`` questions to warm the
process up, then times every other question once — each a question this process has not seen, so
per-question caches cannot hide work (asking the same questions again would time a cache) — and
prints p50/p95/mean as a line of text and as JSON. It uses only ``Settings`` and ``AnswerService.open/ask``, so the same file times an
older checkout side by side (``PYTHONPATH=OLD_CHECKOUT python scripts/bench.py …``). A benchmark, not a test: timings on
a shared 2-core machine are noisy, so compare old and new in one run, alternating.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--questions", required=True, type=Path, help="JSONL with a 'question' field per line")
    ap.add_argument("--warmup", type=int, default=5, help="questions asked before timing starts")
    args = ap.parse_args()

    started = time.perf_counter()
    from retrieval.service import AnswerService
    from retrieval.settings import Settings

    service = AnswerService.open(Settings(index_dir=args.index.resolve()))
    opened = time.perf_counter() - started
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    first = time.perf_counter()
    service.ask(questions[0])
    first_answer = time.perf_counter() - first
    for q in questions[1 : args.warmup]:
        service.ask(q)
    times = []
    for q in questions[args.warmup :]:
        t = time.perf_counter()
        service.ask(q)
        times.append(time.perf_counter() - t)
    times.sort()
    result = {
        "open_s": round(opened, 3),
        "first_answer_s": round(first_answer, 3),
        "questions": len(times),
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1),
        "mean_ms": round(1000 * statistics.fmean(times), 1),
    }
    print(f"open {result['open_s']} s, first answer {result['first_answer_s']} s, "
          f"warm p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms over {len(times)} questions")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
