"""From ranked sentences to what a reader sees: a short verbatim quote inside its context.

A passage quotes its best sentence, joined by the neighbour on either side when that neighbour is
nearly as relevant (answers often straddle two sentences: "…的案子里,王某…" / "致王某二级轻伤"),
by the sentence before it when it opens by pointing back ("因此…"), or by the next one when it is
too short to stand alone. The chunk around it is the context. Repeats are collapsed, and one article
may not crowd out other relevant ones — but when the other articles have nothing relevant to say,
the best article's further passages come before their noise.
"""

from __future__ import annotations

import re
import unicodedata

from retrieval.answers import Passage
from retrieval.index import Index
from retrieval.search import Hit

MAX_QUOTE_CHARS = 200
SHORT_SENTENCE = 20
PER_ARTICLE = 2
PAIR_MARGIN = 0.1  # a neighbour within this much of the best sentence's score is quoted with it
COMPETITIVE = 0.05  # another article's passage this far below the best is not worth a slot over it


# a sentence that opens by pointing back ("因此…", "但…") is quoted with the sentence before it
_LEANS_BACK = re.compile(r"(?:因此|所以|因而|故而|于是|从而|但是?|然而|不过|而且|并且|同时|此外|另外|其中|因为|由于)")


def _key(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def _quote_span(index: Index, hit: Hit, scores: dict[int, float], pair_margin: float) -> tuple[int, int]:
    """First and last sentence (inclusive) of the quote for ``hit``."""
    s = index.sentences[hit.sentence]
    options = []
    if hit.sentence > 0 and index.sentences[hit.sentence - 1].joins_next:
        options.append(hit.sentence - 1)
    if s.joins_next:
        options.append(hit.sentence + 1)
    best = None
    if options and options[0] == hit.sentence - 1 and _LEANS_BACK.match(index.sentence_text(hit.sentence)):
        best = hit.sentence - 1  # "因此它被称为笨蛋水果" says nothing without the sentence before it
    else:
        for n in options:
            score = scores.get(n, float("-inf"))
            if score >= hit.score - pair_margin and (best is None or score > scores.get(best, float("-inf"))):
                best = n
    if best is None and s.end - s.start < SHORT_SENTENCE and s.joins_next:
        best = hit.sentence + 1
    if best is None:
        return hit.sentence, hit.sentence
    first, last = min(best, hit.sentence), max(best, hit.sentence)
    if index.sentences[last].end - index.sentences[first].start > MAX_QUOTE_CHARS:
        return hit.sentence, hit.sentence
    return first, last


def _passage(index: Index, hit: Hit, first: int, last: int) -> Passage:
    article = index.articles[index.sentences[hit.sentence].article]
    start, end = index.sentences[first].start, index.sentences[last].end
    chunk = index.chunks[int(index.chunk_of_sentence[hit.sentence])]
    c_start, c_end = min(chunk.start, start), max(chunk.end, end)
    matched = index.sentences[hit.sentence]
    return Passage(
        quote=article.text[start:end],
        context=article.text[c_start:c_end],
        quote_start=start - c_start,
        quote_end=end - c_start,
        title=article.title,
        source=article.source,
        date=article.date,
        score=hit.score,
        match_start=matched.start - start,
        match_end=matched.end - start,
    )


def select_passages(
    index: Index,
    hits: list[Hit],
    top_k: int,
    *,
    threshold: float = float("-inf"),
    pair_margin: float = PAIR_MARGIN,
    competitive: float = COMPETITIVE,
) -> list[Passage]:
    """The best ``top_k`` distinct passages. An article's passages beyond ``PER_ARTICLE`` wait until
    no other article has a competitive passage: one scoring at least ``threshold`` (worth answering
    with) and within ``competitive`` of the best."""
    if hits:
        threshold = max(threshold, hits[0].score - competitive)
    scores = {h.sentence: h.score for h in hits}
    chosen: list[Passage] = []
    keys: list[str] = []
    spans: list[tuple[int, int, int]] = []
    per_article: dict[int, int] = {}
    deferred: list[Hit] = []

    def take(hit: Hit) -> None:
        first, last = _quote_span(index, hit, scores, pair_margin)
        passage = _passage(index, hit, first, last)
        key = _key(passage.quote)
        art = index.sentences[hit.sentence].article
        if any(a == art and not (last < f or first > l) for a, f, l in spans):
            return  # overlaps a quote already chosen
        if any(key in k or k in key for k in keys):
            return  # the same words printed twice
        chosen.append(passage)
        keys.append(key)
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
        if per_article.get(index.sentences[hit.sentence].article, 0) >= PER_ARTICLE:
            deferred.append(hit)
            continue
        take(hit)
    while deferred and len(chosen) < top_k:
        take(deferred.pop(0))
    return chosen
