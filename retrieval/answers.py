"""What the answering service hands to front ends: plain data, nothing to call back into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """One cited passage. ``quote`` is verbatim from the article (the sentence or two that answer);
    ``context`` is the surrounding chunk, also verbatim, and ``quote_start``/``quote_end`` locate the
    quote inside ``context`` so a front end can highlight it without searching for it again.

    ``answer_start``/``answer_end`` locate, inside ``quote``, the words that answer (the amount for
    多少, the date for 哪天, the name for 谁…; -1 when the question asks for no kind of thing or the
    quote holds none): front ends bold them and keep the whole sentence visible. ``article`` and
    ``article_start`` say which article the quote is cut from and where in its text it starts,
    for :meth:`AnswerService.article`; ``issue_date`` is the issue's publication date as a reader
    should see it ("2024-01-05", "2023-12-22 (inferred)"), ``date`` stays the article's dateline."""

    quote: str
    context: str
    quote_start: int
    quote_end: int
    title: str
    source: str
    date: str | None
    score: float
    issue_date: str | None = None
    article: int = -1
    article_start: int = -1
    answer_start: int = -1
    answer_end: int = -1

    @property
    def has_answer_span(self) -> bool:
        return 0 <= self.answer_start < self.answer_end <= len(self.quote)

    def to_json(self) -> dict:
        return {
            "quote": self.quote,
            "context": self.context,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "issue_date": self.issue_date,
            "article": self.article,
            # offsets into "quote" of the words that answer, or null
            "answer": [self.answer_start, self.answer_end] if self.has_answer_span else None,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """``answered`` is False when the paper does not say: front ends must then say "not found"
    (in ``language``, "zh" or "en") instead of showing ``passages`` as if they answered.

    ``ranked`` keeps every ranked sentence (id, fused score) behind the passages, so "more
    passages" (:meth:`AnswerService.more`) is a slice of this answer, not a second search.

    ``when`` is the date the question named, as resolved ("2024-01-04", "上个月 → 2024-12-01 –
    2024-12-31, relative to the newest issue (…)"), None when it named none; ``on_date`` says
    whether the passages keep to it (False: nothing printed on those days answered, so the
    passages are from any date, and front ends must say so)."""

    question: str
    answered: bool
    passages: list[Passage]
    language: str = "zh"
    # P(the first passage's quote holds the answer), calibrated; under Settings.min_probability
    # the answer is "not found" (``answered`` False)
    probability: float = 0.0
    # False for an answer under Settings.sure_probability: front ends show it as the paper's
    # closest passages, for the reader to judge, not as the answer
    sure: bool = True
    seconds: float = 0.0
    # where ``seconds`` went: ("understand", s) normalizing and classifying, ("embed", s) the
    # question's vector, ("search", s) candidates, features and ranking, ("quote", s) cutting quotes
    stages: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    ranked: tuple[tuple[int, float], ...] = field(default=(), repr=False, compare=False)
    when: str | None = None
    on_date: bool = False
    # a follow-up: how it was read ("他 → 刘亚亮"), None for a question that leans on nothing
    read_as: str | None = None
    # what this answer was about, for the question after it (retrieval.ranking.followup.Topic)
    topic: object = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        record = {
            "question": self.question,
            "answered": self.answered,
            "probability": round(self.probability, 3),
            "passages": [p.to_json() for p in self.passages],
        }
        if self.when:
            record["date"] = {"used": self.when, "matched": self.on_date}
        if self.read_as:
            record["read_as"] = self.read_as
        record["ms"] = {"total": round(self.seconds * 1000, 1), **{k: round(v * 1000, 1) for k, v in self.stages}}
        return record


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


@dataclass(frozen=True)
class IssueInfo:
    """One issue file: ``key`` is its file name as cited, ``date`` its publication date
    ("2024-01-05", "12-22" when no year is known, None when unknown) and ``date_label`` the same as
    a reader sees it, "(inferred)" when read from the datelines inside rather than given."""

    key: str
    date: str | None
    date_label: str | None
    inferred: bool
    articles: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Headline:
    """An article of an issue, as listed: ``article`` is what :meth:`AnswerService.article` opens."""

    article: int
    title: str
    date: str | None


@dataclass(frozen=True)
class IssueContents:
    issue: IssueInfo
    headlines: list[Headline]


@dataclass(frozen=True)
class FullArticle:
    """The whole article behind a quote. ``text`` is verbatim (paragraphs separated by ``\\n``);
    ``mark_start``/``mark_end`` locate the quoted sentence in it (-1 when opened from a listing)."""

    article: int
    title: str
    subtitle: str
    byline: str
    date: str | None
    source: str
    issue_date: str | None
    text: str
    mark_start: int = -1
    mark_end: int = -1

    @property
    def marked(self) -> bool:
        return 0 <= self.mark_start < self.mark_end <= len(self.text)
