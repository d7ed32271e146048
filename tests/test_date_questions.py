"""Date questions on a small real corpus with the real model: 哪一年 is answered by the sentence that
prints a year, also when that sentence only points back (该村…, 该项目…) to the subject named before it."""

from __future__ import annotations

import pytest

ARTICLES = [
    {
        "title": "桃花开 游客来",
        "source": "peach",
        "text": (
            "4月2日,渌口区龙船镇石塘冲村桃花种植基地,桃花盛开,吸引不少游客前来赏花拍照。"
            "村党支部书记何新民介绍,该村从2015年开始打造桃花种植基地,种植面积超过800亩。"
            "图为游客在桃林中踏青。"
        ),
    },
    {
        "title": "城西大桥通车纪念",
        "source": "bridge",
        "text": (
            "10月18日,城西大桥迎来建成通车纪念日,不少市民来到桥上散步合影。"
            "据了解,城西大桥于1998年建成通车,全长1280米,是当时全市最长的桥梁。"
            "如今,大桥每天通行车辆超过3万辆。"
        ),
    },
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "weather"},
]


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def _best_and_marked(service, question: str) -> tuple[str, str]:
    """The best ranked sentence of ``question`` and the words of its first quote marked as the answer."""
    answer = service.ask(question)
    assert answer.answered and answer.passages
    best = service.index.sentence_text(answer.ranked[0][0])
    first = answer.passages[0]
    return best, first.quote[first.answer_start : first.answer_end]


def test_a_year_question_is_answered_by_the_sentence_that_prints_the_year(service):
    best, marked = _best_and_marked(service, "城西大桥是哪一年建成通车的?")
    assert "1998年" in best
    assert marked == "1998年"


def test_a_year_in_a_sentence_that_points_back_to_its_subject(service):
    # the subject (石塘冲村) is named in the sentence with the day; the year is in "该村从2015年…"
    best, marked = _best_and_marked(service, "石塘冲村是从哪一年开始打造桃花种植基地的?")
    assert best.startswith("村党支部书记何新民介绍,该村从2015年")
    assert marked == "2015年"


RENAMED = {
    "title": "高新大厦",
    "source": "tower",
    "text": (
        "高新大厦位于株洲高新区核心地段,原名天元大厦,是区里最早的高层写字楼之一,楼高一百余米。"
        "该大厦于2020年12月正式更名。"
    ),
}


def test_a_date_in_the_next_sentence_is_quoted_with_the_sentence_that_names_the_subject(service_over):
    """A best sentence without the asked date is quoted with the neighbour that has it ("该大厦于…"),
    and the confidence does not count the date as missing."""
    from retrieval.ranking.quotes import select_passages
    from retrieval.ranking.search import Hit

    service = service_over([RENAMED, ARTICLES[2]])
    query = service.searcher.query("高新大厦是什么时候改成现在这个名字的?")
    names, dated = 0, 1  # the tower's two sentences come first in the index
    assert "2020年12月" in service.index.sentence_text(dated) and "2020" not in service.index.sentence_text(names)
    hits = [Hit(names, 1.5), Hit(dated, 1.0)]  # the date sentence too far below to be paired by score
    assert select_passages(service.index, hits, 1)[0].quote.endswith("楼高一百余米。")
    quote = select_passages(service.index, hits, 1, holds=service.searcher.holds(query))[0].quote
    assert quote.startswith("高新大厦位于") and "2020年12月" in quote
    cand = service.searcher.candidates(query, service.searcher.vector(query))
    row = list(cand.ids).index(names)
    assert cand.answer_type[row] == 0 and cand.neighbour_type[row] == 1
    answer = service.ask("高新大厦是什么时候更名的?")  # in the paper's words: no keyword counts against it
    assert answer.answered and "2020年12月" in answer.passages[0].quote
