"""English questions in the corpus' Chinese words (CC-CEDICT): what is translated, what counts as
absent, and that the translation is what lets a question with no name or Latin term be answered."""

from __future__ import annotations

import dataclasses

import pytest

from retrieval.ranking.english import content_words, translate
from retrieval.ranking.tuning import TUNING


def test_content_words_drop_the_question_words():
    assert content_words("How many people took part in the city's class?") == ["people", "took", "part", "city's", "class"]


def test_a_translation_is_kept_only_where_the_corpus_uses_it():
    corpus = "高新大厦是武广片区的地标建筑"
    found = {t.english: t for t in translate("How tall is the landmark building?", lambda w: w in corpus)}
    assert found["landmark"].chinese == ("地标",)
    assert "建筑" in found["building"].chinese
    assert all(w in corpus for t in found.values() for w in t.chinese)


def test_known_and_unknown_words_are_told_apart():
    found = {t.english: t for t in translate("price of bitcoin zzqx", lambda w: w == "价格")}
    assert found["price"].chinese == ("价格",)
    assert found["bitcoin"].chinese == () and found["bitcoin"].known  # the dictionary has 比特币
    assert not found["zzqx"].known  # no evidence either way


def test_plurals_and_phrases_are_looked_up():
    found = {t.english: t.chinese for t in translate("train stations and schools", lambda w: w in "火车站旁的学校")}
    assert found == {"train stations": ("火车站",), "schools": ("学校",)}


def test_english_keywords_of_a_seed_question(seed_service):
    query = seed_service.searcher.query("How tall is the landmark building?")
    assert "地标" in query.terms and query.matched and query.unknown == 0
    absent = seed_service.searcher.query("What is the price of bitcoin?")
    assert "bitcoin" in absent.terms and absent.unknown > 0.3


def test_a_pinyin_name_is_not_a_dictionary_word(seed_service):
    """"Li" of "Li Donglin" is a surname here, not the dictionary's unit of length: it neither
    translates nor counts as absent."""
    query = seed_service.searcher.query("Which company is Li Donglin the chairman of?")
    assert "东林" in query.terms
    assert "li" not in query.terms


def test_the_dictionary_is_what_answers_a_question_without_names(seed_service, monkeypatch):
    question = "How tall is the landmark building?"
    answer = seed_service.ask(question)
    assert answer.answered and answer.passages[0].title == "“武广地标”转型记"
    monkeypatch.setattr(seed_service.searcher, "tuning", dataclasses.replace(TUNING, english_dictionary=False))
    without = seed_service.ask(question)
    assert not without.answered, "no pinyin name and no Latin term: without the dictionary nothing maps"


@pytest.mark.parametrize("question", ["xxxxxxxx", "How tall is Mount Everest?"])
def test_a_question_nothing_maps_matches_nothing(seed_service, question):
    assert not seed_service.searcher.query(question).matched


def test_a_readers_pointer_does_not_count_as_a_word_the_paper_lacks(seed_service):
    """"那栋…" is how a reader points at the building; the paper never prints it beside the name, so
    it must not lower the confidence as a missing word does (it did: a third of the weight)."""
    plain = seed_service.searcher.query("高新大厦有多高?")
    pointed = seed_service.searcher.query("那栋高新大厦有多高?")
    assert pointed.terms == plain.terms and pointed.unknown == plain.unknown == 0
    answer = seed_service.ask("那栋高新大厦有多高?")
    assert answer.answered and "168米" in answer.passages[0].quote
