"""Telegram HTML: escaping, paging, splitting under Telegram's limit, and Telegram's parser's view."""

from __future__ import annotations

import pytest

from bot.telegram import html
from test_formatting import CORPUS_INFO, QUOTE, answer, passage


def test_passage_html_bolds_the_quote_and_names_the_source():
    text = html.passage_html(passage())
    assert f"<b>{QUOTE}</b>" in text
    assert "— <i>“武广地标”转型记 · 004_d1804f0282d1225f.txt · 2024-12-23</i>" in text
    assert html.telegram_html_problems(text) == []


def test_everything_from_outside_is_escaped():
    evil = "<b>粗体</b> & <script>alert(1)</script> &amp;"
    p = passage(quote=evil, context=f"前<i>{evil}后", title="<a href='x'>标题</a> &")
    pages = html.answer_page_html(answer([p], question="<b>高新</b> & 大厦?"))
    assert len(pages) == 1
    text = pages[0]
    assert html.telegram_html_problems(text) == []
    assert "&lt;script&gt;" in text and "&amp;amp;" in text
    assert "&lt;b&gt;高新&lt;/b&gt; &amp; 大厦?" in text
    assert evil in html.visible_text(text)  # the reader sees exactly the paper's characters


def test_answer_pages_header_footer_and_paging():
    passages = [passage(title=f"标题{i}") for i in range(5)]
    first = html.answer_page_html(answer(passages), 0, 3)
    assert len(first) == 1
    assert first[0].startswith("<b>关于「高新大厦有多高？」，《株洲日报》原文：</b>")
    assert [t for t in ("标题0", "标题1", "标题2", "标题3") if t in first[0]] == ["标题0", "标题1", "标题2"]
    assert first[0].endswith("<i>第 1–3 条，共 5 条</i>")
    second = html.answer_page_html(answer(passages), 3, 3)
    assert "原文" not in second[0] and "标题3" in second[0] and "标题4" in second[0]
    assert second[0].endswith("<i>第 4–5 条，共 5 条</i>")
    whole = html.answer_page_html(answer(passages[:2]))
    assert "条，共" not in whole[0]


def test_pages_over_passages_given_apart_from_the_answer():
    """What /sources N pages over: passages cut from the answer's ranking, not its own list."""
    own = [passage(title="标题0")]
    longer = [passage(title=f"标题{i}") for i in range(8)]
    page = html.answer_page_html(answer(own), 3, 3, passages=longer)
    assert "标题3" in page[0] and "标题5" in page[0] and "标题6" not in page[0]
    assert page[0].endswith("<i>第 4–6 条，共 8 条</i>")


def test_english_answer_header():
    pages = html.answer_page_html(answer([passage()], "How tall is the Gaoxin Building?", "en"))
    assert "What the 株洲日报 (Zhuzhou Daily) wrote about “How tall is the Gaoxin Building?”" in pages[0]


@pytest.mark.parametrize("language,expected", [("zh", "没有找到"), ("en", "Not found")])
def test_not_found_says_so_in_the_question_language_without_quotes(language, expected):
    a = answer([passage()], question="株洲到长沙坐高铁要多久", language=language, answered=False)
    pages = html.answer_page_html(a)
    assert pages == [html.not_found_html(language, a.question)]
    assert expected in pages[0] and QUOTE not in pages[0]
    assert "株洲到长沙坐高铁要多久" in pages[0]


def test_not_found_escapes_the_question():
    assert "&lt;b&gt;" in html.not_found_html("en", "<b>?")


def test_about_html():
    text = html.about_html(CORPUS_INFO)
    assert html.telegram_html_problems(text) == [] and "株洲日报" in text


def test_split_messages_breaks_only_between_passages():
    blocks = [html.passage_html(passage(title=f"T{i}")) for i in range(40)]
    messages = html.split_messages(blocks)
    assert len(messages) > 1
    assert all(html.telegram_length(m) <= html.TELEGRAM_MAX_CHARS for m in messages)
    assert all(html.telegram_html_problems(m) == [] for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)  # nothing lost, nothing cut


def test_oversized_block_is_cut_into_balanced_pieces():
    huge = "<blockquote>" + html.esc("<&>" * 2000) + "<b>" + html.esc("😀字" * 3000) + "</b></blockquote>"
    messages = html.split_messages(["<b>header</b>", huge, "<i>footer</i>"])
    assert all(html.telegram_length(m) <= html.TELEGRAM_MAX_CHARS for m in messages)
    assert all(html.telegram_html_problems(m) == [] for m in messages)
    seen = "".join(html.visible_text(m) for m in messages)
    assert "<&>" * 2000 in seen and "😀字" * 3000 in seen


def test_split_counts_utf16_units_like_telegram():
    emoji = "😀" * 3000  # 3000 characters but 6000 UTF-16 units
    assert html.telegram_length(emoji) == 6000
    pieces = html.split_html(emoji)
    assert len(pieces) == 2 and "".join(pieces) == emoji


def test_telegram_html_problems_catches_what_telegram_rejects():
    assert html.telegram_html_problems("<b>ok</b> &amp; &#128512; &lt;") == []
    assert html.telegram_html_problems("a < b")
    assert html.telegram_html_problems("Q&A")
    assert html.telegram_html_problems("<b>open")
    assert html.telegram_html_problems("<b><i>x</b></i>")
    assert html.telegram_html_problems("<div>x</div>")
