"""A question, normalized and classified once: every stage reads this, none re-derives it.

Before, the language was guessed three times per question and the answer types were read from the
raw text, so ``他為什麼辭職?`` asked for no reason. Here the question is normalized (NFKC,
traditional → simplified) first and everything else is read from that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date

from retrieval.index.lexical import Tokenizer
from retrieval.index.terms import TermIndex
from retrieval.ranking.answer_types import question_places, question_types, question_unit
from retrieval.ranking.when import When, resolve
from retrieval.text import language, normalize


@dataclass(frozen=True)
class Query:
    text: str  # as asked (validated, stripped): what the answer echoes
    normalized: str  # what is embedded, segmented and classified
    language: str  # "zh" or "en": which language the answer speaks
    terms: tuple[str, ...]  # the keywords whose presence counts as evidence
    weights: tuple[float, ...]  # the IDF of each term in this corpus
    unknown: float  # share of the keyword weight that occurs nowhere in the corpus
    kinds: frozenset[str]  # what is asked for: number, date, person, place, reason…
    unit: str | None  # the unit a quantity question names (多少亿元 → 亿元)
    places: tuple[str, ...]  # the kinds of place it names (哪条路 → 路)
    when: When | None = None  # the days it names ("1月4日", "上个月"), resolved against the issues

    @property
    def english(self) -> bool:
        return self.language == "en"


def parse_query(
    question: str, tokenizer: Tokenizer, terms: TermIndex, *, newest: Date | None = None,
    newest_label: str | None = None, today: Date | None = None,
) -> Query:
    """Classify ``question`` against this corpus. English questions keep only the keywords the
    corpus can contain: Latin terms it uses and the Chinese names their pinyin spells. Relative
    dates ("昨天") count from ``newest`` (the newest issue's date), or from ``today`` when the
    question says so."""
    normalized = normalize(question)
    lang = language(normalized)
    if lang == "en":
        latin = [t for t in tokenizer.terms(normalized) if terms.document_frequency(t)]
        keywords = list(dict.fromkeys(terms.pinyin_names(normalized) + latin))
    else:
        keywords = tokenizer.terms(normalized)
    weights = [terms.idf(t) for t in keywords]
    absent = sum(w for t, w in zip(keywords, weights) if not terms.document_frequency(t))
    return Query(
        text=question,
        normalized=normalized,
        language=lang,
        terms=tuple(keywords),
        weights=tuple(weights),
        unknown=absent / (sum(weights) or 1),
        kinds=question_types(normalized),
        unit=question_unit(normalized),
        places=question_places(normalized),
        when=resolve(normalized, newest, newest_label, today or Date.today()),
    )
