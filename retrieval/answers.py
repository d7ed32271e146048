"""What the answering service hands to front ends: plain data, nothing to call back into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """One cited passage. ``quote`` is verbatim from the article (the sentence or two that answer);
    ``context`` is the surrounding chunk, also verbatim, and ``quote_start``/``quote_end`` locate the
    quote inside ``context`` so a front end can highlight it without searching for it again."""

    quote: str
    context: str
    quote_start: int
    quote_end: int
    title: str
    source: str
    date: str | None
    score: float

    def to_json(self) -> dict:
        return {
            "quote": self.quote,
            "context": self.context,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """``answered`` is False when the paper does not say: front ends must then say "not found"
    (in ``language``, "zh" or "en") instead of showing ``passages`` as if they answered.

    ``ranked`` keeps every ranked sentence (id, fused score) behind the passages, so "more
    passages" (:meth:`AnswerService.more`) is a slice of this answer, not a second search."""

    question: str
    answered: bool
    passages: list[Passage]
    language: str = "zh"
    seconds: float = 0.0
    ranked: tuple[tuple[int, float], ...] = field(default=(), repr=False, compare=False)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "passages": [p.to_json() for p in self.passages],
        }


@dataclass(frozen=True)
class CorpusInfo:
    """What ``/about`` and the REPL banner tell a reader about the index they are asking."""

    articles: int
    issues: int
    chunks: int
    first_date: str | None
    last_date: str | None
    model: str
    built_at: str

    def to_json(self) -> dict:
        return asdict(self)
