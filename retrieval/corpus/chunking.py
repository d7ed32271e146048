"""Cut articles into sentences (what we quote) and chunks (what gives a sentence its context).

Both keep character offsets into ``Article.text``, so a quote is always a slice of the article and
therefore verbatim. Bump ``CHUNKER_VERSION`` whenever ingestion or chunking output for the same input
changes: indexes built by another version are refused rather than silently mixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.corpus.article import Article

CHUNKER_VERSION = "10"

# A sentence ends after 。！？… (and their ASCII cousins), together with any closing quotes or
# brackets that follow, or at a paragraph break. An ASCII period ends a sentence only after a word
# and before a capital ("… in 2002. The plan"), so initials ("Andrew W. Mellon") stay whole.
# Semicolons separate the items of one sentence ("…为3000万元以上；…"): a sentence is cut there (or
# at a comma) only when it is too long to quote whole.
_BOUNDARY = re.compile(r"(?:[。！？!?]+|…+|(?<=[a-z0-9]{2})\.(?=\s+[A-Z]))[”’\"」』）)】]*|\n")
_CLAUSE = re.compile(r"[；;，,、：:]")
# A mark inside a title or a bracket does not end the sentence around it: 《桃之阵!》, (Hey! Say! JUMP)
_BRACKETS = (("《", "》"), ("（", "）"), ("(", ")"))
_BRACKET_REACH = 40
MAX_SENTENCE_CHARS = 150


@dataclass(frozen=True)
class Sentence:
    article: int
    start: int
    end: int
    # the next sentence follows this one in the source with nothing but white space between, so
    # the two can be quoted together and still read verbatim
    joins_next: bool = False


@dataclass(frozen=True)
class Chunk:
    article: int
    start: int
    end: int
    first_sentence: int  # index into the flat sentence list
    last_sentence: int  # exclusive


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Break an over-long sentence at clause marks so no quotable unit exceeds the limit."""
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = None
        window = text[start + MAX_SENTENCE_CHARS // 3 : start + MAX_SENTENCE_CHARS]
        for marks in ("；;", "，,、：:"):  # prefer the strongest break available
            found = [start + MAX_SENTENCE_CHARS // 3 + i + 1 for i, c in enumerate(window) if c in marks]
            if found:
                cut = found[-1]
                break
        if cut is None:
            cut = start + MAX_SENTENCE_CHARS
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _inside_brackets(text: str, start: int, at: int) -> bool:
    """Whether ``at`` lies in a bracket opened since ``start`` that closes soon on the same line."""
    for opening, closing in _BRACKETS:
        opened = text.rfind(opening, start, at)
        if opened >= 0 and text.find(closing, opened, at) < 0:
            close = text.find(closing, at, at + _BRACKET_REACH)
            if close >= 0 and "\n" not in text[at:close]:
                return True
    return False


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` over ``text``, trimmed of surrounding white space."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in [*_BOUNDARY.finditer(text), None]:
        if m is not None and m.group() != "\n" and _inside_brackets(text, pos, m.start()):
            continue
        end = len(text) if m is None else m.end()
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.extend(_split_long(text, s, e))
        pos = end
    return spans


def chunk_articles(
    articles: list[Article], *, max_chars: int, overlap: int, sources: dict[str, str] | None = None
) -> tuple[list[Sentence], list[Chunk]]:
    """Sentences of every article, and chunks packing consecutive sentences up to ``max_chars``
    characters, consecutive chunks sharing ``overlap`` sentences so no answer falls between two.
    With the ``sources`` texts, sentences also learn whether they join their successor verbatim."""
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for a, article in enumerate(articles):
        first = len(sentences)
        spans = split_sentences(article.text)
        source = (sources or {}).get(article.source)
        for k, (s, e) in enumerate(spans):
            joins = (
                source is not None
                and k + 1 < len(spans)
                and not source[article.offsets[e - 1] + 1 : article.offsets[spans[k + 1][0]]].strip()
            )
            sentences.append(Sentence(a, s, e, joins))
        last = len(sentences)
        i = first
        while i < last:
            j = i + 1
            while j < last and sentences[j].end - sentences[i].start <= max_chars:
                j += 1
            chunks.append(Chunk(a, sentences[i].start, sentences[j - 1].end, i, j))
            if j >= last:
                break
            i = max(j - overlap, i + 1)
    return sentences, chunks
