"""An article, and the offset-keeping text it is cut from.

Ingestion only ever *deletes* characters from the original (markup, wrap line breaks,
letter-spacing): an article's text is a subsequence of its source, and ``Article.offsets`` maps
every character back to the source, so any quote cut from an article is verbatim by construction.
:class:`Span` is how that is kept: a piece of source text that can only lose characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One article. ``text`` holds paragraphs separated by ``\\n``; ``offsets[i]`` is the position in
    the source text of ``text[i]``. ``date`` is the dateline date as printed (no year is invented)."""

    title: str
    text: str
    offsets: tuple[int, ...]
    source: str
    subtitle: str = ""
    byline: str = ""
    date: str | None = None

    def headed(self, start: int, end: int) -> str:
        """The headline, a line break and ``text[start:end]``: what the model and the keyword
        statistics see for a sentence or chunk (the headline gives a short sentence its topic)."""
        return f"{self.title}\n{self.text[start:end]}"

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source range covering ``text[start:end]``, for citing where a quote came from."""
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Span:
    """A piece of source text that only ever loses characters, remembering where each one was."""

    text: str
    offs: list[int]

    def delete(self, pattern: re.Pattern[str]) -> Span:
        keep = [True] * len(self.text)
        for m in pattern.finditer(self.text):
            for i in range(m.start(), m.end()):
                keep[i] = False
        return Span(
            "".join(c for c, k in zip(self.text, keep) if k),
            [o for o, k in zip(self.offs, keep) if k],
        )

    def strip(self) -> Span:
        start, end = 0, len(self.text)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return self[start:end]

    def __getitem__(self, s: slice) -> Span:
        return Span(self.text[s], self.offs[s])

    def __add__(self, other: Span) -> Span:
        return Span(self.text + other.text, self.offs + other.offs)

    def __len__(self) -> int:
        return len(self.text)
