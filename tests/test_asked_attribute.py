"""The attribute a question asks about (answer_types.asked_attribute) and what the confidence does
when the best sentence's window never mentions it: the paper that reports a park's area and output
but not its investment cannot say how much was invested, though its sentence holds an amount in 亿元.
The attribute counts only where the corpus prints it somewhere (here, the canteen's investment)."""

from __future__ import annotations

import dataclasses

import pytest

from retrieval.ranking.answer_types import asked_attribute
from retrieval.ranking.tuning import TUNING

ARTICLES = [
    {
        "title": "硬质材料产业园加快建设",
        "source": "park",
        "text": "正在建设的湖南先进硬质材料产业园,规划占地面积666.7公顷,已引进企业12家。"
        "园区去年实现年产值35亿元,同比增长12%。",
    },
    {
        "title": "社区食堂开张",
        "source": "canteen",
        "text": "12月1日,荷塘区月塘街道首家社区食堂开张,一荤两素一份12元。食堂由街道和一家餐饮企业共同投资运营。",
    },
]


@pytest.mark.parametrize(
    "question, attribute",
    [
        ("湖南先进硬质材料产业园的总投资是多少亿元?", "投资"),
        ("省直中医院的院长是谁?", "院长"),
        ("贺送苟从邮储银行获得的40万元贷款期限是几年?", "期限"),
        ("株洲三峡水环境综合治理有限公司的总经理是谁?", "总经理"),
        # past the words that only link the noun to the question word (预计, 一共有)
        ("湖南先进硬质材料产业园预计哪一年全部建成?", "产业园"),
        # nouns that restate the asked kind, and the reader's word for a described thing: none
        ("西贡商信银行成立的时间是什么时候?", None),
        ("企业破产时,为了所有债主的共同利益而新借、可以优先偿还的那种欠款叫什么?", None),
        ("明仁小时候,父亲请来教他西方思想的那位美国女作家是谁?", None),
        ("谁是株洲市长?", None),
    ],
)
def test_the_attribute_a_question_asks_about(question, attribute):
    assert asked_attribute(question) == attribute


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def test_only_an_attribute_the_corpus_prints_is_asked_for(service):
    # 投资 is printed (the canteen's), 总经理 nowhere: the unknown share already counts it against
    # the answer, and the window could never mention it
    assert service.searcher.query("湖南先进硬质材料产业园的总投资是多少亿元?").attribute == "投资"
    assert service.searcher.query("湖南先进硬质材料产业园的总经理是谁?").attribute is None


def _probabilities(service, question: str) -> tuple[float, float, str, str]:
    """The probability with the attribute penalty and without it, and both first quotes."""
    with_penalty = service.ask(question)
    service.searcher.tuning = dataclasses.replace(TUNING, attribute_penalty=0.0)
    try:
        without = service.ask(question)
    finally:
        service.searcher.tuning = TUNING
    return with_penalty.probability, without.probability, with_penalty.passages[0].quote, without.passages[0].quote


def test_a_window_without_the_asked_attribute_lowers_the_probability(service):
    # "年产值35亿元" is an amount in 亿元, but no investment: the same quote, less sure
    penalized, free, quote, quote_free = _probabilities(service, "湖南先进硬质材料产业园的总投资是多少亿元?")
    assert quote == quote_free and "35亿元" in quote
    assert penalized < free


def test_a_window_that_mentions_the_attribute_keeps_its_probability(service):
    penalized, free, quote, _ = _probabilities(service, "湖南先进硬质材料产业园去年的年产值是多少亿元?")
    assert "35亿元" in quote
    assert penalized == pytest.approx(free)
