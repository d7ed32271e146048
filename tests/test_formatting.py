"""Presentation shared by the REPL and the bot: highlighting, trimming, wording."""

from __future__ import annotations

import dataclasses

import pytest

from bot import formatting as fmt
from retrieval import Answer, CorpusInfo, Passage

CONTEXT = (
    "“武广地标”高新大厦迎来两位新朋友。高新大厦，是曾经的株洲“第一高”，楼高达 168 米，"
    "先后被称作武广地标、武广财富大厦、武广教育大厦。后于 2020 年 12 月，更改为现名。"
)
QUOTE = "高新大厦，是曾经的株洲“第一高”，楼高达 168 米，先后被称作武广地标、武广财富大厦、武广教育大厦。"


def passage(quote: str = QUOTE, context: str = CONTEXT, *, title: str = "“武广地标”转型记",
            source: str = "004_d1804f0282d1225f.txt", date: str | None = "2024-12-23",
            start: int | None = None) -> Passage:
    s = context.find(quote) if start is None else start
    return Passage(quote, context, s, s + len(quote), title, source, date, 0.8)


def answer(passages: list[Passage], question: str = "高新大厦有多高？", language: str = "zh",
           answered: bool = True) -> Answer:
    return Answer(question, answered, passages, language)


CORPUS_INFO = CorpusInfo(articles=120, issues=5, chunks=800, first_date="2024-12-23",
                         last_date="2025-01-03", model="intfloat/multilingual-e5-small",
                         built_at="2025-01-04T10:00:00")


def test_highlight_is_a_verbatim_split_of_the_context():
    h = fmt.highlight(passage())
    assert h.quote == QUOTE
    assert h.before + h.quote + h.after == CONTEXT
    assert not h.cut_before and not h.cut_after


def test_highlight_recovers_from_wrong_offsets_and_missing_quotes():
    wrong = passage(start=3)  # offsets point at other words
    assert fmt.highlight(wrong).quote == QUOTE
    absent = Passage("不在上下文里的句子。", CONTEXT, 0, 5, "t", "s", None, 0.1)
    h = fmt.highlight(absent)
    assert (h.before, h.quote, h.after) == ("", "不在上下文里的句子。", "")


def test_long_context_is_trimmed_at_sentence_ends():
    long_before = "前文。" * 200
    long_after = "后文。" * 200
    context = long_before + QUOTE + long_after
    h = fmt.highlight(passage(context=context), window=30)
    assert h.cut_before and h.cut_after
    assert len(h.before) <= 30 and len(h.after) <= 30
    assert h.before.startswith("前文") and h.after.endswith("。")
    assert h.before + h.quote + h.after in context


def test_source_line_without_date():
    assert fmt.source_line(passage(date=None)) == "“武广地标”转型记 · 004_d1804f0282d1225f.txt"


def test_question_echo_is_shortened():
    q = "高" * 5000
    header = fmt.answer_header(answer([passage()], question=q))
    assert len(header) < 120 and "…" in header


def test_about_lines_from_corpus_info():
    lines = fmt.about_lines(CORPUS_INFO)
    assert "Articles 文章: 120 · Issues 期数: 5" in lines[0]
    assert "2024-12-23 – 2025-01-03" in lines[1]
    assert "intfloat/multilingual-e5-small" in lines[2]
    undated = CorpusInfo(1, 1, 1, None, None, "m", "now")
    assert "unknown" in fmt.about_lines(undated)[1]


@pytest.mark.parametrize(("language", "unsure"), [("zh", "不确定"), ("en", "Not sure")])
def test_an_answer_the_service_is_not_sure_of_says_so_above_its_quotes(language, unsure):
    sure = answer([passage()], language=language)
    doubtful = dataclasses.replace(sure, sure=False)
    assert unsure not in fmt.answer_header(sure)
    assert unsure in fmt.answer_header(doubtful) and "高新大厦有多高" in fmt.answer_header(doubtful)
