"""What the answering service hands to front ends: plain data, nothing to call back into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """One cited passage. ``quote`` is verbatim from the article (the sentence or two that answer);
    ``context`` is the surrounding chunk, also verbatim, and ``quote_start``/``quote_end`` locate the
    quote inside ``context`` so a front end can highlight it without searching for it again;
    ``match_start``/``match_end`` locate the best-matching sentence inside ``quote``."""

    quote: str
    context: str
    quote_start: int
    quote_end: int
    title: str
    source: str
    date: str | None
    score: float
    # the sentence that matched best, inside ``quote`` (a quote may add a neighbouring sentence)
    match_start: int = 0
    match_end: int = -1

    def __post_init__(self) -> None:
        if self.match_end < 0:
            object.__setattr__(self, "match_end", len(self.quote))

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
    (in ``language``, "zh" or "en") instead of showing ``passages`` as if they answered."""

    question: str
    answered: bool
    passages: list[Passage]
    language: str = "zh"
    seconds: float = 0.0

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
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)
