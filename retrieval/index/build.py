"""Building an index: read the corpus, cut it, embed what is new, compute every derived array, write.

Builds are incremental by content. Every article is identified by the hash of its headline and text;
everything derived from an article alone — its sentence and chunk vectors, answer kinds, normalized
texts, pinyin, BM25 tokens, candidate local names — is copied from the version being replaced when
an article with the same hash is in it (its answer kinds recomputed when sentence_facts has changed
version since: ``answer_types.FACTS_VERSION``), and computed only for new or changed articles. An issue
file whose bytes are unchanged is not even parsed again. What depends on the whole corpus (BM25
statistics, document frequencies, the user dictionary) is recomputed from those parts, which takes
seconds. When nothing changed at all, nothing is written. Either way the new version is written
beside the old one and switched in atomically (:func:`~retrieval.index.store.switch`): until then,
and if the build is interrupted, the old version keeps answering.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retrieval.corpus.article import Article
from retrieval.corpus.chunking import CHUNKER_VERSION, chunk_articles
from retrieval.corpus.ingest import Corpus, content_hash, ingest
from retrieval.corpus.issues import is_byline
from retrieval.errors import NewsqaError
from retrieval.index.lexical import LexicalIndex, Tokenizer, stored_tokens, vocabulary, vocabulary_counts
from retrieval.index.store import (
    INDEX_FORMAT,
    ISSUES,
    MANIFEST,
    Index,
    Progress,
    build_lock,
    check_compatible,
    facts_current,
    checksums,
    corpus_hashes,
    load_index,
    quiet,
    read_manifest,
    remove_abandoned,
    sentence_chunk_maps,
    sidecar_hashes,
    switch,
)
from retrieval.index.terms import TermArrays, Texts, normalized, sentence_pinyin, write_terms
from retrieval.index.vectors import VectorSearch
from retrieval.ranking.answer_types import FACTS_VERSION, sentence_facts


@dataclass(frozen=True)
class BuildReport:
    directory: Path
    articles: int
    sentences: int
    chunks: int
    files: int
    problems: list[str]
    seconds: float
    embedded: int = 0  # sentences and chunks embedded by this build
    reused: int = 0  # articles whose vectors and derived data came from the previous version
    unchanged: bool = False  # the corpus had not changed: no new version was written


def article_hash(article: Article) -> str:
    """What identifies an article's content for reuse: its headline and text (what is embedded)."""
    return content_hash(f"{article.title}\x00{article.text}".encode("utf-8"))


def build_index(
    corpus_paths: list[Path],
    index_dir: Path,
    embedder,  # retrieval.model.embedding.Embedder; untyped to keep torch out of this import
    *,
    chunk_max_chars: int,
    chunk_overlap: int,
    progress: Progress = quiet,
) -> BuildReport:
    """Bring the index at ``index_dir`` up to date with ``corpus_paths``, reusing what the current
    version already computed; under :func:`build_lock`, so two builds never write one index at once."""
    with build_lock(index_dir):
        return _build(corpus_paths, index_dir, embedder, chunk_max_chars=chunk_max_chars,
                      chunk_overlap=chunk_overlap, progress=progress)


def _previous(index_dir: Path, embedder, chunk_max_chars: int, chunk_overlap: int) -> Index | None:
    """The current version, when its parts can be reused (same format, model and chunking)."""
    try:
        manifest = read_manifest(index_dir)
        check_compatible(manifest, index_dir, model=embedder.identity, chunk_max_chars=chunk_max_chars,
                         chunk_overlap=chunk_overlap)
        return load_index(index_dir)
    except NewsqaError:
        return None


@dataclass
class _Parts:
    """Everything per sentence / chunk / article of the new version, in corpus order."""

    sentence_vectors: list[np.ndarray | None] = field(default_factory=list)  # one block per article
    chunk_vectors: list[np.ndarray | None] = field(default_factory=list)
    facts: list[int] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)  # normalized
    contexts: list[str] = field(default_factory=list)  # normalized, by chunk
    pinyin: list[np.ndarray | None] = field(default_factory=list)  # reused: in the previous version's ids
    tokens: list[list[str] | None] = field(default_factory=list)
    vocab: list[dict[str, int]] = field(default_factory=list)  # by article


class _Reuse:
    """The previous version's per-article parts, found by article content hash."""

    def __init__(self, index: Index) -> None:
        self.index = index
        meta = index.articles.meta
        n_articles = len(index.articles)
        self.by_hash = {h: a for a, h in enumerate(meta["hash"])}
        self.sentence_bounds = np.searchsorted(index.sentence_rows[:, 0], np.arange(n_articles + 1))
        self.chunk_bounds = np.searchsorted(index.chunk_rows[:, 0], np.arange(n_articles + 1))
        self.vocab = meta["vocab"]
        # answer kinds found by another version of sentence_facts are found again (check_facts)
        self.facts_current = facts_current(index.manifest)
        self.of_source: dict[str, list[int]] = {}
        for a, source in enumerate(meta["source"]):
            self.of_source.setdefault(source, []).append(a)
        self._sentences: list[str] | None = None
        self._contexts: list[str] | None = None
        self._tokens: tuple[list[str], list[list[str]]] | None = None

    def articles_of_file(self, digest: str, name: str) -> list[Article] | None:
        """The articles parsed earlier from a file with these bytes, cited by ``name``."""
        old = [n for n, h in self.index.manifest.get("files", {}).items() if h == digest]
        if not old:
            return None
        return [Article(**{**self.index.articles[a].__dict__, "source": name}) for a in self.of_source.get(old[0], [])]

    def sentences(self) -> list[str]:
        if self._sentences is None:
            self._sentences = self.index.terms.sentences.all()
            self._contexts = self.index.terms.contexts.all()
        return self._sentences

    def contexts(self) -> list[str]:
        self.sentences()
        return self._contexts  # type: ignore[return-value]

    def tokens(self) -> tuple[list[str], list[list[str]]]:
        if self._tokens is None:
            self._tokens = stored_tokens(self.index.directory.resolve() / "lexical")
        return self._tokens


def _build(corpus_paths: list[Path], index_dir: Path, embedder, *, chunk_max_chars: int, chunk_overlap: int,
           progress: Progress) -> BuildReport:
    started = time.perf_counter()
    if index_dir.exists() and not index_dir.is_symlink() and any(index_dir.iterdir()) and not (index_dir / MANIFEST).exists():
        raise NewsqaError(f"Refusing to build into {index_dir}: it exists, is not empty and is not a newsqa index")
    previous = _previous(index_dir, embedder, chunk_max_chars, chunk_overlap)
    if (
        previous is not None
        and corpus_hashes(corpus_paths) == (previous.manifest.get("files"), True)
        and sidecar_hashes(corpus_paths) == previous.manifest.get("sidecars", {})
        and facts_current(previous.manifest)
    ):
        m = previous.manifest
        progress(f"The index at {index_dir} is up to date with {', '.join(str(p) for p in corpus_paths)}: nothing to do")
        return BuildReport(index_dir, m["articles"], m["sentences"], m["chunks"], len(m["files"]), m.get("problems", []),
                           time.perf_counter() - started, unchanged=True)
    reuse = _Reuse(previous) if previous is not None else None
    corpus = _read_corpus(corpus_paths, progress, reuse)
    for problem in corpus.problems:
        progress(f"warning: {problem}")
    if not corpus.articles:
        raise NewsqaError(
            "No articles found in " + ", ".join(str(p) for p in corpus_paths)
            + " (expected .txt/.md issue files or .jsonl records); the existing index was left as it was"
        )
    arts = corpus.articles
    sentences, chunks = chunk_articles(arts, max_chars=chunk_max_chars, overlap=chunk_overlap, sources=corpus.sources)
    progress(f"{len(arts)} articles, {len(sentences)} sentences, {len(chunks)} chunks")

    versions = index_dir.parent / f"{index_dir.name}.versions"
    versions.mkdir(parents=True, exist_ok=True)
    remove_abandoned(index_dir, versions)
    work = versions / f".building-{os.getpid()}-{time.time_ns()}"
    work.mkdir()
    try:
        hashes = [article_hash(a) for a in arts]
        s_bounds = np.searchsorted(np.asarray([s.article for s in sentences], dtype=np.int64), np.arange(len(arts) + 1))
        c_bounds = np.searchsorted(np.asarray([c.article for c in chunks], dtype=np.int64), np.arange(len(arts) + 1))
        parts, reused = _derive(arts, sentences, chunks, hashes, s_bounds, c_bounds, reuse, progress)

        new_sentences = [s for a, block in enumerate(parts.sentence_vectors) if block is None
                         for s in range(s_bounds[a], s_bounds[a + 1])]
        new_chunks = [c for a, block in enumerate(parts.chunk_vectors) if block is None
                      for c in range(c_bounds[a], c_bounds[a + 1])]
        progress(f"Embedding {len(new_sentences)} sentences ({len(sentences) - len(new_sentences)} reused)")
        sent_vecs = _assemble(parts.sentence_vectors, s_bounds, new_sentences, embedder.dimension, lambda ids: embedder.encode_passages(
            [arts[sentences[i].article].headed(sentences[i].start, sentences[i].end) for i in ids], show_progress=True))
        progress(f"Embedding chunks: {len(new_chunks)} ({len(chunks) - len(new_chunks)} reused)")
        chunk_vecs = _assemble(parts.chunk_vectors, c_bounds, new_chunks, embedder.dimension, lambda ids: embedder.encode_passages(
            [arts[chunks[i].article].headed(chunks[i].start, chunks[i].end) for i in ids], show_progress=True))

        progress("Building keyword index")
        total: Counter[str] = Counter()
        for counts in parts.vocab:
            total.update(counts)
        user_words = vocabulary(total)
        tokens = _tokens(arts, sentences, parts, user_words, reuse, s_bounds)
        chunk_of_sentence, sentence_chunks = sentence_chunk_maps(chunks, len(sentences))

        progress(f"Writing the index ({len(sentences)} sentences)")
        article_of = np.asarray([s.article for s in sentences], dtype=np.int32)
        pinyin, syllables = _pinyin(parts, reuse)
        write_terms(work / "terms", TermArrays(parts.sentences, parts.contexts, [normalized(a.title) for a in arts],
                                               pinyin, syllables), article_of)
        LexicalIndex.write(work / "lexical", tokens, user_words)
        approximate = VectorSearch.write(work, "sentence", sent_vecs)
        VectorSearch.write(work, "chunk", chunk_vecs)
        meta = {
            "title": [a.title for a in arts], "source": [a.source for a in arts], "subtitle": [a.subtitle for a in arts],
            "byline": [a.byline for a in arts], "date": [a.date for a in arts], "hash": hashes, "vocab": parts.vocab,
        }
        (work / "articles.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        Texts.write(work / "article_text", [a.text for a in arts])
        np.save(work / "offsets.npy", np.concatenate([np.asarray(a.offsets, dtype=np.int32) for a in arts]))
        np.save(work / "sentences.npy", np.asarray([(s.article, s.start, s.end, s.joins_next) for s in sentences], dtype=np.int32).reshape(-1, 4))
        np.save(work / "chunks.npy", np.asarray([(c.article, c.start, c.end, c.first_sentence, c.last_sentence) for c in chunks], dtype=np.int32).reshape(-1, 5))
        np.save(work / "facts.npy", np.asarray(parts.facts, dtype=np.uint16))
        np.save(work / "chunk_of_sentence.npy", chunk_of_sentence.astype(np.int32))
        np.save(work / "sentence_chunks.npy", sentence_chunks.astype(np.int32))
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
            "facts": FACTS_VERSION,
            "corpus_paths": [os.path.abspath(p) for p in corpus_paths],
            "files": corpus.hashes,
            "sidecars": sidecar_hashes(corpus_paths),
            "problems": corpus.problems,
            "articles": len(arts),
            "sentences": len(sentences),
            "chunks": len(chunks),
            "approximate": approximate,
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        progress("Checking the files written")
        manifest["checksums"] = checksums(work)
        # the manifest goes last: a directory without one is never a finished index
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = versions / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9}"
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    switch(index_dir, final)
    progress(f"Index ready at {index_dir}")
    return BuildReport(
        index_dir, len(arts), len(sentences), len(chunks), len(corpus.hashes), corpus.problems,
        time.perf_counter() - started, embedded=len(new_sentences) + len(new_chunks), reused=reused,
    )


def _read_corpus(corpus_paths: list[Path], progress: Progress, reuse: _Reuse | None) -> Corpus:
    progress(f"Reading {', '.join(str(p) for p in corpus_paths)}")
    with tqdm(desc="Reading", unit="file", disable=None, leave=False) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(1)

        return ingest(corpus_paths, progress=advance, known=reuse.articles_of_file if reuse else None)


def _derive(arts, sentences, chunks, hashes, s_bounds, c_bounds, reuse: _Reuse | None, progress: Progress) -> tuple[_Parts, int]:
    """Per-article parts: copied from the previous version when the article is in it, else computed
    (all but the vectors, which are embedded afterwards in one batch)."""
    parts = _Parts()
    reused = 0
    with tqdm(total=len(arts), desc="Articles", unit="article", disable=None, leave=False) as bar:
        for a, article in enumerate(arts):
            bar.update(1)
            s0, s1, c0, c1 = int(s_bounds[a]), int(s_bounds[a + 1]), int(c_bounds[a]), int(c_bounds[a + 1])
            old = reuse.by_hash.get(hashes[a]) if reuse else None
            if old is not None:
                os0, os1 = int(reuse.sentence_bounds[old]), int(reuse.sentence_bounds[old + 1])
                oc0, oc1 = int(reuse.chunk_bounds[old]), int(reuse.chunk_bounds[old + 1])
                if (os1 - os0, oc1 - oc0) != (s1 - s0, c1 - c0):
                    old = None  # cut differently (cannot happen with one chunker version): recompute
            if old is not None:
                reused += 1
                index = reuse.index
                parts.sentence_vectors.append(index.sentence_matrix[os0:os1])
                parts.chunk_vectors.append(index.chunk_matrix[oc0:oc1])
                current = reuse.facts_current
                parts.facts.extend(index.facts[os0:os1].tolist() if current else _facts(article, sentences[s0:s1]))
                parts.sentences.extend(reuse.sentences()[os0:os1])
                parts.contexts.extend(reuse.contexts()[oc0:oc1])
                codes, starts = index.terms._pinyin, index.terms.sentences.starts
                parts.pinyin.extend(
                    np.frombuffer(codes, dtype="<u2", count=int(starts[i + 1] - 1 - starts[i]), offset=2 * int(starts[i]))
                    if starts[i + 1] - 1 > starts[i] else np.zeros(0, np.uint16)
                    for i in range(os0, os1)
                )
                parts.vocab.append(reuse.vocab[old])
                parts.tokens.extend(("reuse", i) for i in range(os0, os1))  # type: ignore[misc]
                continue
            parts.sentence_vectors.append(None)
            parts.chunk_vectors.append(None)
            parts.facts.extend(_facts(article, sentences[s0:s1]))
            for s in sentences[s0:s1]:
                parts.sentences.append(normalized(article.text[s.start : s.end]))
                parts.pinyin.append(None)
            parts.contexts.extend(normalized(article.headed(c.start, c.end)) for c in chunks[c0:c1])
            parts.vocab.append(dict(vocabulary_counts(article.headed(0, len(article.text)))))
            parts.tokens.extend([None] * (s1 - s0))
    return parts, reused


def _facts(article: Article, sentences) -> list[int]:
    """The answer kinds of ``article``'s ``sentences`` (answer_types.sentence_facts)."""
    return [sentence_facts(t, byline=is_byline(t)) for t in (article.text[s.start : s.end] for s in sentences)]


def _pinyin(parts: _Parts, reuse: _Reuse | None) -> tuple[list[np.ndarray], list[str]]:
    """The syllable ids of every sentence's characters and the table they index (1-based), made of
    exactly the syllables this corpus holds, sorted: reused sentences carry ids of the previous
    table and are mapped through it, new ones are read (pypinyin) here."""
    ids: dict[str, int] = {}
    previous = np.zeros(1, dtype=np.int64)
    if reuse is not None:
        table = sorted(reuse.index.terms._syllable_ids, key=reuse.index.terms._syllable_ids.get)
        previous = np.asarray([0] + [ids.setdefault(s, len(ids) + 1) for s in table], dtype=np.int64)
    arrays = [
        sentence_pinyin(text, ids).astype(np.int64) if old is None else previous[old]
        for text, old in zip(parts.sentences, parts.pinyin)
    ]
    present = np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, np.int64)
    by_id = {i: s for s, i in ids.items()}
    table = sorted(by_id[int(i)] for i in present if i)
    renumber = np.zeros(len(ids) + 1, dtype=np.uint16)
    for new, s in enumerate(table, 1):
        renumber[ids[s]] = new
    return [renumber[a] for a in arrays], table


def _tokens(arts, sentences, parts: _Parts, user_words: list[str], reuse: _Reuse | None, s_bounds) -> list[list[str]]:
    """BM25 tokens of every sentence. Reused from the previous version unless the user dictionary
    changed in a word the sentence's article contains (a new local name changes how jieba cuts it)."""
    old_words, old_tokens = reuse.tokens() if reuse and any(t is not None for t in parts.tokens) else ([], [])
    changed = set(user_words) ^ set(old_words)
    tokenizer: Tokenizer | None = None
    out: list[list[str]] = []
    for a, article in enumerate(arts):
        block = parts.tokens[s_bounds[a] : s_bounds[a + 1]]
        text = "\x00".join([normalized(article.title), *parts.sentences[s_bounds[a] : s_bounds[a + 1]]])
        stale = any(w in text for w in changed)
        for k, entry in enumerate(block):
            if entry is not None and not stale:
                out.append(old_tokens[entry[1]])
                continue
            if tokenizer is None:
                tokenizer = Tokenizer(user_words)
            s = sentences[s_bounds[a] + k]
            out.append(tokenizer.tokens(article.headed(s.start, s.end)))
    return out


def _assemble(blocks: list[np.ndarray | None], bounds: np.ndarray, new_ids: list[int], dimension: int, encode) -> np.ndarray:
    """One float32 matrix: reused blocks copied, the rows of ``new_ids`` embedded in one batch."""
    out = np.empty((int(bounds[-1]), dimension), dtype=np.float32)
    for a, block in enumerate(blocks):
        if block is not None:
            out[bounds[a] : bounds[a + 1]] = block
    if new_ids:
        out[np.asarray(new_ids)] = encode(new_ids)
    return out
