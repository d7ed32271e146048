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
