"""Hybrid search: which sentences of the paper answer a question, and how sure we are.

Candidates come from three searches — FAISS over sentence vectors, FAISS over chunk vectors, BM25 over
sentence words — and each candidate is then scored on the same features: its own cosine with the
question (does this sentence say it?), the best cosine of a chunk holding it (is this the right
passage?), the share of the question's keyword weight in the sentence with its neighbours and
headline and in its headline-plus-chunk context (are the facts asked about here?), and whether it
holds the kind of thing asked for (a number for 多少, a date for 哪天), with what the learned ranker
reads besides (neighbours' cosines, BM25, place in the article, the question's character pairs
beyond the sentence's headline found in it). A LightGBM model trained on DRCD orders a question's
candidates (:func:`rank`, retrieval.ranking.ranker); the weighted sum of the fixed-scale features
(weights in :class:`~retrieval.ranking.tuning.Tuning`) is comparable across questions, so a
confidence built on it and calibrated into a probability (:func:`probability`) tells "the paper
says" from "the paper never said".
Everything that depends only on the corpus — a sentence's answer kinds, whether it is a byline, the
chunks holding it — was computed at build time and is only looked up here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrieval.index.store import Index
from retrieval.index.vectors import top_ids
from retrieval.ranking import twohop
from retrieval.ranking.answer_types import BYLINE, holds_asked, kinds_mask
from retrieval.ranking.query import Query, parse_query
from retrieval.ranking.ranker import RANKER, features
from retrieval.ranking.tuning import TUNING, Tuning


@dataclass(frozen=True)
class Hit:
    sentence: int
    score: float  # fused score, comparable across questions: what quotes weigh neighbours with


@dataclass
class Candidates:
    """Feature columns for the candidate sentences of one question."""

    ids: np.ndarray
    dense: np.ndarray
    chunk: np.ndarray
    window_coverage: np.ndarray
    context_coverage: np.ndarray
    answer_type: np.ndarray
    byline: np.ndarray  # 1 for a byline-only sentence when the question does not ask for a person
    # what the learned ranker reads besides (retrieval/ranking/ranker.py)
    neighbour: np.ndarray  # the best cosine of the sentence before and after it, same article
    bm25: np.ndarray  # its BM25 score over the best BM25 score of the question (0 without keywords)
    sentence_coverage: np.ndarray  # keyword weight in the sentence alone
    position: np.ndarray  # its place in its article: 0 for the first sentence, at most 10
    length: np.ndarray  # characters
    beyond_headline: np.ndarray  # the question's character pairs its headline lacks, in the sentence
    # 1 when a sentence its quote may join (quotes.select_passages) holds what is asked: the date
    # of "该项目于2020年12月更名" answers the question about the building the sentence before names
    neighbour_type: np.ndarray
    # what the confidence reads besides: 0 when the question names the attribute it asks about
    # (Query.attribute: "…的总投资是多少") and the sentence's window does not mention it
    attribute: np.ndarray
    unknown: float = 0.0  # share of the question's keyword weight absent from the whole corpus
    asks_type: bool = False  # the question asks for a number, duration, date, person or place
    english: bool = False
    keywords: int = 0  # how many keywords the question has
    matched: bool = True  # some keyword of the question occurs in the corpus


class Searcher:
    def __init__(self, index: Index, embedder, tuning: Tuning = TUNING) -> None:
        self.index = index
        self.embedder = embedder
        self.tuning = tuning
        self._chunk_ranges = index.chunk_rows[:, 3:5]  # first and last (exclusive) sentence of each chunk
        self._n = len(index.sentences)
        self.terms = index.terms
        issue_dates = index.issue_dates
        with_year = [d for d in issue_dates.values() if d and d.as_date()]
        self.newest = max(with_year, key=lambda d: d.sort_key()) if with_year else None
        meta = index.articles.meta
        self._days = [_article_days(date, issue_dates.get(source)) for date, source in zip(meta["date"], meta["source"])]

    def query(self, question: str) -> Query:
        """The question normalized and classified against this corpus, once."""
        newest = self.newest
        return parse_query(
            question, self.index.lexical.tokenizer, self.terms, dictionary=self.tuning.english_dictionary,
            newest=newest.as_date() if newest else None, newest_label=newest.label() if newest else None,
        )

    def vector(self, query: Query) -> np.ndarray:
        """The question's embedding (one unit vector), what the dense searches and features use."""
        return self.embedder.encode_queries([query.normalized])[0]

    def search(self, query: Query, vector: np.ndarray, prefer: int | None = None) -> tuple[list[Hit], float]:
        """Every candidate sentence ranked (:func:`rank`), best first, and the probability that the
        best one answers (:func:`probability`); ``vector`` is the question's embedding
        (:meth:`vector`). A Chinese question is ordered by the learned ranker; an English one,
        one naming days and a follow-up by the fused score, with boosts: for a question naming
        days ("1月4日…", "上个月…") the sentences
        :meth:`on_date` rank ``Tuning.date_boost`` higher, and for a follow-up the sentences of
        the article it leans on (``prefer``) ``Tuning.followup_boost`` higher: boosts, not
        filters (a two-hop question's other hop may be printed on another day, a follow-up may
        be answered elsewhere), and the confidence discounts them. A two-hop question ("…的那位董事长,
        在全国两会期间建议…?") is searched again as :meth:`second_hop` rewrites it, when it does."""
        learned = not query.english and query.when is None and prefer is None
        cand = self.candidates(query, vector)
        hits = rank(cand, self.tuning, learned)
        query, cand, hits = self.second_hop(query, cand, hits, learned)
        if learned:
            return hits, probability(hits, cand, self.tuning)

        def boost(sentence: int) -> float:
            lift = self.tuning.date_boost if query.when is not None and self.on_date(query, sentence) else 0.0
            if prefer is not None and self.index.sentences[sentence].article == prefer:
                lift += self.tuning.followup_boost
            return lift

        hits = sorted((Hit(h.sentence, h.score + boost(h.sentence)) for h in hits), key=lambda h: -h.score)
        # a boost orders, it is no evidence that the paper answers: the confidence discounts it
        lift = boost(hits[0].sentence) if hits else 0.0
        return hits, probability([Hit(hits[0].sentence, hits[0].score - lift)] if hits else [], cand, self.tuning)

    def second_hop(
        self, query: Query, cand: Candidates, hits: list[Hit], learned: bool = True
    ) -> tuple[Query, Candidates, list[Hit]]:
        """For a question that describes what it asks about by a clause ("曹慧泉调研中车株洲所时与
        之座谈的那位董事长,…", :mod:`~retrieval.ranking.twohop`) and whose best sentence answers that
        clause — it is in the article the clause alone finds best, or it lacks the asked type — the
        question with the clause replaced by the entity the clause's best sentences name (the first
        of its best ``Tuning.hop_sentences`` in that article to name one: the sentence that matches
        the clause's words best is often the one before the name, "曹慧泉对中车株洲所…表示感谢"), and
        both searches' candidates ranked together under it: one ranking, one confidence. Any other
        question, and any English one (the clause markers and the names read are Chinese), comes
        back as it was."""
        clause = twohop.split(query.normalized) if hits and not query.english else None
        if clause is None:
            return query, cand, hits
        described = self.query(f"{clause.clause}{clause.head}")
        first = rank(self.candidates(described, self.vector(described)), self.tuning, learned)
        if not first:
            return query, cand, hits
        article = self.index.sentences[first[0].sentence].article
        untyped = cand.asks_type and not cand.answer_type[np.searchsorted(cand.ids, hits[0].sentence)]
        if self.index.sentences[hits[0].sentence].article != article and not untyped:
            return query, cand, hits  # the best sentence is not the clause's: the question needs no second hop
        sentences = [
            h.sentence for h in first
            if self.index.sentences[h.sentence].article == article and not self.index.facts[h.sentence] & BYLINE
        ][: self.tuning.hop_sentences]
        entity = next(
            (e for e in (twohop.bridge(self.index.sentence_text(i), clause, query.normalized) for i in sentences) if e),
            None,
        )
        if entity is None:
            return query, cand, hits
        second = self.query(clause.ask(entity))
        both = self.candidates(second, self.vector(second), also=cand.ids)
        return second, both, rank(both, self.tuning, learned)

    def on_date(self, query: Query, sentence: int) -> bool:
        """Whether ``sentence`` belongs to the days ``query`` names: its article's dateline or its
        issue's date falls in them, or the sentence itself prints the date as the question did."""
        when = query.when
        if when is None:
            return True
        if when.phrase in self.index.sentence_text(sentence):
            return True
        return any(when.holds(*day) for day in self._days[self.index.sentences[sentence].article])

    def candidates(self, query: Query, vector: np.ndarray, also: np.ndarray | None = None) -> Candidates:
        """The candidate sentences of ``query`` (its searches' pools, and the sentences ``also``,
        another search's candidates ranked with them) with their features for it; ``vector`` is
        the question's embedding (:meth:`vector`)."""
        index, t = self.index, self.tuning
        k = min(t.dense_pool, self._n)
        dense_ids = index.sentence_vectors.search(vector, k)
        chunk_ids = index.chunk_vectors.search(vector, t.chunk_pool)

        cand = set(dense_ids.tolist())
        bm25 = index.lexical.scores(" ".join(query.terms)) if query.terms else None
        for first, last in self._chunk_ranges[chunk_ids].tolist():
            cand.update(range(first, last))
        if bm25 is not None:
            matching = np.flatnonzero(bm25 > 0)  # the best k of the sentences holding a query word
            cand.update(top_ids(bm25[matching], matching, k).tolist())
        if also is not None:
            cand.update(also.tolist())
        ids = np.fromiter(sorted(cand), dtype=np.int64)

        dense = index.sentence_matrix[ids] @ vector
        holders = index.sentence_chunks[ids]
        chunk_cos = np.where(holders >= 0, index.chunk_matrix[np.maximum(holders, 0)] @ vector, -np.inf)
        facts = index.facts[ids].astype(np.int64)
        answer_type = self.holding(query, ids).astype(np.float32)
        # a byline on its own ("株洲日报讯(全媒体记者/张威)") shares its headline's vector; it
        # answers "who wrote…" questions and nothing else
        byline = ((facts & BYLINE) > 0) & ("person" not in query.kinds)
        return Candidates(
            unknown=query.unknown,
            asks_type=bool(query.kinds),
            english=query.english,
            keywords=len(query.terms),
            matched=query.matched,
            ids=ids,
            dense=dense.astype(np.float32),
            chunk=chunk_cos.max(axis=1).astype(np.float32),
            window_coverage=self.terms.coverage(query.terms, query.weights, ids, where="window"),
            context_coverage=self.terms.coverage(
                query.terms, query.weights, ids, where="context", chunk_of_sentence=index.chunk_of_sentence
            ),
            answer_type=answer_type,
            byline=byline.astype(np.float32),
            neighbour=self._neighbour_cosines(ids, vector),
            bm25=self._bm25_share(bm25, ids),
            sentence_coverage=self.terms.coverage(query.terms, query.weights, ids, where="sentence"),
            position=self._positions(ids),
            length=(index.sentence_rows[ids, 2] - index.sentence_rows[ids, 1]).astype(np.float32),
            beyond_headline=self.terms.beyond_headline(query.pairs, query.pair_weights, ids),
            neighbour_type=self._neighbour_types(query, ids),
            attribute=(self.terms.mentions(query.attribute, ids) if query.attribute else np.ones(len(ids), bool))
            .astype(np.float32),
        )

    def holding(self, query: Query, ids: np.ndarray) -> np.ndarray:
        """Which of the sentences ``ids`` hold every kind of thing ``query`` asks for (an amount in
        the asked unit, a place of each asked kind): all False for a question asking for none."""
        held = np.zeros(len(ids), dtype=bool)
        need = kinds_mask(query.kinds)
        if not need or not len(ids):
            return held
        fits = np.flatnonzero((self.index.facts[ids].astype(np.int64) & need) == need)
        if query.unit is not None or query.places:
            fits = [i for i in fits if holds_asked(self.index.sentence_text(int(ids[i])), query.unit, query.places)]
        held[fits] = True
        return held

    def holds(self, query: Query) -> Callable[[int], bool] | None:
        """For quotes (quotes.select_passages): whether sentence ``i`` holds what ``query`` asks
        for, or None for a question that asks for no kind of thing."""
        if not query.kinds:
            return None
        return lambda i: bool(self.holding(query, np.array([i], dtype=np.int64))[0])

    def _neighbour_types(self, query: Query, ids: np.ndarray) -> np.ndarray:
        """For each sentence, whether the sentence before or after it that a quote may join it
        with (same paragraph: ``joins_next``) holds what ``query`` asks for."""
        out = np.zeros(len(ids), dtype=np.float32)
        if not query.kinds or not len(ids):
            return out
        joins = self.index.sentence_rows[:, 3]
        before = ids - 1
        has_before = before >= 0
        has_before[has_before] = joins[before[has_before]] > 0
        has_after = joins[ids] > 0
        for ok, other in ((has_before, before), (has_after, ids + 1)):
            if ok.any():
                out[np.flatnonzero(ok)[self.holding(query, other[ok])]] = 1.0
        return out

    @staticmethod
    def _bm25_share(bm25: np.ndarray | None, ids: np.ndarray) -> np.ndarray:
        """Each candidate's BM25 score over the question's best (0 for a question without keywords)."""
        if bm25 is None:
            return np.zeros(len(ids), dtype=np.float32)
        return (bm25[ids] / max(float(bm25.max()), 1e-9)).astype(np.float32)

    def _neighbour_cosines(self, ids: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """The better cosine of each sentence's neighbours in its article (-1 for none): the
        question often restates the sentence next to the answer."""
        articles = self.index.sentence_rows[:, 0]
        best = np.full(len(ids), -1.0, dtype=np.float32)
        for step in (-1, 1):
            other = ids + step
            ok = (other >= 0) & (other < self._n)
            ok[ok] = articles[other[ok]] == articles[ids[ok]]
            if ok.any():
                best[ok] = np.maximum(best[ok], self.index.sentence_matrix[other[ok]] @ vector)
        return best

    def _positions(self, ids: np.ndarray, cap: int = 10) -> np.ndarray:
        """How many sentences of its article come before each sentence, at most ``cap``."""
        articles = self.index.sentence_rows[:, 0]
        position = np.zeros(len(ids), dtype=np.float32)
        open_ = np.ones(len(ids), dtype=bool)  # still inside the article, looking back
        for step in range(1, cap + 1):
            other = ids - step
            open_ &= other >= 0
            open_[open_] = articles[other[open_]] == articles[ids[open_]]
            position += open_
        return position


_DATELINE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")


def _article_days(dateline: str | None, issue) -> list[tuple[int | None, int, int]]:
    """The days an article belongs to: its dateline (with its issue's year when the dateline has
    none; December datelines in a January issue are of the year before) and its issue's date."""
    days = []
    m = _DATELINE.fullmatch(dateline or "")
    if m:
        year = int(m.group(1)) if m.group(1) else (issue.year if issue else None)
        if year and issue and int(m.group(2)) == 12 and issue.month == 1:
            year -= 1
        days.append((year, int(m.group(2)), int(m.group(3))))
    if issue is not None:
        days.append((issue.year, issue.month, issue.day))
    return days


def rank(c: Candidates, t: Tuning = TUNING, learned: bool = True) -> list[Hit]:
    """Every candidate, best first, each with its fused score: the weighted sum of the features on
    fixed scales, which quotes compare neighbours on and the confidence starts from. The order is
    the learned ranker's (retrieval.ranking.ranker), or with ``learned`` False the fused score's:
    for the questions DRCD has none of (English, dated, follow-ups: :meth:`Searcher.search`)."""
    fused = (
        t.dense * c.dense
        + t.chunk * c.chunk
        + t.window_coverage * c.window_coverage
        + t.context_coverage * c.context_coverage
        + t.answer_type * c.answer_type
        + t.byline * c.byline
    )
    order_by = RANKER.scores(features(c)) if learned and len(c.ids) else fused
    order = np.argsort(-order_by, kind="stable")
    return [Hit(int(c.ids[i]), float(fused[i])) for i in order]


def confidence(hits: list[Hit], c: Candidates, t: Tuning = TUNING) -> float:
    """How sure the best hit answers, on the fused scale (the calibrator turns it into a
    probability: :func:`probability`). A question with no keyword the corpus holds (nor, for
    English, a dictionary translation or pinyin name of one) gets 0: the cosines of the nearest
    sentences are all it would have, and they are near for anything (``lorem ipsum``), so the
    English allowance is not given either."""
    if not hits or not c.matched:
        return 0.0
    best = np.searchsorted(c.ids, hits[0].sentence)
    typed = bool(c.answer_type[best] or c.neighbour_type[best])
    return confidence_of(hits[0].score, c.unknown, c.asks_type, typed, c.english, bool(c.attribute[best]), t)


def confidence_of(
    fused: float, unknown: float, asks_type: bool, typed: bool, english: bool, attributed: bool, t: Tuning = TUNING
) -> float:
    """The confidence formula: the best sentence's fused score, less the question's keyword share
    the corpus lacks, a best sentence without the asked type (``typed``: it, or the neighbour
    its quote then joins, holds it) and one whose window does not mention the attribute the
    question asks about (``attributed``: "…的总投资是多少" answered from a sentence on the park's
    area), plus the English allowance. A
    question that asks for no kind of thing ("…那种欠款叫什么?") is credited the answer-type
    weight its best sentence could not earn: a sentence that holds what a 多少 question asks for
    is no surer an answer than the best sentence for a question that asks for nothing in
    particular, and without the credit such questions were declined more often."""
    untyped = asks_type and not typed
    return (fused + t.answer_type * (not asks_type) - t.unknown_penalty * unknown - t.type_penalty * untyped
            - t.attribute_penalty * (not attributed) + t.crosslingual * english)


def probability(hits: list[Hit], c: Candidates, t: Tuning = TUNING) -> float:
    """P(the best hit's quote holds the answer): the :func:`confidence`, calibrated on held-out
    DRCD (retrieval.ranking.ranker); the service declines below ``Settings.min_probability``."""
    if not hits or not c.matched:
        return 0.0
    return RANKER.calibrator.probability(confidence(hits, c, t))
