"""The on-disk index: FAISS vectors for sentences and chunks, BM25, article metadata, a manifest.

A build writes into a fresh directory and only then flips a symlink to it (``os.replace`` is atomic),
so a crash or Ctrl-C halfway through leaves the previous index in place and usable. The manifest,
written last, records what the vectors mean — model identity, dimension, chunker version, the hash of
every corpus file — and loading refuses an index whose vectors would not match the running model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from retrieval.chunking import CHUNKER_VERSION, Chunk, Sentence, chunk_articles
from retrieval.errors import IndexMissingError, NewsqaError, StaleIndexError
from retrieval.ingest import Article, Corpus, ingest
from retrieval.lexical import LexicalIndex, Tokenizer, corpus_vocabulary

INDEX_FORMAT = 1
MANIFEST = "manifest.json"
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default progress callback: say nothing."""


def file_hashes(files: list[Path]) -> dict[str, str]:
    return {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def embedding_text(article: Article, start: int, end: int) -> str:
    """What the model sees for a span: the headline gives short sentences their topic."""
    return f"{article.title}\n{article.text[start:end]}"


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
    chunk_of_sentence: np.ndarray  # for each sentence, the chunk used as its context

    def __post_init__(self) -> None:
        # flat indexes: keep the raw vectors at hand to score any candidate exactly
        self.sentence_matrix = self.sentence_vectors.reconstruct_n(0, self.sentence_vectors.ntotal)
        self.chunk_matrix = self.chunk_vectors.reconstruct_n(0, self.chunk_vectors.ntotal)

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.articles[s.article].text[s.start : s.end]


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
    embedder,  # retrieval.embedding.Embedder; untyped to keep torch out of this import
    *,
    chunk_max_chars: int,
    chunk_overlap: int,
    progress: Progress = quiet,
) -> BuildReport:
    """Ingest, chunk, embed and write a new index, then switch ``index_dir`` to it atomically."""
    started = time.perf_counter()
    progress(f"Reading {', '.join(str(p) for p in corpus_paths)}")
    corpus: Corpus = ingest(corpus_paths)
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
    _remove_abandoned(versions)
    work = versions / f".building-{os.getpid()}-{time.time_ns()}"
    work.mkdir()
    try:
        arts = corpus.articles
        progress("Embedding sentences")
        sent_vecs = embedder.encode_passages(
            [embedding_text(arts[s.article], s.start, s.end) for s in sentences], show_progress=True
        )
        progress("Embedding chunks")
        chunk_vecs = embedder.encode_passages(
            [embedding_text(arts[c.article], c.start, c.end) for c in chunks], show_progress=True
        )
        progress("Building keyword index")
        tokenizer = Tokenizer(corpus_vocabulary([a.title + "\n" + a.text for a in arts]))
        lexical = LexicalIndex.build([embedding_text(arts[s.article], s.start, s.end) for s in sentences], tokenizer)

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
        manifest = {
            "format": INDEX_FORMAT,
            "model": embedder.identity,
            "dimension": int(sent_vecs.shape[1]),
            "chunker": CHUNKER_VERSION,
            "chunk_max_chars": chunk_max_chars,
            "chunk_overlap": chunk_overlap,
            "corpus_paths": [str(p.resolve()) for p in corpus_paths],
            "files": file_hashes(corpus.files),
            "problems": corpus.problems,
            "articles": len(arts),
            "sentences": len(sentences),
            "chunks": len(chunks),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
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
        index_dir, len(corpus.articles), len(sentences), len(chunks), len(corpus.files), corpus.problems,
        time.perf_counter() - started,
    )


def _remove_abandoned(versions: Path) -> None:
    """Half-built directories of builds whose process is gone (crash, kill -9)."""
    for path in versions.glob(".building-*"):
        try:
            pid = int(path.name.split("-")[1])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:
            pass


def _switch(index_dir: Path, final: Path) -> None:
    """Point ``index_dir`` at ``final`` in one atomic step, then drop versions no longer used."""
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    if index_dir.exists() and not index_dir.is_symlink():
        # an index directory from before versioning (or made by hand): keep it beside the versions
        index_dir.rename(final.parent / f"legacy-{time.time_ns()}")
    os.replace(link, index_dir)
    for old in final.parent.iterdir():
        if old != final and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
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
    """Which corpus files were added, removed or edited since the index was built."""
    try:
        from retrieval.ingest import discover

        current = file_hashes(discover(corpus_paths))
    except (OSError, NewsqaError) as exc:
        return [str(exc)]
    built = manifest.get("files", {})
    changes = [f"new: {p}" for p in current if p not in built]
    changes += [f"removed: {p}" for p in built if p not in current]
    changes += [f"changed: {p}" for p in current if p in built and built[p] != current[p]]
    return changes


def load_index(index_dir: Path) -> Index:
    """Load a finished index (compatibility is checked by the caller, which knows the model)."""
    manifest = read_manifest(index_dir)
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
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise StaleIndexError(
            f"The index at {index_dir} is incomplete or damaged ({exc}). Rebuild it: newsqa build --index {index_dir}"
        ) from exc
    if sentence_vectors.ntotal != len(sentences) or chunk_vectors.ntotal != len(chunks):
        raise StaleIndexError(f"The index at {index_dir} is inconsistent (vector and sentence counts differ). Rebuild it.")
    # the chunk that shows each sentence with the most context on both sides
    chunk_of_sentence = np.zeros(len(sentences), dtype=np.int64)
    centrality = np.full(len(sentences), -1, dtype=np.int64)
    for c, chunk in enumerate(chunks):
        for s in range(chunk.first_sentence, chunk.last_sentence):
            room = min(s - chunk.first_sentence, chunk.last_sentence - 1 - s)
            if room > centrality[s]:
                centrality[s], chunk_of_sentence[s] = room, c
    return Index(
        index_dir, manifest, articles, sentences, chunks, sentence_vectors, chunk_vectors, lexical, chunk_of_sentence
    )
