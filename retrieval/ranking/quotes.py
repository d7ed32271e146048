"""From ranked sentences to what a reader sees: a short verbatim quote inside its context.

A passage quotes its best sentence, joined by the neighbour on either side when that neighbour is
nearly as relevant (answers often straddle two sentences: "…的案子里,王某…" / "致王某二级轻伤"),
by the sentence before it when it opens by pointing back ("因此…"), by the one that holds what the
question asks for when it does not itself ("高新大厦…" / "该大厦于2020年12月更名…" for 什么时候), or by
the next one when it is too short to stand alone. The chunk around it is the context. Repeats are
collapsed, and one article may not crowd out other relevant ones — but when the other articles
have nothing relevant to say, the best article's further passages come before their noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.answers import Passage
from retrieval.index.store import Index
from retrieval.ranking.search import Hit
from retrieval.ranking.tuning import TUNING, Tuning
from retrieval.text import key


# a sentence that opens by pointing back ("因此…", "但…") is quoted with the sentence before it
_LEANS_BACK = re.compile(r"(?:因此|所以|因而|故而|于是|从而|但是?|然而|不过|而且|并且|同时|此外|另外|其中|因为|由于)")


def _quote_span(
    index: Index, hit: Hit, scores: dict[int, float], t: Tuning, holds: Callable[[int], bool] | None = None,
    account: bool = False,
) -> tuple[int, int]:
    """First and last sentence (inclusive) of the quote for ``hit``; ``holds`` tells the sentences
    that hold what the question asks for (None: it asks for no kind of thing). For a question that
    asks for an ``account`` a sentence that does not point back goes on into the next one, with the
    one before as well when all three fit in ``Tuning.max_quote_chars``: a cause, a list or a story
    seldom ends with the sentence that matches the question best."""
    s = index.sentences[hit.sentence]

    def fits(first: int, last: int) -> bool:
        return index.sentences[last].end - index.sentences[first].start <= t.max_quote_chars

    options = []
    if hit.sentence > 0 and index.sentences[hit.sentence - 1].joins_next:
        options.append(hit.sentence - 1)
    if s.joins_next:
        options.append(hit.sentence + 1)
    # "因此它被称为笨蛋水果" says nothing without the sentence before it
    leans_back = bool(options) and options[0] == hit.sentence - 1 and bool(
        _LEANS_BACK.match(index.sentence_text(hit.sentence))
    )
    if account and options and not leans_back:
        first, last = min(options + [hit.sentence]), max(options + [hit.sentence])
        if fits(first, last):
            return first, last
        if s.joins_next and fits(hit.sentence, hit.sentence + 1):
            return hit.sentence, hit.sentence + 1
    best = None
    typed = [] if leans_back or holds is None or holds(hit.sentence) else [n for n in options if holds(n)]
    if leans_back:
        best = hit.sentence - 1
    elif typed:
        best = max(typed, key=lambda n: scores.get(n, float("-inf")))  # the date the sentence lacks
    else:
        for n in options:
            score = scores.get(n, float("-inf"))
            if score >= hit.score - t.pair_margin and (best is None or score > scores.get(best, float("-inf"))):
                best = n
    if best is None and s.end - s.start < t.short_sentence and s.joins_next:
        best = hit.sentence + 1
    if best is None:
        return hit.sentence, hit.sentence
    first, last = min(best, hit.sentence), max(best, hit.sentence)
    return (first, last) if fits(first, last) else (hit.sentence, hit.sentence)


def _passage(index: Index, hit: Hit, first: int, last: int) -> Passage:
    article = index.articles[index.sentences[hit.sentence].article]
    start, end = index.sentences[first].start, index.sentences[last].end
    chunk = index.chunks[int(index.chunk_of_sentence[hit.sentence])]
    c_start, c_end = min(chunk.start, start), max(chunk.end, end)
    return Passage(
        quote=article.text[start:end],
        context=article.text[c_start:c_end],
        quote_start=start - c_start,
        quote_end=end - c_start,
        title=article.title,
        source=article.source,
        date=article.date,
        score=hit.score,
        article=index.sentences[hit.sentence].article,
        article_start=start,
    )


def select_passages(
    index: Index, hits: list[Hit], top_k: int, t: Tuning = TUNING, holds: Callable[[int], bool] | None = None,
    account: bool = False,
) -> list[Passage]:
    """THE place a quote is chosen: the best ``top_k`` distinct passages of the ranked ``hits``;
    ``holds`` tells the sentences that hold what the question asks for (Searcher.holds), ``account``
    whether it asks for a reason, a manner, a list or a description (Query.account), which a quote
    of two sentences holds more often than one.

    An article's passages beyond ``Tuning.per_article`` wait until no other article has a
    competitive passage: one within ``Tuning.competitive`` of the best and at least
    ``Tuning.competitive_floor``."""
    hits = hits[: max(t.passage_pool, top_k * t.pool_per_passage)]
    threshold = max(t.competitive_floor, hits[0].score - t.competitive) if hits else t.competitive_floor
    scores = {h.sentence: h.score for h in hits}
    chosen: list[Passage] = []
    keys: list[str] = []
    spans: list[tuple[int, int, int]] = []
    per_article: dict[int, int] = {}
    deferred: list[Hit] = []

    def take(hit: Hit) -> None:
        first, last = _quote_span(index, hit, scores, t, holds, account)
        passage = _passage(index, hit, first, last)
        quoted = key(passage.quote)
        art = index.sentences[hit.sentence].article
        if any(a == art and not (last < f or first > l) for a, f, l in spans):
            return  # overlaps a quote already chosen
        if any(quoted in k or k in quoted for k in keys):
            return  # the same words printed twice
        chosen.append(passage)
        keys.append(quoted)
        spans.append((art, first, last))
        per_article[art] = per_article.get(art, 0) + 1

    for hit in hits:
        if len(chosen) >= top_k:
            break
        if hit.score < threshold:
            while deferred and len(chosen) < top_k:
                take(deferred.pop(0))
        if len(chosen) >= top_k:
            break
        if per_article.get(index.sentences[hit.sentence].article, 0) >= t.per_article:
            deferred.append(hit)
            continue
        take(hit)
    while deferred and len(chosen) < top_k:
        take(deferred.pop(0))
    return chosen
