"""Presentation shared by the front ends: how an :class:`~retrieval.Answer` reads to a person.

The REPL (rich) and the Telegram bot (HTML, ``bot/telegram/html.py``) show the same things in the
same order - the quote verbatim inside its context with the matched sentence emphasised, then
``headline · source · date`` - so the wording and the decisions (how much context, what "not
found" says, in which language) live here once. Only the markup differs, and it lives with each
front end. Nothing here imports telegram or rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval import Answer, CorpusInfo, Passage
from retrieval.answers import FullArticle, Headline, IssueContents, IssueInfo

#: How many characters of context to keep on each side of the quote. Chunks are ~300 characters,
#: so this normally keeps the whole chunk; it only bites on unusually long contexts.
CONTEXT_WINDOW = 160

#: How much of the reader's question we echo back in headers (the full text is in their message).
QUESTION_ECHO_CHARS = 80

PAPER = "株洲日报"

#: Where text may be cut without splitting a sentence (Chinese and Western punctuation, lines):
#: contexts are trimmed here, and over-long Telegram messages are cut here when they must be.
SENTENCE_BREAK = re.compile(r"[。！？；!?;\n]|[.](?=\s)")


def shorten(text: str, limit: int = QUESTION_ECHO_CHARS) -> str:
    """One line, at most ``limit`` characters, for echoing user input back without flooding."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------------------------
# What a passage shows


@dataclass(frozen=True)
class Highlight:
    """A passage split for display: ``before + quote + after`` is a verbatim slice of the context.
    ``cut_before``/``cut_after`` say whether context was trimmed there (show an ellipsis)."""

    before: str
    quote: str
    after: str
    cut_before: bool = False
    cut_after: bool = False


def _locate_quote(passage: Passage) -> tuple[int, int] | None:
    """Trust ``quote_start``/``quote_end`` when they really point at the quote; otherwise look the
    quote up in the context, so a slightly off offset never bolds the wrong words."""
    ctx, start, end = passage.context, passage.quote_start, passage.quote_end
    if 0 <= start <= end <= len(ctx) and ctx[start:end] == passage.quote and passage.quote:
        return start, end
    found = ctx.find(passage.quote) if passage.quote else -1
    if found >= 0:
        return found, found + len(passage.quote)
    return None


def _trim_before(text: str, window: int) -> tuple[str, bool]:
    """Keep at most ``window`` characters ending at the quote, starting after a sentence end."""
    if len(text) <= window:
        return text, False
    tail = text[-window:]
    match = SENTENCE_BREAK.search(tail)
    if match and match.end() < len(tail):
        return tail[match.end() :].lstrip("\n"), True
    return tail, True


def _trim_after(text: str, window: int) -> tuple[str, bool]:
    """Keep at most ``window`` characters after the quote, ending at a sentence end if there is one."""
    if len(text) <= window:
        return text, False
    head = text[:window]
    ends = [m.end() for m in SENTENCE_BREAK.finditer(head)]
    if ends:
        return head[: ends[-1]].rstrip("\n"), True
    return head, True


def highlight(passage: Passage, window: int = CONTEXT_WINDOW) -> Highlight:
    """Split a passage into context-before, the quote, context-after (each verbatim, trimmed)."""
    span = _locate_quote(passage)
    if span is None:  # the quote is not in the context: show the quote alone rather than guess
        return Highlight("", passage.quote, "")
    start, end = span
    before, cut_before = _trim_before(passage.context[:start], window)
    after, cut_after = _trim_after(passage.context[end:], window)
    return Highlight(before, passage.context[start:end], after, cut_before, cut_after)


def quote_parts(passage: Passage, quote: str) -> tuple[str, str, str]:
    """``quote`` (as shown) split around the words that answer: (before, answer, after); the
    answer is empty when the passage marks none or ``quote`` is not the passage's own."""
    if quote != passage.quote or not passage.has_answer_span:
        return quote, "", ""
    s, e = passage.answer_start, passage.answer_end
    return quote[:s], quote[s:e], quote[e:]


def printed_in(source: str, issue_date: str | None, date: str | None) -> str:
    """``source · issue 2023-12-22 (inferred) · 12月22日``: where and when it was printed."""
    return " · ".join([source] + ([f"issue {issue_date}"] if issue_date else []) + ([date] if date else []))


def source_line(passage: Passage) -> str:
    """``headline · source · issue date · dateline`` - where the quote comes from (each date only
    when known; an issue date read from the datelines says "(inferred)")."""
    return f"{passage.title.strip() or '—'} · {printed_in(passage.source, passage.issue_date, passage.date)}"


# --------------------------------------------------------------------------------------------
# Browsing: issues, headlines, whole articles


def issue_line(info: IssueInfo) -> str:
    """``2024-01-05 (inferred) · 002_b29….txt · 12 articles``."""
    return f"{info.date_label or 'date unknown / 日期未知'} · {info.key} · {info.articles} articles 篇"


def headline_line(number: int, headline: Headline) -> str:
    return f"{number}. {headline.title}" + (f" · {headline.date}" if headline.date else "")


def issue_title(contents: IssueContents) -> str:
    return f"{PAPER} · {issue_line(contents.issue)}"


ARTICLE_HINT = "Open one with :article N / 用 :article N 打开全文"


def article_header(article: FullArticle) -> list[str]:
    """The headline, sub-title and byline lines, then where it was printed."""
    lines = [article.title.strip() or "—"]
    lines += [x for x in (article.subtitle, article.byline) if x and not article.text.startswith(x)]
    lines.append(printed_in(article.source, article.issue_date, article.date))
    return lines


def article_paragraphs(article: FullArticle) -> list[tuple[str, str, str]]:
    """The article's paragraphs, each as (before, marked, after): the marked part is what the
    quote covers of it (a two-sentence quote may run over a paragraph break)."""
    out: list[tuple[str, str, str]] = []
    pos = 0
    for para in article.text.split("\n"):
        start, end = pos, pos + len(para)
        a, b = max(start, article.mark_start) - start, min(end, article.mark_end) - start
        if article.marked and a < b:
            out.append((para[:a], para[a:b], para[b:]))
        else:
            out.append((para, "", ""))
        pos = end + 1
    return out


# --------------------------------------------------------------------------------------------
# Plain-text wording shared by every front end


def not_found_text(language: str, question: str | None = None) -> str:
    """What a reader sees when the paper never said it: plain, in their language, no quotes."""
    q = shorten(question) if question else ""
    if language == "en":
        subject = f" that answers “{q}”" if q else " that answers this"
        return (
            f"Not found: nothing in the {PAPER} (Zhuzhou Daily) archive{subject}. "
            "Try asking with other words."
        )
    subject = f"能回答「{q}」的内容" if q else "能回答这个问题的内容"
    return f"没有找到：《{PAPER}》里没有{subject}。可以换个说法再问。"


def answer_header(answer: Answer) -> str:
    """The line above the quotes, saying they are the paper's words about the question; for an
    answer the service is not sure of (``Answer.sure``), that they are the closest it came, for
    the reader to judge."""
    q = shorten(answer.question)
    if answer.language == "en":
        if not answer.sure:
            return f"Not sure the {PAPER} (Zhuzhou Daily) answers “{q}”; the closest it wrote:"
        return f"What the {PAPER} (Zhuzhou Daily) wrote about “{q}”:"
    if not answer.sure:
        return f"不确定《{PAPER}》是否回答了「{q}」，最接近的原文："
    return f"关于「{q}」，《{PAPER}》原文："


def date_line(answer: Answer) -> str | None:
    """Which date the answer used, when the question named one, and whether the passages keep to it."""
    if not answer.when:
        return None
    if answer.language == "en":
        return f"Date: {answer.when}" + ("" if answer.on_date else " — nothing printed then answers; passages from any date")
    return f"日期：{answer.when}" + ("" if answer.on_date else "（那几天的报道里没有找到，以下不限日期）")


def read_as_line(answer: Answer) -> str | None:
    """How a follow-up was read ("他 → 刘亚亮"), so the reader can tell when it was read wrong."""
    if not answer.read_as:
        return None
    return ("Read as: " if answer.language == "en" else "理解为：") + answer.read_as


def page_footer(language: str, start: int, end: int, total: int) -> str:
    """"Passages 1–3 of 5": tells the reader there is more before they ask for it."""
    if language == "en":
        return f"Passages {start}–{end} of {total}"
    return f"第 {start}–{end} 条，共 {total} 条"


def no_more_text(language: str) -> str:
    if language == "en":
        return "No more passages for that question."
    return "这个问题没有更多段落了。"


def about_lines(info: CorpusInfo) -> list[str]:
    """The corpus facts ``/about`` and the REPL banner show (bilingual, one fact a line)."""
    if info.first_date and info.last_date:
        dates = info.first_date if info.first_date == info.last_date else (
            f"{info.first_date} – {info.last_date}"
        )
    else:
        dates = "unknown / 未知"
    return [
        f"Articles 文章: {info.articles} · Issues 期数: {info.issues} · Passages 段落: {info.chunks}",
        f"Dates 日期: {dates}",
        f"Model 模型: {info.model}",
        f"Index built 索引生成: {info.built_at}",
    ]
