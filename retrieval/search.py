"""Hybrid search: which sentences of the paper answer a question, and how sure we are.

Candidates come from three searches — FAISS over sentence vectors, FAISS over chunk vectors, BM25 over
sentence words — and each candidate is then scored on the same features: its own cosine with the
question (does this sentence say it?), the best cosine of a chunk holding it (is this the right
passage?), the share of the question's keyword weight in the sentence with its neighbours and
headline and in its headline-plus-chunk context (are the facts asked about here?), and whether it
holds the kind of thing asked for (a number for 多少, a date for 哪天). All features live on fixed
scales, so the weighted sum is comparable across questions and one threshold can tell "the paper
says" from "the paper never said".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.answer_types import question_places, question_types, question_unit, type_match
from retrieval.index import Index
from retrieval.ingest import is_byline
from retrieval.normalize import language, normalize
from retrieval.terms import TermIndex


@dataclass(frozen=True)
class SearchWeights:
    """How the features are combined; fitted with scripts/tune_fusion.py (evidence in README)."""

    dense: float = 1.0
    chunk: float = 0.5
    coverage: float = 0.0
    window_coverage: float = 0.1
    context_coverage: float = 0.05
    answer_type: float = 0.04
    byline: float = -0.1
    # confidence = best fused score - unknown_penalty * (share of the question's keyword weight
    # that occurs nowhere in the corpus): "出生", "高铁" in a paper that never used them
    unknown_penalty: float = 0.5
    # ... - type_penalty when the question asks for a kind of thing (多少亿元, 多久, 谁) that the best
    # sentence does not hold: the paper talks about the topic but does not give the figure
    type_penalty: float = 0.2
    # ... + crosslingual for an English question: it has no keyword evidence (the corpus is Chinese)
    # and cross-lingual cosines run lower, so its best score sits about this much below a Chinese one's
    crosslingual: float = 0.1
    candidates: int = 100


@dataclass(frozen=True)
class Hit:
    sentence: int
    score: float  # fused score, comparable across questions


@dataclass
class Candidates:
    """Feature columns for the candidate sentences of one question."""

    ids: np.ndarray
    dense: np.ndarray
    chunk: np.ndarray
    coverage: np.ndarray
    window_coverage: np.ndarray
    context_coverage: np.ndarray
    answer_type: np.ndarray
    byline: np.ndarray  # 1 for a byline-only sentence when the question does not ask for a person
    unknown: float = 0.0  # share of the question's keyword weight absent from the whole corpus
    asks_type: bool = False  # the question asks for a number, duration, date, person or place
    english: bool = False


class Searcher:
    def __init__(self, index: Index, embedder, weights: SearchWeights | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or SearchWeights()
        self._chunk_ranges = np.asarray([(c.first_sentence, c.last_sentence) for c in index.chunks], dtype=np.int64)
        self._n = len(index.sentences)
        # the chunks holding each sentence (overlapping chunks: one or two), found once here
        holders: list[list[int]] = [[] for _ in range(self._n)]
        for c, chunk in enumerate(index.chunks):
            for i in range(chunk.first_sentence, chunk.last_sentence):
                holders[i].append(c)
        self._holders = [np.asarray(h, dtype=np.int64) for h in holders]
        contexts = []
        for i, s in enumerate(index.sentences):
            chunk = index.chunks[int(index.chunk_of_sentence[i])]
            article = index.articles[s.article]
            contexts.append(article.title + "\n" + article.text[chunk.start : chunk.end])
        self.terms = TermIndex(
            [index.sentence_text(i) for i in range(self._n)],
            contexts,
            [s.article for s in index.sentences],
            [a.title for a in index.articles],
        )

    def search(self, question: str, *, limit: int = 50) -> tuple[list[Hit], float]:
        """Sentences ranked by fused score, best first, and the confidence that the best answers."""
        cand = self.candidates(question)
        hits = rank(cand, self.weights, limit=limit)
        return hits, confidence(hits, cand, self.weights)

    def query_terms(self, question: str) -> list[str]:
        """The keywords whose presence counts as evidence. For English questions only the words the
        corpus can contain: Latin terms it uses and the Chinese names spelled in pinyin."""
        if language(question) == "en":
            latin = [t for t in self.index.lexical.tokenizer.terms(question) if self.terms.document_frequency(t)]
            return list(dict.fromkeys(self.terms.pinyin_names(question) + latin))
        return self.index.lexical.tokenizer.terms(question)

    def candidates(self, question: str) -> Candidates:
        index, w = self.index, self.weights
        query = normalize(question)
        qvec = self.embedder.encode_queries([query])
        k = min(w.candidates, self._n)
        _, dense_ids = index.sentence_vectors.search(qvec, k)
        _, chunk_ids = index.chunk_vectors.search(qvec, min(10, len(index.chunks)))
        terms = self.query_terms(question)

        cand = set(dense_ids[0].tolist())
        for first, last in self._chunk_ranges[chunk_ids[0]]:
            cand.update(range(first, last))
        if terms:
            bm25 = index.lexical.scores(" ".join(terms))
            top = np.argsort(-bm25)[:k]
            cand.update(top[bm25[top] > 0].tolist())
        ids = np.fromiter(sorted(cand), dtype=np.int64)

        dense = index.sentence_matrix[ids] @ qvec[0]
        chunk_cos = index.chunk_matrix @ qvec[0]
        chunk = np.asarray([chunk_cos[self._holders[i]].max() for i in ids], dtype=np.float32)
        kinds, unit, places = question_types(question), question_unit(question), question_places(question)
        texts = [index.sentence_text(int(i)) for i in ids]
        answer_type = np.asarray([type_match(kinds, t, unit, places) for t in texts], dtype=np.float32)
        # a byline on its own ("株洲日报讯(全媒体记者/张威)") shares its headline's vector; it
        # answers "who wrote…" questions and nothing else
        byline = np.asarray([("person" not in kinds) and is_byline(t) for t in texts], dtype=np.float32)
        weights = [self.terms.idf(t) for t in terms]
        unknown = sum(w_ for t, w_ in zip(terms, weights) if not self.terms.document_frequency(t)) / (sum(weights) or 1)
        return Candidates(
            unknown=unknown,
            asks_type=bool(kinds),
            english=language(question) == "en",
            ids=ids,
            dense=dense.astype(np.float32),
            chunk=chunk,
            coverage=self.terms.coverage(terms, ids),
            window_coverage=self.terms.coverage(terms, ids, where="window"),
            context_coverage=self.terms.coverage(terms, ids, where="context"),
            answer_type=answer_type,
            byline=byline,
        )


def rank(c: Candidates, w: SearchWeights, *, limit: int = 50) -> list[Hit]:
    fused = (
        w.dense * c.dense
        + w.chunk * c.chunk
        + w.coverage * c.coverage
        + w.window_coverage * c.window_coverage
        + w.context_coverage * c.context_coverage
        + w.answer_type * c.answer_type
        + w.byline * c.byline
    )
    order = np.argsort(-fused, kind="stable")[:limit]
    return [Hit(int(c.ids[i]), float(fused[i])) for i in order]


def confidence(hits: list[Hit], c: Candidates, w: SearchWeights) -> float:
    """How sure the best hit answers: compared with the "not found" threshold in Settings."""
    if not hits:
        return 0.0
    untyped = c.asks_type and not c.answer_type[np.searchsorted(c.ids, hits[0].sentence)]
    return hits[0].score - w.unknown_penalty * c.unknown - w.type_penalty * untyped + w.crosslingual * c.english
