"""From ranked sentences to what a reader sees: a short verbatim quote inside its context.

A passage quotes one sentence — two when the first is too short to stand alone — and shows the
chunk around it as context. Repeats are collapsed (archives print the same paragraph twice, and
overlapping chunks hold the same sentence), and no article crowds out the others.
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


def _key(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def passage_for(index: Index, hit: Hit) -> Passage:
    s = index.sentences[hit.sentence]
    article = index.articles[s.article]
    start, end = s.start, s.end
    nxt = hit.sentence + 1
    if s.end - s.start < SHORT_SENTENCE and s.joins_next and index.sentences[nxt].end - start <= MAX_QUOTE_CHARS:
        end = index.sentences[nxt].end
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
    )


def select_passages(index: Index, hits: list[Hit], top_k: int) -> list[Passage]:
    """The best ``top_k`` distinct passages, at most ``PER_ARTICLE`` from any one article."""
    chosen: list[Passage] = []
    keys: list[str] = []
    per_article: dict[int, int] = {}
    for hit in hits:
        art = index.sentences[hit.sentence].article
        if per_article.get(art, 0) >= PER_ARTICLE:
            continue
        passage = passage_for(index, hit)
        key = _key(passage.quote)
        if any(key in k or k in key for k in keys):
            continue
        chosen.append(passage)
        keys.append(key)
        per_article[art] = per_article.get(art, 0) + 1
        if len(chosen) >= top_k:
            break
    return chosen
