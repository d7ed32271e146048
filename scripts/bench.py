"""Time questions against a built index, or against synthetic archives of 10k–1M sentences.

    python scripts/bench.py --index var/index --questions evaluation_data/seeds_heldout.jsonl
    python scripts/bench.py --synthetic 10000 100000 1000000 --seed-index var/index \\
        --questions evaluation_data/seeds_heldout.jsonl --out /tmp/synth [--old OLD_CHECKOUT]

With ``--index``: opens the service once (timed: index and model load), asks ``--warmup`` questions
to warm the process up, then times every other question once — each a question this process has
not seen, so per-question caches cannot hide work — and prints open time, the background loading
the REPL and the bot start once open (waited for, timed apart), first answer, warm
p50/p95, resident memory after open and at the end (peak), as a line of text and as JSON. It uses
only ``Settings`` and ``AnswerService.open/ask``, so the same file times an older checkout
(``PYTHONPATH=OLD_CHECKOUT``).

With ``--synthetic``: writes, for each size, an index in this project's format made by replicating
the seed index's articles (their texts, term statistics and tokens; no embedding) with vectors that
are the seed vectors plus noise, renormalized (random unit vectors, as in issue 11, have no
neighbourhoods at all, so an approximate index could not be judged on them); with ``--old``, the
same archive also in index format 2 for the checkout at ``OLD_CHECKOUT``. Each index is then timed
in a fresh process, old and new alternating, and the table is printed as text and JSON, with the
load average beside it. The new code also reports the approximate index's recall@5 against exact
search for the questions. A benchmark, not a test: on a shared 2-core machine, compare in one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):  # run from a checkout: time its code, not an installed copy
    sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(seconds: list[float], q: int) -> float:
    """The ``q``-th percentile of ``seconds``, in milliseconds (nearest rank, as p95 always was here)."""
    ordered = sorted(seconds)
    return round(1000 * ordered[int(q / 100 * (len(ordered) - 1))], 1)


def time_index(index: Path, questions: list[str], warmup: int, recall_questions: int) -> dict:
    """Open the service on ``index`` and time ``questions`` (the --index mode)."""
    started = time.perf_counter()
    from retrieval.service import AnswerService
    from retrieval.settings import Settings

    service = AnswerService.open(Settings(index_dir=index.resolve()))
    opened = time.perf_counter() - started
    rss_open = rss_mb()
    prepared = None
    if hasattr(service, "prepare_in_background"):  # what the REPL and the bot load while the reader types
        t = time.perf_counter()
        service.prepare_in_background().join()
        prepared = round(time.perf_counter() - t, 2)
    first = time.perf_counter()
    service.ask(questions[0])
    first_answer = time.perf_counter() - first
    for q in questions[1:warmup]:
        service.ask(q)
    times, stages = [], {}
    for q in questions[warmup:]:
        t = time.perf_counter()
        answer = service.ask(q)
        times.append(time.perf_counter() - t)
        for name, seconds in getattr(answer, "stages", ()):  # older checkouts time no stages
            stages.setdefault(name, []).append(seconds)
    times.sort()
    result = {
        "sentences": len(service.index.sentences),
        "open_s": round(opened, 2),
        "rss_open_mb": round(rss_open),
        "prepare_s": prepared,
        "first_answer_s": round(first_answer, 3),
        "questions": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "peak_rss_mb": round(peak_rss_mb()),
        "stages_ms": {name: [percentile(v, 50), percentile(v, 95)] for name, v in stages.items()},
    }
    from retrieval.index.store import load_index

    t = time.perf_counter()
    load_index(index.resolve())  # the index alone, without the model (its pages are cached by now)
    result["index_open_s"] = round(time.perf_counter() - t, 2)
    vectors = getattr(service.index, "sentence_vectors", None)
    if recall_questions and getattr(vectors, "approximate", None) is not None:
        from retrieval.index.vectors import VectorSearch

        exact = VectorSearch(vectors.matrix, None)
        qv = service.embedder.encode_queries(questions[:recall_questions])
        result["recall_at_5"] = round(
            statistics.fmean(len(set(vectors.search(q, 5)) & set(exact.search(q, 5))) / 5 for q in qv), 3
        )
    return result


def replicate(seed: Path, out: Path, sentences: int, *, old: bool, rng_seed: int = 0) -> Path:
    """An index of about ``sentences`` sentences made of copies of the seed index's articles, in
    the current format at ``out/new`` (and format 2 at ``out/old`` with ``old``); returns ``out``."""
    import numpy as np

    from retrieval.index.lexical import LexicalIndex, stored_tokens
    from retrieval.index.store import INDEX_FORMAT, ISSUES, MANIFEST, checksums, load_index
    from retrieval.index.terms import TermArrays, Texts, write_terms
    from retrieval.index.vectors import VectorSearch

    base = load_index(seed)
    n0, m0, a0 = len(base.sentences), len(base.chunks), len(base.articles)
    copies = max(1, math.ceil(sentences / n0))
    rng = np.random.default_rng(rng_seed)

    def tile_rows(rows, shifts):
        return np.concatenate([np.asarray(rows) + np.asarray(shifts) * k for k in range(copies)])

    def noisy(matrix):
        d = matrix.shape[1]
        out_ = np.empty((copies * len(matrix), d), dtype=np.float32)
        for k in range(copies):
            block = matrix + rng.standard_normal(matrix.shape, dtype=np.float32) * (0.5 / math.sqrt(d))
            out_[k * len(matrix) : (k + 1) * len(matrix)] = block / np.linalg.norm(block, axis=1, keepdims=True)
        return out_

    sentence_rows = tile_rows(base.sentence_rows, [a0, 0, 0, 0])
    chunk_rows = tile_rows(base.chunk_rows, [a0, 0, 0, n0, n0])
    chunk_of_sentence = tile_rows(base.chunk_of_sentence, m0)
    sc = np.asarray(base.sentence_chunks)
    sentence_chunks = np.concatenate([np.where(sc >= 0, sc + m0 * k, -1) for k in range(copies)])
    facts = np.tile(np.asarray(base.facts), copies)
    meta = {key: list(values) * copies for key, values in base.articles.meta.items()}
    meta["source"] = [f"copy{k}/{s}" for k in range(copies) for s in base.articles.meta["source"]]
    # real content hashes: an incremental build over ``out/corpus`` (the seed files, copied) reuses them
    meta["hash"] = list(base.articles.meta["hash"]) * copies
    texts = base.articles.texts.all() * copies
    sent_vecs, chunk_vecs = noisy(np.asarray(base.sentence_matrix)), noisy(np.asarray(base.chunk_matrix))
    words, tokens = stored_tokens(seed.resolve() / "lexical")
    corpus = out / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    for k in range(copies):
        (corpus / f"copy{k}").mkdir(parents=True)
        for name in base.manifest["files"]:
            os.link(Path(base.manifest["corpus_paths"][0]) / name, corpus / f"copy{k}" / name)
    manifest = {**base.manifest, "files": {f"copy{k}/{n}": h for k in range(copies) for n, h in base.manifest["files"].items()},
                "corpus_paths": [str(corpus)],
                "articles": a0 * copies, "sentences": n0 * copies, "chunks": m0 * copies, "synthetic": True}
    manifest.pop("checksums", None)

    new = out / "new"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    terms = base.terms
    pinyin_all = np.frombuffer(terms._pinyin, dtype="<u2")
    starts = terms.sentences.starts
    pinyin = [pinyin_all[int(starts[i]) : int(starts[i + 1]) - 1] for i in range(n0)] * copies
    table = sorted(terms._syllable_ids, key=terms._syllable_ids.get)
    write_terms(new / "terms", TermArrays(terms.sentences.all() * copies, terms.contexts.all() * copies,
                                          terms.headlines.all() * copies, pinyin, table), sentence_rows[:, 0])
    LexicalIndex.write(new / "lexical", tokens * copies, words)
    manifest["approximate"] = VectorSearch.write(new, "sentence", sent_vecs)
    VectorSearch.write(new, "chunk", chunk_vecs)
    (new / "articles.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    Texts.write(new / "article_text", texts)
    np.save(new / "offsets.npy", np.tile(np.asarray(base.articles.offsets), copies))
    for name, array in (("sentences", sentence_rows), ("chunks", chunk_rows), ("facts", facts),
                        ("chunk_of_sentence", chunk_of_sentence), ("sentence_chunks", sentence_chunks)):
        np.save(new / f"{name}.npy", array.astype(np.uint16 if name == "facts" else np.int32))
    issues = [{"file": f"copy{k}/{name}", "date": d.to_json() if d else None} for k in range(copies) for name, d in base.issues]
    (new / ISSUES).write_text(json.dumps(issues, ensure_ascii=False), encoding="utf-8")
    (new / MANIFEST).write_text(json.dumps({**manifest, "format": INDEX_FORMAT, "checksums": checksums(new)}), encoding="utf-8")

    if old:
        import faiss

        from retrieval.index.store import file_checksum

        legacy = out / "old"
        shutil.rmtree(legacy, ignore_errors=True)
        legacy.mkdir(parents=True)
        for vecs, name in ((sent_vecs, "sentences.faiss"), (chunk_vecs, "chunks.faiss")):
            flat = faiss.IndexFlatIP(vecs.shape[1])
            flat.add(vecs)
            faiss.write_index(flat, str(legacy / name))
            del flat
        (legacy / "lexical").mkdir()
        shutil.copytree(new / "lexical" / "bm25", legacy / "lexical" / "bm25")
        shutil.copy(new / "lexical" / "userdict.json", legacy / "lexical" / "userdict.json")
        with open(legacy / "articles.jsonl", "w", encoding="utf-8") as f:
            for a, text in enumerate(texts):
                f.write(json.dumps({"title": meta["title"][a], "text": text, "source": meta["source"][a],
                                    "subtitle": meta["subtitle"][a], "byline": meta["byline"][a], "date": meta["date"][a]},
                                   ensure_ascii=False) + "\n")
        np.save(legacy / "offsets.npy", np.tile(np.asarray(base.articles.offsets), copies).astype(np.int64))
        for name, array in (("sentences", sentence_rows), ("chunks", chunk_rows), ("chunk_of_sentence", chunk_of_sentence),
                            ("sentence_chunks", sentence_chunks)):
            np.save(legacy / f"{name}.npy", array.astype(np.int64))
        np.save(legacy / "facts.npy", facts.astype(np.uint16))
        sums = {p.relative_to(legacy).as_posix(): file_checksum(p) for p in sorted(legacy.rglob("*")) if p.is_file()}
        (legacy / MANIFEST).write_text(json.dumps({**manifest, "format": 2, "checksums": sums}), encoding="utf-8")
    return out


def time_passages(embedder) -> list:
    """Count, in the returned ``[seconds, texts]``, what ``embedder.encode_passages`` spends from now on."""
    spent = [0.0, 0]
    encode = embedder.encode_passages

    def timed(texts, **kwargs):
        t = time.perf_counter()
        try:
            return encode(texts, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t
            spent[1] += len(texts)

    embedder.encode_passages = timed  # type: ignore[method-assign]
    return spent


def time_add(folder: Path, issue: Path) -> dict:
    """Add one issue file to the synthetic archive at ``folder`` (current format), incrementally: the whole
    build, and the part of it spent embedding the issue's sentences and chunks."""
    from retrieval.service import add
    from retrieval.model.embedding import Embedder
    from retrieval.settings import Settings

    settings = Settings(index_dir=(folder / "new").resolve(), corpus_paths=[folder / "corpus"])
    embedder = Embedder.from_settings(settings)
    spent = time_passages(embedder)
    report = add(settings, [issue], embedder=embedder, progress=lambda m: print(m, file=sys.stderr, flush=True))
    return {"add_s": round(report.seconds, 1), "add_embed_s": round(spent[0], 1), "add_embedded": report.embedded,
            "add_reused": report.reused}


def time_build(corpus: Path, out: Path) -> dict:
    """Build ``corpus`` from nothing into ``out``, then again with nothing changed; and the floor:
    the model alone embedding each sentence once (as the build feeds it, headline first, in the
    build's batches) — what any index of these sentences costs, against which the build is judged."""
    from retrieval.index.store import load_index
    from retrieval.model.embedding import Embedder, use_threads
    from retrieval.service import build
    from retrieval.settings import Settings

    settings = Settings(index_dir=(out / "index").resolve(), corpus_paths=[corpus.resolve()])
    shutil.rmtree(out, ignore_errors=True)
    embedder = Embedder.from_settings(settings)
    encode = embedder.encode_passages
    spent = time_passages(embedder)
    embedder.encode_passages(["株洲"])  # load sentence-transformers outside the timings
    spent[:] = [0.0, 0]
    first = build(settings, embedder=embedder)
    embedding, embedded = spent
    again = build(settings, embedder=embedder)
    index = load_index(settings.index_dir)
    articles = list(index.articles)
    texts = [articles[x.article].headed(x.start, x.end) for x in index.sentences]
    use_threads("build")
    t = time.perf_counter()
    encode(texts)
    floor = time.perf_counter() - t
    return {"sentences": first.sentences, "chunks": first.chunks, "build_s": round(first.seconds, 1),
            "embed_s": round(embedding, 1), "embedded_texts": embedded, "floor_s": round(floor, 1),
            "build_over_floor": round(first.seconds / floor, 2), "noop_build_s": round(again.seconds, 2)}


def index_format(code: Path) -> int:
    """The index format the checkout ``code`` reads."""
    done = subprocess.run([sys.executable, "-c", "from retrieval.index.store import INDEX_FORMAT; print(INDEX_FORMAT)"],
                          cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True, check=True)
    return int(done.stdout)


def child(code: Path | None, index: Path, questions: Path, warmup: int, recall: int) -> dict:
    """Time ``index`` in a fresh process running the checkout ``code`` (None: this one)."""
    env = {**os.environ, "PYTHONPATH": str(code or ROOT), "HF_HUB_OFFLINE": "1"}
    # this file times both checkouts (the old bench lacks the memory figures), each on its own code
    args = [sys.executable, str(Path(__file__)), "--index", str(index), "--questions", str(questions),
            "--warmup", str(warmup), "--recall", str(recall)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=code or ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="time this built index")
    ap.add_argument("--questions", type=Path, help="JSONL with a 'question' field per line")
    ap.add_argument("--warmup", type=int, default=5, help="questions asked before timing starts")
    ap.add_argument("--recall", type=int, default=20, help="questions for the approximate index's recall@5")
    ap.add_argument("--synthetic", type=int, nargs="+", metavar="SENTENCES", help="sizes of synthetic archives")
    ap.add_argument("--seed-index", type=Path, help="the (current format) index replicated into synthetic archives")
    ap.add_argument("--out", type=Path, default=Path("/tmp/newsqa-bench"), help="where synthetic archives go")
    ap.add_argument("--old", type=Path, help="an older checkout timed side by side (on the same archive, or on a format-2 copy)")
    ap.add_argument("--build", type=Path, metavar="CORPUS", help="time a build of this corpus against the raw encode floor")
    ap.add_argument("--add", type=Path, metavar="ISSUE", help="then add this issue file to each archive, timed")
    args = ap.parse_args()
    if args.build is None and args.questions is None:
        ap.error("--questions is needed to time questions")

    if args.build:
        result = time_build(args.build, args.out / "build")
        print(f"build of {result['sentences']} sentences and {result['chunks']} chunks: {result['build_s']} s, of which "
              f"embedding {result['embedded_texts']} texts {result['embed_s']} s; the model alone embeds the sentences "
              f"in {result['floor_s']} s ({result['build_over_floor']}x); again with nothing changed: "
              f"{result['noop_build_s']} s", file=sys.stderr)
        print(json.dumps(result))
        return 0
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.index:
        result = time_index(args.index, questions, args.warmup, args.recall)
        print(f"open {result['open_s']} s ({result['rss_open_mb']} MB), background loading {result['prepare_s']} s, "
              f"first answer {result['first_answer_s']} s, "
              f"warm p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms over {result['questions']} questions, "
              f"peak {result['peak_rss_mb']} MB; stages p50/p95 ms: "
              + ", ".join(f"{name} {p50}/{p95}" for name, (p50, p95) in result["stages_ms"].items()), file=sys.stderr)
        print(json.dumps(result))
        return 0
    if not (args.synthetic and args.seed_index):
        ap.error("give --index, or --synthetic with --seed-index")
    # an old checkout that reads today's format times the same archive; one from before it, a copy in format 2
    legacy = bool(args.old) and index_format(args.old) != index_format(ROOT)
    rows = []
    for size in args.synthetic:
        folder = args.out / str(size)
        t = time.perf_counter()
        print(f"writing a synthetic archive of about {size} sentences …", file=sys.stderr, flush=True)
        replicate(args.seed_index, folder, size, old=legacy)
        made = time.perf_counter() - t
        for code, label in ([(args.old, "old")] if args.old else []) + [(None, "new")]:
            load = os.getloadavg()
            where = folder / ("old" if label == "old" and legacy else "new")
            result = child(code, where, args.questions, args.warmup, args.recall if label == "new" else 0)
            row = {"size": size, "code": label, "load": [round(x, 2) for x in load], "generated_s": round(made, 1), **result}
            if label == "new" and args.add:
                row.update(time_add(folder, args.add))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    head = f"{'sentences':>10} {'code':>4} {'open s':>7} {'index s':>7} {'RSS MB':>7} {'prep s':>6} {'first s':>8} {'p50 ms':>7} {'p95 ms':>7} {'peak MB':>8} {'recall@5':>8}  load"
    print(head)
    for r in rows:
        if "error" in r:
            print(f"{r['size']:>10} {r['code']:>4}  error: {r['error']}")
            continue
        print(f"{r['sentences']:>10} {r['code']:>4} {r['open_s']:>7} {r['index_open_s']:>7} {r['rss_open_mb']:>7} "
              f"{r.get('prepare_s') or '-':>6} {r['first_answer_s']:>8} "
              f"{r['p50_ms']:>7} {r['p95_ms']:>7} {r['peak_rss_mb']:>8} {r.get('recall_at_5', '-'):>8}  {r['load']}")
    for r in rows:
        if r.get("stages_ms"):
            print(f"{r['sentences']:>10} {r['code']:>4} stages p50/p95 ms: "
                  + ", ".join(f"{name} {p50}/{p95}" for name, (p50, p95) in r["stages_ms"].items()))
    for r in rows:
        if "add_s" in r:
            print(f"adding {args.add.name} to {r['sentences']} sentences: {r['add_s']} s, of which embedding its "
                  f"{r['add_embedded']} sentences and chunks {r['add_embed_s']} s ({r['add_reused']} articles reused)")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
