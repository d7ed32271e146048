"""Two-hop questions: "…的那位董事长,在全国两会期间建议…?" names its subject only by what it did in
another article. The splitting and bridging are checked alone, the search on a small real corpus
with the real model."""

from __future__ import annotations

import pytest

from retrieval.ranking.twohop import Clause, bridge, split

ARTICLES = [
    {
        "title": "张明远调研星辰科技",
        "source": "visit",
        "text": (
            "12月5日,市委书记张明远深入星辰科技公司调研,并与企业负责人座谈交流。"
            "张明远对星辰科技长期以来扎根本地发展所作贡献表示感谢。"
            "在与星辰科技董事长赵文涛等座谈交流时,张明远听取了公司重点项目进展情况汇报。"
            "张明远希望企业坚定信心,在项目投资、创新研发、产业发展等方面发挥示范引领作用。"
        ),
    },
    {
        "title": "全国人大代表赵文涛:加快推动氢能储运产业发展",
        "source": "sessions",
        "text": (
            "全国两会期间,全国人大代表赵文涛建议,加快推动氢能储运产业发展,完善加氢站等基础设施。"
            "赵文涛表示,氢能储运是能源转型的重要一环。"
        ),
    },
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "weather"},
]

QUESTION = "张明远调研星辰科技时与之座谈的那位董事长,在全国两会期间建议加快推动什么产业发展?"


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def test_a_question_is_split_at_the_clause_that_describes_its_subject():
    assert split(QUESTION) == Clause(
        clause="张明远调研星辰科技时与之座谈", head="董事长", rest="在全国两会期间建议加快推动什么产业发展?", person=True
    )
    assert split("三一智慧钢铁城所在的那个区,开设了多少个课堂?").head == "区"
    assert split("与百合有关的那个项目叫什么?") is None  # asks for the described thing itself
    assert split("高新大厦有多高?") is None


def test_the_bridge_is_the_person_named_after_the_role_or_the_thing_of_the_kind_asked():
    clause = split(QUESTION)
    # jieba reads 宣传部/长江/小忠 inside the sentence: the name after the role is segmented on its own
    assert bridge("在与星辰科技董事长赵文涛等座谈交流时,张明远听取了汇报。", clause, QUESTION) == "赵文涛"
    assert bridge("省社科联党组书记胡代松,市委宣传部长江小忠参加。", split("签约的那位市委宣传部长,还出席了哪个会议?"),
                  "签约的那位市委宣传部长,还出席了哪个会议?") == "江小忠"
    assert bridge("张明远对星辰科技表示感谢。", clause, QUESTION) is None  # names nobody new
    district = split("钢铁城所在的那个区,开设了多少个课堂?")
    assert bridge("位于荷塘区的钢铁城是重点工程项目。", district, "钢铁城所在的那个区,开设了多少个课堂?") == "荷塘区"


def test_a_two_hop_question_is_answered_from_the_second_article(service):
    answer = service.ask(QUESTION)
    assert answer.answered
    assert service.index.sentence_text(answer.ranked[0][0]).startswith("全国两会期间,全国人大代表赵文涛建议")
    assert "氢能储运产业" in answer.passages[0].quote
    # the first hop's sentence still competes in the one ranking
    assert any("董事长赵文涛" in p.quote for p in answer.passages)
