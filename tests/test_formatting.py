"""Presentation helpers: highlighting, escaping, splitting under Telegram's limit, wording."""

from __future__ import annotations

import pytest

from bot import formatting as fmt
from retrieval.answers import Answer, CorpusInfo, Passage

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


def test_passage_html_bolds_the_quote_and_names_the_source():
    html = fmt.passage_html(passage())
    assert f"<b>{QUOTE}</b>" in html
    assert "— <i>“武广地标”转型记 · 004_d1804f0282d1225f.txt · 2024-12-23</i>" in html
    assert fmt.telegram_html_problems(html) == []


def test_source_line_without_date():
    assert fmt.source_line(passage(date=None)) == "“武广地标”转型记 · 004_d1804f0282d1225f.txt"


def test_everything_from_outside_is_escaped():
    evil = "<b>粗体</b> & <script>alert(1)</script> &amp;"
    p = passage(quote=evil, context=f"前<i>{evil}后", title="<a href='x'>标题</a> &")
    pages = fmt.answer_page_html(answer([p], question="<b>高新</b> & 大厦?"))
    assert len(pages) == 1
    text = pages[0]
    assert fmt.telegram_html_problems(text) == []
    assert "&lt;script&gt;" in text and "&amp;amp;" in text
    assert "&lt;b&gt;高新&lt;/b&gt; &amp; 大厦?" in text
    assert evil in fmt.visible_text(text)  # the reader sees exactly the paper's characters


def test_answer_pages_header_footer_and_paging():
    passages = [passage(title=f"标题{i}") for i in range(5)]
    first = fmt.answer_page_html(answer(passages), 0, 3)
    assert len(first) == 1
    assert first[0].startswith("<b>关于「高新大厦有多高？」，《株洲日报》原文：</b>")
    assert [t for t in ("标题0", "标题1", "标题2", "标题3") if t in first[0]] == ["标题0", "标题1", "标题2"]
    assert first[0].endswith("<i>第 1–3 条，共 5 条</i>")
    second = fmt.answer_page_html(answer(passages), 3, 3)
    assert "原文" not in second[0] and "标题3" in second[0] and "标题4" in second[0]
    assert second[0].endswith("<i>第 4–5 条，共 5 条</i>")
    whole = fmt.answer_page_html(answer(passages[:2]))
    assert "条，共" not in whole[0]


def test_english_answer_header():
    pages = fmt.answer_page_html(answer([passage()], "How tall is the Gaoxin Building?", "en"))
    assert "What the 株洲日报 (Zhuzhou Daily) wrote about “How tall is the Gaoxin Building?”" in pages[0]


@pytest.mark.parametrize("language,expected", [("zh", "没有找到"), ("en", "Not found")])
def test_not_found_says_so_in_the_question_language_without_quotes(language, expected):
    a = answer([passage()], question="株洲到长沙坐高铁要多久", language=language, answered=False)
    pages = fmt.answer_page_html(a)
    assert pages == [fmt.not_found_html(language, a.question)]
    assert expected in pages[0] and QUOTE not in pages[0]
    assert "株洲到长沙坐高铁要多久" in pages[0]


def test_not_found_escapes_the_question():
    assert "&lt;b&gt;" in fmt.not_found_html("en", "<b>?")


def test_question_echo_is_shortened():
    q = "高" * 5000
    header = fmt.answer_header(answer([passage()], question=q))
    assert len(header) < 120 and "…" in header


def test_split_messages_breaks_only_between_passages():
    blocks = [fmt.passage_html(passage(title=f"T{i}")) for i in range(40)]
    messages = fmt.split_messages(blocks)
    assert len(messages) > 1
    assert all(fmt.telegram_length(m) <= fmt.TELEGRAM_MAX_CHARS for m in messages)
    assert all(fmt.telegram_html_problems(m) == [] for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)  # nothing lost, nothing cut


def test_oversized_block_is_cut_into_balanced_pieces():
    huge = "<blockquote>" + fmt.esc("<&>" * 2000) + "<b>" + fmt.esc("😀字" * 3000) + "</b></blockquote>"
    messages = fmt.split_messages(["<b>header</b>", huge, "<i>footer</i>"])
    assert all(fmt.telegram_length(m) <= fmt.TELEGRAM_MAX_CHARS for m in messages)
    assert all(fmt.telegram_html_problems(m) == [] for m in messages)
    seen = "".join(fmt.visible_text(m) for m in messages)
    assert "<&>" * 2000 in seen and "😀字" * 3000 in seen


def test_split_counts_utf16_units_like_telegram():
    emoji = "😀" * 3000  # 3000 characters but 6000 UTF-16 units
    assert fmt.telegram_length(emoji) == 6000
    pieces = fmt.split_html(emoji)
    assert len(pieces) == 2 and "".join(pieces) == emoji


def test_telegram_html_problems_catches_what_telegram_rejects():
    assert fmt.telegram_html_problems("<b>ok</b> &amp; &#128512; &lt;") == []
    assert fmt.telegram_html_problems("a < b")
    assert fmt.telegram_html_problems("Q&A")
    assert fmt.telegram_html_problems("<b>open")
    assert fmt.telegram_html_problems("<b><i>x</b></i>")
    assert fmt.telegram_html_problems("<div>x</div>")


def test_detect_language():
    assert fmt.detect_language("高新大厦有多高") == "zh"
    assert fmt.detect_language("How tall is 高新大厦?") == "zh"
    assert fmt.detect_language("How tall is it?") == "en"
    assert fmt.detect_language("😀😀") == "en"


def test_about_lines_from_corpus_info():
    info = CorpusInfo(articles=120, issues=5, chunks=800, first_date="2024-12-23",
                      last_date="2025-01-03", model="intfloat/multilingual-e5-small",
                      built_at="2025-01-04T10:00:00")
    lines = fmt.about_lines(info)
    assert "Articles 文章: 120 · Issues 期数: 5" in lines[0]
    assert "2024-12-23 – 2025-01-03" in lines[1]
    assert "intfloat/multilingual-e5-small" in lines[2]
    html = fmt.about_html(info)
    assert fmt.telegram_html_problems(html) == [] and "株洲日报" in html
    undated = CorpusInfo(1, 1, 1, None, None, "m", "now")
    assert "unknown" in fmt.about_lines(undated)[1]
