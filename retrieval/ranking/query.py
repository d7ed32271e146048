"""A question, normalized and classified once: every stage reads this, none re-derives it.

Before, the language was guessed three times per question and the answer types were read from the
raw text, so ``他為什麼辭職?`` asked for no reason. Here the question is normalized (NFKC,
traditional → simplified) first and everything else is read from that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date

from retrieval.index.lexical import Tokenizer
from retrieval.index.terms import TermIndex, character_pairs
from retrieval.ranking.answer_types import asked_attribute, asks_account, question_places, question_types, question_unit
from retrieval.ranking.when import When, resolve
from retrieval.text import language, normalize


@dataclass(frozen=True)
class Query:
    text: str  # as asked (validated, stripped): what the answer echoes
    normalized: str  # what is embedded, segmented and classified
    language: str  # "zh" or "en": which language the answer speaks
    terms: tuple[str, ...]  # the keywords whose presence counts as evidence
    weights: tuple[float, ...]  # the IDF of each term in this corpus (English: see _english_keywords)
    unknown: float  # share of the keyword weight that occurs nowhere in the corpus
    matched: bool  # some keyword occurs in the corpus: without one, nothing of the paper answers
    kinds: frozenset[str]  # what is asked for: number, date, person, place, reason…
    unit: str | None  # the unit a quantity question names (多少亿元 → 亿元)
    places: tuple[str, ...]  # the kinds of place it names (哪条路 → 路)
    account: bool  # it asks for a reason, a manner, a list or a description: quotes join a neighbour
    # the noun it asks about ("…的院长是谁" → 院长; Chinese only), when the corpus prints it somewhere
    # (one it never prints already counts in ``unknown``): the answer's window should mention it
    attribute: str | None = None
    when: When | None = None  # the days it names ("1月4日", "上个月"), resolved against the issues
    # a Chinese question's character pairs and their IDF (TermIndex.beyond_headline; none for English)
    pairs: tuple[str, ...] = ()
    pair_weights: tuple[float, ...] = ()

    @property
    def english(self) -> bool:
        return self.language == "en"


def parse_query(
    question: str, tokenizer: Tokenizer, terms: TermIndex, *, dictionary: bool = True,
    newest: Date | None = None, newest_label: str | None = None, today: Date | None = None,
) -> Query:
    """Classify ``question`` against this corpus.

    An English question keeps the keywords the corpus can contain: Latin terms it uses, the Chinese
    names its capitalised pinyin words spell, and (with ``dictionary``) the corpus' own Chinese for
    its content words (CC-CEDICT, :mod:`retrieval.ranking.english`). A word the dictionary knows
    but the corpus lacks in every translation is an absent keyword, as an absent Chinese word is:
    it counts against the answer. A question with no keyword the corpus holds (``xxxxxxxx``,
    ``How tall is Mount Everest?``) matches nothing of the paper. Relative dates ("昨天") count
    from ``newest`` (the newest issue's date), or from ``today`` when the question says so."""
    normalized = normalize(question)
    lang = language(normalized)
    if lang == "en":
        keywords, weights = _english_keywords(normalized, tokenizer, terms, dictionary)
    else:
        keywords = tokenizer.terms(normalized)
        weights = [terms.idf(t) for t in keywords]
    absent = sum(w for t, w in zip(keywords, weights) if not terms.document_frequency(t))
    pairs = character_pairs(normalized) if lang == "zh" else ()
    kinds = question_types(normalized)
    attribute = asked_attribute(normalized) if lang == "zh" else None
    return Query(
        text=question,
        normalized=normalized,
        language=lang,
        terms=tuple(keywords),
        weights=tuple(weights),
        unknown=absent / (sum(weights) or 1),
        matched=absent < sum(weights),
        kinds=kinds,
        unit=question_unit(normalized),
        places=question_places(normalized),
        account=asks_account(normalized, kinds),
        attribute=attribute if attribute and terms.document_frequency(attribute) else None,
        when=resolve(normalized, newest, newest_label, today or Date.today()),
        pairs=pairs,
        pair_weights=tuple(terms.idf(p) for p in pairs),
    )


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


def _english_keywords(
    normalized: str, tokenizer: Tokenizer, terms: TermIndex, dictionary: bool
) -> tuple[list[str], list[float]]:
    """Keywords of an English question and their weights: the found ones at their IDF (a word the
    dictionary translates into several corpus words spreads its weight over them), then each word
    the dictionary knows but the corpus lacks in any translation. Such a word weighs what an
    average found word of the question weighs, not the IDF of a word the corpus lacks: it is
    absent as an English word, which says less than an absent Chinese one (the dictionary may
    just not hold the paper's word for it, 油菜 for "rapeseed"). Words the dictionary does not
    know count neither way."""
    from retrieval.ranking.english import translate

    latin = [t for t in tokenizer.terms(normalized) if terms.document_frequency(t)]
    keywords = list(dict.fromkeys(terms.pinyin_names(normalized) + latin))
    weights = [terms.idf(t) for t in keywords]
    if not dictionary:
        return keywords, weights
    # a capitalised pinyin word is a name ("Li Donglin"): the pinyin search found it or the paper
    # lacks it, and the dictionary's "li" (a unit of length) is not what it means
    names = {w.lower() for w in _CAPITALISED.findall(normalized) if terms.spells_pinyin(w)}
    groups = len(keywords)
    absent: list[str] = []
    for found in translate(normalized, lambda w: terms.document_frequency(w) > 0):
        if found.english in names:
            continue
        if found.chinese:
            groups += 1
            for word in found.chinese:
                if word not in keywords:
                    keywords.append(word)
                    weights.append(terms.idf(word) / len(found.chinese))
        elif found.known and found.english not in absent:
            absent.append(found.english)
    average = sum(weights) / groups if groups else 1.0
    return keywords + absent, weights + [average] * len(absent)
