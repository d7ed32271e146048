"""The on-disk index: FAISS vectors for sentences and chunks, BM25, article metadata, a manifest.

A build writes into a fresh directory and only then flips a symlink to it (``os.replace`` is atomic),
so a crash or Ctrl-C halfway through leaves the previous index in place and usable. The manifest,
written last, records what the vectors mean — model identity, dimension, chunker version, the hash of
every corpus file — and loading refuses an index whose vectors would not match the running model.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np
import xxhash
from tqdm import tqdm

from retrieval.corpus.chunking import CHUNKER_VERSION, Chunk, Sentence, chunk_articles
from retrieval.errors import IndexBusyError, IndexMissingError, NewsqaError, StaleIndexError
from retrieval.corpus.article import Article
from retrieval.corpus.dates import SIDECAR, IssueDate
from retrieval.corpus.ingest import Corpus, content_hash, discover, ingest
from retrieval.corpus.issues import is_byline
from retrieval.index.lexical import LexicalIndex, Tokenizer, corpus_vocabulary
from retrieval.ranking.answer_types import sentence_facts

# 2: per-sentence facts (answer kinds, byline) and sentence → chunk maps are stored, not derived at load
INDEX_FORMAT = 2
MANIFEST = "manifest.json"
# optional beside the format-2 files (an index without it just knows no issue dates)
ISSUES = "issues.json"
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default progress callback: say nothing."""


def file_checksum(path: Path) -> str:
    """xxh3-128 of a file, read in blocks: recorded for every index file at build and checked at
    load, so a damaged index is refused instead of answering wrongly (xxh3 runs at memory speed)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _checksums(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): file_checksum(p)
        for p in sorted(directory.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index: an exclusive ``flock`` on a lock file beside it, held for the
    whole build. A second build does not wait silently: it says who holds the lock and stops (the
    kernel drops the lock when its holder dies, even by kill -9, so a stale lock never blocks)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    path = index_dir.parent / f".{index_dir.name}.lock"
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise IndexBusyError(
                f"Another build is writing {index_dir} ({holder}); wait for it to finish, then run again"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass
class Index:
    """A loaded index. Arrays are indexed by sentence / chunk number."""

    directory: Path
    manifest: dict
    articles: list[Article]
    sentences: list[Sentence]
    chunks: list[Chunk]
    sentence_vectors: faiss.Index
    chunk_vectors: faiss.Index
    lexical: LexicalIndex
    chunk_of_sentence: np.ndarray  # for each sentence, the chunk that shows it with most context
    sentence_chunks: np.ndarray  # (sentences, k): the chunks holding each sentence, padded with -1
    facts: np.ndarray  # for each sentence, the answer kinds it holds (answer_types bits)
    # the issue files in corpus order, each with its publication date (None when unknown)
    issues: list[tuple[str, IssueDate | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # flat indexes: their storage, viewed (not copied) as matrices to score any candidate exactly
        self.sentence_matrix = _stored_vectors(self.sentence_vectors)
        self.chunk_matrix = _stored_vectors(self.chunk_vectors)

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.articles[s.article].text[s.start : s.end]


def _stored_vectors(index: faiss.IndexFlat) -> np.ndarray:
    """The vectors a flat FAISS index holds, as a read-only view of its own memory."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    view = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    view.flags.writeable = False
    return view


def sentence_chunk_maps(chunks: list[Chunk], n_sentences: int) -> tuple[np.ndarray, np.ndarray]:
    """For each sentence, every chunk holding it (padded with -1) and the one that shows it with
    the most context on both sides. Depends on the chunking only, so it is computed at build."""
    holders: list[list[int]] = [[] for _ in range(n_sentences)]
    best = np.zeros(n_sentences, dtype=np.int64)
    room_of = np.full(n_sentences, -1, dtype=np.int64)
    for c, chunk in enumerate(chunks):
        for s in range(chunk.first_sentence, chunk.last_sentence):
            holders[s].append(c)
            room = min(s - chunk.first_sentence, chunk.last_sentence - 1 - s)
            if room > room_of[s]:
                room_of[s], best[s] = room, c
    width = max((len(h) for h in holders), default=1) or 1
    padded = np.full((n_sentences, width), -1, dtype=np.int64)
    for s, h in enumerate(holders):
        padded[s, : len(h)] = h
    return best, padded


@dataclass(frozen=True)
class BuildReport:
    directory: Path
    articles: int
    sentences: int
    chunks: int
    files: int
    problems: list[str]
    seconds: float


def _flat_index(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def build_index(
    corpus_paths: list[Path],
    index_dir: Path,
    embedder,  # retrieval.model.embedding.Embedder; untyped to keep torch out of this import
    *,
    chunk_max_chars: int,
    chunk_overlap: int,
    progress: Progress = quiet,
) -> BuildReport:
    """Ingest, chunk, embed and write a new index, then switch ``index_dir`` to it atomically;
    under :func:`build_lock`, so two builds never write one index at once."""
    with build_lock(index_dir):
        return _build(corpus_paths, index_dir, embedder, chunk_max_chars=chunk_max_chars,
                      chunk_overlap=chunk_overlap, progress=progress)


def _read_corpus(corpus_paths: list[Path], progress: Progress) -> Corpus:
    progress(f"Reading {', '.join(str(p) for p in corpus_paths)}")
    with tqdm(desc="Reading", unit="file", disable=None, leave=False) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(1)

        return ingest(corpus_paths, progress=advance)


def _build(corpus_paths: list[Path], index_dir: Path, embedder, *, chunk_max_chars: int, chunk_overlap: int,
           progress: Progress) -> BuildReport:
    started = time.perf_counter()
    corpus = _read_corpus(corpus_paths, progress)
    for problem in corpus.problems:
        progress(f"warning: {problem}")
    if not corpus.articles:
        raise NewsqaError(
            "No articles found in " + ", ".join(str(p) for p in corpus_paths)
            + " (expected .txt/.md issue files or .jsonl records); the existing index was left as it was"
        )
    sentences, chunks = chunk_articles(
        corpus.articles, max_chars=chunk_max_chars, overlap=chunk_overlap, sources=corpus.sources
    )
    progress(f"{len(corpus.articles)} articles, {len(sentences)} sentences, {len(chunks)} chunks")

    if index_dir.exists() and not index_dir.is_symlink() and any(index_dir.iterdir()) and not (index_dir / MANIFEST).exists():
        raise NewsqaError(f"Refusing to build into {index_dir}: it exists, is not empty and is not a newsqa index")
    versions = index_dir.parent / f"{index_dir.name}.versions"
    versions.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(index_dir, versions)
    work = versions / f".building-{os.getpid()}-{time.time_ns()}"
    work.mkdir()
    try:
        arts = corpus.articles
        progress("Embedding sentences")
        sentence_texts = [arts[s.article].headed(s.start, s.end) for s in sentences]
        sent_vecs = embedder.encode_passages(sentence_texts, show_progress=True)
        progress("Embedding chunks")
        chunk_vecs = embedder.encode_passages(
            [arts[c.article].headed(c.start, c.end) for c in chunks], show_progress=True
        )
        progress("Building keyword index")
        tokenizer = Tokenizer(corpus_vocabulary([a.headed(0, len(a.text)) for a in arts]))
        lexical = LexicalIndex.build(sentence_texts, tokenizer)
        facts = [sentence_facts(t, byline=is_byline(t)) for t in (arts[s.article].text[s.start : s.end] for s in sentences)]
        chunk_of_sentence, sentence_chunks = sentence_chunk_maps(chunks, len(sentences))

        faiss.write_index(_flat_index(sent_vecs), str(work / "sentences.faiss"))
        faiss.write_index(_flat_index(chunk_vecs), str(work / "chunks.faiss"))
        lexical.save(work / "lexical")
        with open(work / "articles.jsonl", "w", encoding="utf-8") as f:
            for a in arts:
                record = asdict(a)
                record.pop("offsets")
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        np.save(work / "offsets.npy", np.concatenate([np.asarray(a.offsets, dtype=np.int64) for a in arts]))
        np.save(work / "sentences.npy", np.asarray([(s.article, s.start, s.end, s.joins_next) for s in sentences], dtype=np.int64))
        np.save(
            work / "chunks.npy",
            np.asarray([(c.article, c.start, c.end, c.first_sentence, c.last_sentence) for c in chunks], dtype=np.int64),
        )
        np.save(work / "facts.npy", np.asarray(facts, dtype=np.uint16))
        np.save(work / "chunk_of_sentence.npy", chunk_of_sentence)
        np.save(work / "sentence_chunks.npy", sentence_chunks)
        (work / ISSUES).write_text(json.dumps(
            [{"file": name, "date": d.to_json() if d else None} for name, d in corpus.issue_dates.items()],
            ensure_ascii=False, indent=0), encoding="utf-8")
        manifest = {
            "format": INDEX_FORMAT,
            "model": embedder.identity,
            "dimension": int(sent_vecs.shape[1]),
            "chunker": CHUNKER_VERSION,
            "chunk_max_chars": chunk_max_chars,
            "chunk_overlap": chunk_overlap,
            "corpus_paths": [os.path.abspath(p) for p in corpus_paths],
            "files": corpus.hashes,
            "sidecars": _sidecar_hashes(corpus_paths),
            "problems": corpus.problems,
            "articles": len(arts),
            "sentences": len(sentences),
            "chunks": len(chunks),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        progress("Checking the files written")
        manifest["checksums"] = _checksums(work)
        # the manifest goes last: a directory without one is never a finished index
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = versions / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9}"
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _switch(index_dir, final)
    progress(f"Index ready at {index_dir}")
    return BuildReport(
        index_dir, len(corpus.articles), len(sentences), len(chunks), len(corpus.hashes), corpus.problems,
        time.perf_counter() - started,
    )


def _remove_abandoned(index_dir: Path, versions: Path) -> None:
    """What builds killed halfway (crash, kill -9) left behind: half-built versions and switch
    links. Called under the build lock, so no other build can still be using them."""
    for path in versions.glob(".building-*"):
        shutil.rmtree(path, ignore_errors=True)
    for link in index_dir.parent.glob(f".{index_dir.name}.link-*"):
        link.unlink(missing_ok=True)


def _switch(index_dir: Path, final: Path) -> None:
    """Point ``index_dir`` at ``final`` in one atomic step, then drop the versions no longer used.
    The version it pointed at until now is kept: a reader that resolved the link a moment ago is
    still reading it (see :func:`load_index`)."""
    previous = index_dir.resolve() if index_dir.is_symlink() else None
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    if index_dir.exists() and not index_dir.is_symlink():
        # an index directory from before versioning (or made by hand): keep it beside the versions
        index_dir.rename(final.parent / f"legacy-{time.time_ns()}")
    os.replace(link, index_dir)
    for old in final.parent.iterdir():
        if old not in (final, previous) and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if index_dir.is_dir() and not path.exists() and any(index_dir.iterdir()):
        raise IndexMissingError(
            f"{index_dir} is not a newsqa index (it has no {MANIFEST}) and newsqa will not build over "
            "what is in it: choose another --index folder, or empty this one first"
        )
    if not path.exists():
        raise IndexMissingError(
            f"No index at {index_dir}. Build it with: newsqa build --index {index_dir} "
            "(or scripts/build_index.py)"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StaleIndexError(f"The index at {index_dir} is damaged ({exc}). Rebuild it: newsqa build --index {index_dir}") from exc


def check_compatible(manifest: dict, index_dir: Path, *, model: str, chunk_max_chars: int, chunk_overlap: int) -> None:
    """Refuse vectors that mean something else than what the running code would produce."""
    rebuild = f"Rebuild it: newsqa build --index {index_dir} (or python scripts/build_index.py --index {index_dir})"
    if manifest.get("format") != INDEX_FORMAT:
        raise StaleIndexError(f"The index at {index_dir} has format {manifest.get('format')}, this newsqa reads format {INDEX_FORMAT}. {rebuild}")
    if manifest.get("model") != model:
        raise StaleIndexError(
            f"The index at {index_dir} was built with the model {manifest.get('model')!r}, "
            f"but the configured model is {model!r}: their vectors are not comparable. {rebuild}"
        )
    if manifest.get("chunker") != CHUNKER_VERSION:
        raise StaleIndexError(
            f"The index at {index_dir} was built by chunker version {manifest.get('chunker')}, "
            f"this newsqa uses version {CHUNKER_VERSION}. {rebuild}"
        )
    if (manifest.get("chunk_max_chars"), manifest.get("chunk_overlap")) != (chunk_max_chars, chunk_overlap):
        raise StaleIndexError(
            f"The index at {index_dir} was built with chunks of {manifest.get('chunk_max_chars')} characters "
            f"(overlap {manifest.get('chunk_overlap')}), the settings now ask for {chunk_max_chars} "
            f"(overlap {chunk_overlap}). {rebuild}"
        )


def corpus_changes(manifest: dict, corpus_paths: list[Path]) -> list[str]:
    """Which corpus files were added, removed or edited since the index was built. Files are
    compared by content, not by path: the same files in another folder are the same corpus."""
    try:
        files, _ = discover(corpus_paths)
        current: dict[str, str] = {}
        for file in files:
            try:
                current[file.name] = content_hash(file.path.read_bytes())
            except OSError:
                continue  # unreadable: the build reports and skips it too
    except NewsqaError as exc:
        return [str(exc)]
    built: dict[str, str] = manifest.get("files", {})
    built_hashes, current_hashes = set(built.values()), set(current.values())
    changes = [f"new or changed: {n}" for n, h in current.items() if h not in built_hashes]
    changes += [f"removed or changed: {n}" for n, h in built.items() if h not in current_hashes]
    if _sidecar_hashes(corpus_paths) != manifest.get("sidecars", {}):
        changes.append(f"the issue dates ({SIDECAR}) changed")
    return changes


def _sidecar_hashes(corpus_paths: list[Path]) -> dict[str, str]:
    """The content hash of each corpus root's issues.csv: editing one changes the issue dates."""
    found = {}
    for root in corpus_paths:
        try:
            found[root.name + "/" + SIDECAR] = content_hash((root / SIDECAR).read_bytes())
        except OSError:
            continue
    return found


def load_index(index_dir: Path) -> Index:
    """Load a finished index (compatibility is checked by the caller, which knows the model).

    ``index_dir`` is resolved once, so everything is read from one version even when a build
    switches the link meanwhile; every file is checked against the checksum the build recorded."""
    named, index_dir = index_dir, index_dir.resolve()
    manifest = read_manifest(index_dir)
    rebuild = f"Rebuild it: newsqa build --index {named}"
    if "checksums" not in manifest:
        raise StaleIndexError(f"The index at {named} records no checksums. {rebuild}")
    for name, expected in manifest["checksums"].items():
        try:
            ok = file_checksum(index_dir / name) == expected
        except OSError:
            ok = False
        if not ok:
            raise StaleIndexError(f"The index file {name} at {named} is damaged or missing (checksum mismatch). {rebuild}")
    try:
        articles_meta = [
            json.loads(line) for line in (index_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines() if line
        ]
        offsets = np.load(index_dir / "offsets.npy")
        articles: list[Article] = []
        pos = 0
        for meta in articles_meta:
            n = len(meta["text"])
            articles.append(Article(offsets=tuple(offsets[pos : pos + n].tolist()), **meta))
            pos += n
        sentences = [Sentence(a, s, e, bool(j)) for a, s, e, j in np.load(index_dir / "sentences.npy").tolist()]
        chunks = [Chunk(*map(int, row)) for row in np.load(index_dir / "chunks.npy")]
        sentence_vectors = faiss.read_index(str(index_dir / "sentences.faiss"))
        chunk_vectors = faiss.read_index(str(index_dir / "chunks.faiss"))
        lexical = LexicalIndex.load(index_dir / "lexical")
        facts = np.load(index_dir / "facts.npy")
        chunk_of_sentence = np.load(index_dir / "chunk_of_sentence.npy")
        sentence_chunks = np.load(index_dir / "sentence_chunks.npy")
        issues = [
            (entry["file"], IssueDate.from_json(entry["date"]))
            for entry in (json.loads((index_dir / ISSUES).read_text(encoding="utf-8")) if (index_dir / ISSUES).exists() else [])
        ]
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise StaleIndexError(
            f"The index at {named} is incomplete or damaged ({exc}). {rebuild}"
        ) from exc
    counts = {sentence_vectors.ntotal, len(facts), len(chunk_of_sentence), len(sentence_chunks)}
    if counts != {len(sentences)} or chunk_vectors.ntotal != len(chunks):
        raise StaleIndexError(f"The index at {named} is inconsistent (vector and sentence counts differ). {rebuild}")
    return Index(
        named, manifest, articles, sentences, chunks, sentence_vectors, chunk_vectors, lexical,
        chunk_of_sentence, sentence_chunks, facts, issues,
    )
