"""Hybrid search: which sentences of the paper answer a question, and how sure we are.

Three views vote on every sentence: its own embedding (does this sentence say it?), the embedding of
the chunk around it (is this the right passage?) and BM25 on its words (does it contain the facts
asked about?). The votes are combined into one score on a fixed scale, so that a single threshold
can tell "the paper says" from "the paper never said".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.index import Index
from retrieval.normalize import language, normalize


@dataclass(frozen=True)
class Hit:
    sentence: int
    score: float  # fused score, comparable across questions
    dense: float  # cosine of the question and the sentence
    chunk: float  # cosine of the question and the best chunk holding the sentence
    lexical: float  # share of the question's keyword weight found in the sentence (0..1)


@dataclass(frozen=True)
class SearchWeights:
    """How the three views are combined; fitted on the dev sets (see scripts/tune.py)."""

    dense: float = 1.0
    chunk: float = 0.5
    lexical: float = 0.35
    candidates: int = 200


class Searcher:
    def __init__(self, index: Index, embedder, weights: SearchWeights | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or SearchWeights()
        # per-sentence chunk membership, so chunk scores spread to the sentences they hold
        self._chunk_ranges = [(c.first_sentence, c.last_sentence) for c in index.chunks]

    def search(self, question: str, *, limit: int = 50) -> list[Hit]:
        """Sentences ranked by fused score, best first."""
        index, w = self.index, self.weights
        n_sent = len(index.sentences)
        query = normalize(question)
        qvec = self.embedder.encode_queries([query])
        k = min(w.candidates, n_sent)
        dense_scores, dense_ids = index.sentence_vectors.search(qvec, k)
        chunk_k = min(max(20, w.candidates // 4), len(index.chunks))
        chunk_scores, chunk_ids = index.chunk_vectors.search(qvec, chunk_k)

        sentence_dense = np.full(n_sent, np.nan, dtype=np.float32)
        sentence_dense[dense_ids[0]] = dense_scores[0]
        sentence_chunk = np.zeros(n_sent, dtype=np.float32)
        for score, c in zip(chunk_scores[0], chunk_ids[0]):
            first, last = self._chunk_ranges[c]
            np.maximum(sentence_chunk[first:last], score, out=sentence_chunk[first:last])

        lexical = self._coverage(query) if language(question) == "zh" or True else np.zeros(n_sent)
        candidates = set(dense_ids[0].tolist())
        candidates.update(np.flatnonzero(sentence_chunk).tolist())
        top_lex = np.argsort(-lexical)[: w.candidates]
        candidates.update(int(i) for i in top_lex if lexical[i] > 0)
        cand = np.fromiter(candidates, dtype=np.int64)
        missing = cand[np.isnan(sentence_dense[cand])]
        if len(missing):
            vecs = np.vstack([index.sentence_vectors.reconstruct(int(i)) for i in missing])
            sentence_dense[missing] = vecs @ qvec[0]
        chunk_part = sentence_chunk[cand]
        # a sentence whose chunk was not among the best chunks gets its own best as a stand-in
        chunk_part = np.where(chunk_part > 0, chunk_part, sentence_dense[cand])
        fused = w.dense * sentence_dense[cand] + w.chunk * chunk_part + w.lexical * lexical[cand]
        order = np.argsort(-fused)[:limit]
        return [
            Hit(int(cand[i]), float(fused[i]), float(sentence_dense[cand[i]]), float(chunk_part[i]), float(lexical[cand[i]]))
            for i in order
        ]

    def _coverage(self, query: str) -> np.ndarray:
        """BM25 scaled to 0..1 by what a perfect match of every query word would score."""
        lex = self.index.lexical
        raw = lex.scores(query)
        top = float(raw.max()) if raw.size else 0.0
        if top <= 0:
            return np.zeros(len(self.index.sentences), dtype=np.float32)
        return raw / top
