"""Questions that ask for an account — a list, a manner, a cause — on a small real corpus with the
real model: the quote goes on past the sentence that matches the question best, into the one that
holds the rest of the answer; a question for one fact keeps its short quote."""

from __future__ import annotations

import pytest

from retrieval.ranking.answer_types import asks_account, question_types

ARTICLES = [
    {
        "title": "老街改造",
        "source": "street",
        "text": (
            "芦淞区老街改造工程于去年动工,是今年全区最受关注的民生项目之一。"
            "记者走访发现,这次芦淞区老街改造工程主要做了三件事情。"
            "一是更换全部地下管网,二是把沿街立面恢复成青砖灰瓦,三是新增两个停车场。"
            "改造完成后,老街将于明年春节前重新开放,届时还将举办民俗文化节。"
        ),
    },
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "weather"},
]


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def test_a_list_question_quotes_the_sentence_that_holds_the_list(service):
    answer = service.ask("芦淞区老街改造工程主要做了哪些事情?")
    assert answer.answered
    best = service.index.sentence_text(answer.ranked[0][0])
    quote = answer.passages[0].quote
    assert best in quote and "新增两个停车场" in quote
    assert len(quote) <= service.searcher.tuning.max_quote_chars


def test_a_question_for_one_fact_is_not_an_account(service):
    query = service.searcher.query("老街改造工程是哪一年动工的?")
    assert not query.account
    assert service.searcher.query("老街为什么要改造?").account


@pytest.mark.parametrize(
    ("question", "account"),
    [
        ("高英是怎么死的?", True),
        ("此鱼分布在哪些地区?", True),
        ("斯氏腔吻鳕的外形是怎样的?", True),
        ("乡里制的特点是什么?", True),
        ("晋孝武帝为什么会娶王法慧?", True),
        ("Why did the market close?", True),
        ("How did the company grow?", True),
        ("受影响的有多少户?", False),  # one number, whatever the words around it
        ("这些措施是哪一年出台的?", False),
        ("How many people live there?", False),
        ("高新大厦有多高?", False),
        ("谁是董事长?", False),
    ],
)
def test_what_asks_for_an_account(question, account):
    assert asks_account(question, question_types(question)) is account
