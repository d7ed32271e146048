"""Presentation shared by the front ends: how an :class:`~retrieval.answers.Answer` reads to a person.

The REPL (rich) and the Telegram bot (HTML) show the same things in the same order - the quote
verbatim inside its context with the matched sentence emphasised, then ``headline · source · date``
- so the wording and the decisions (how much context, what "not found" says, in which language)
live here once. Only the markup differs. Nothing here imports telegram or rich.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from retrieval.answers import Answer, CorpusInfo, Passage

#: Telegram refuses messages longer than this (counted after entity parsing; we count the raw
#: HTML, which is always at least as long, in UTF-16 code units as Telegram does).
TELEGRAM_MAX_CHARS = 4096

#: How many characters of context to keep on each side of the quote. Chunks are ~300 characters,
#: so this normally keeps the whole chunk; it only bites on unusually long contexts.
CONTEXT_WINDOW = 160

#: How much of the reader's question we echo back in headers (the full text is in their message).
QUESTION_ECHO_CHARS = 80

PAPER = "株洲日报"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
# Where a context may be cut without splitting a sentence (Chinese and Western punctuation, lines).
_BOUNDARY = re.compile(r"[。！？；!?;\n]|[.](?=\s)")
# Our own HTML consists of exactly these tokens: tags, entities and text.
_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]+")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def detect_language(text: str) -> str:
    """"zh" if the text has any CJK character, else "en" - used only where the service has not
    already decided (refusals before a question reaches it). Mixed questions count as Chinese."""
    return "zh" if _CJK.search(text or "") else "en"


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
    match = _BOUNDARY.search(tail)
    if match and match.end() < len(tail):
        return tail[match.end() :].lstrip("\n"), True
    return tail, True


def _trim_after(text: str, window: int) -> tuple[str, bool]:
    """Keep at most ``window`` characters after the quote, ending at a sentence end if there is one."""
    if len(text) <= window:
        return text, False
    head = text[:window]
    ends = [m.end() for m in _BOUNDARY.finditer(head)]
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


def source_line(passage: Passage) -> str:
    """``headline · source · date`` - where the quote comes from (the date only when known)."""
    parts = [passage.title.strip() or "—", passage.source]
    if passage.date:
        parts.append(passage.date)
    return " · ".join(parts)


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
    """The line above the quotes, saying they are the paper's words about the question."""
    q = shorten(answer.question)
    if answer.language == "en":
        return f"What the {PAPER} (Zhuzhou Daily) wrote about “{q}”:"
    return f"关于「{q}」，《{PAPER}》原文："


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


# --------------------------------------------------------------------------------------------
# Telegram HTML


def esc(text: str) -> str:
    """Escape for Telegram HTML: only ``&``, ``<`` and ``>`` are special there."""
    return html.escape(text, quote=False)


def passage_html(passage: Passage) -> str:
    """One passage as Telegram HTML: the context in a blockquote with the quote in bold, then
    ``headline · source · date`` in italics. Every piece of paper text is escaped."""
    h = highlight(passage)
    body = (
        ("…" if h.cut_before else "")
        + esc(h.before)
        + f"<b>{esc(h.quote)}</b>"
        + esc(h.after)
        + ("…" if h.cut_after else "")
    )
    return f"<blockquote>{body}</blockquote>\n— <i>{esc(source_line(passage))}</i>"


def not_found_html(language: str, question: str | None = None) -> str:
    return esc(not_found_text(language, question))


def about_html(info: CorpusInfo) -> str:
    lines = [f"<b>{esc(PAPER)} archive · 档案</b>", *(esc(line) for line in about_lines(info))]
    return "\n".join(lines)


def answer_page_html(answer: Answer, start: int = 0, count: int | None = None) -> list[str]:
    """Telegram messages for passages ``[start, start+count)`` of an answered question.

    The first page carries the header; every page ends with a "1–3 of 5" footer when the answer
    has more passages than the page. Messages are split at passage boundaries under the limit.
    """
    passages = answer.passages
    if not answer.answered or not passages:
        return [not_found_html(answer.language, answer.question)]
    end = len(passages) if count is None else min(len(passages), start + count)
    blocks: list[str] = []
    if start == 0:
        blocks.append(f"<b>{esc(answer_header(answer))}</b>")
    blocks.extend(passage_html(p) for p in passages[start:end])
    if start > 0 or end < len(passages):
        blocks.append(f"<i>{esc(page_footer(answer.language, start + 1, end, len(passages)))}</i>")
    return split_messages(blocks)


# --------------------------------------------------------------------------------------------
# Splitting under the Telegram limit


def split_messages(
    blocks: Iterable[str], limit: int = TELEGRAM_MAX_CHARS, separator: str = "\n\n"
) -> list[str]:
    """Pack HTML blocks into as few messages as fit under ``limit``, breaking only between blocks.

    A block that alone exceeds the limit (never seen with real chunks, but a front end must not
    crash on it) is cut inside its text with its open tags closed and reopened, so every message
    is still valid HTML on its own.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        pieces = [block] if telegram_length(block) <= limit else split_html(block, limit)
        messages.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        messages.append(current)
    return messages


def _tag_name(tag: str) -> str:
    return re.match(r"</?\s*([a-zA-Z0-9-]+)", tag).group(1).lower()  # type: ignore[union-attr]


def split_html(text: str, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """Cut one HTML string into pieces of at most ``limit`` UTF-16 units, each balanced.

    Walks tags, entities and text; when the next token would overflow, closes the open tags,
    starts a new piece and reopens them. Text runs are cut (preferably after a line break or
    sentence end); tags and entities are never cut.
    """
    pieces: list[str] = []
    stack: list[str] = []  # open tags as written, e.g. "<b>", "<blockquote>"
    current = ""

    def closing(extra: Sequence[str] = ()) -> str:
        return "".join(f"</{_tag_name(t)}>" for t in reversed([*stack, *extra]))

    def room(extra: Sequence[str] = ()) -> int:
        return limit - telegram_length(current + closing(extra))

    def flush() -> None:
        nonlocal current
        if current == "".join(stack):  # nothing but reopened tags: flushing cannot help
            raise ValueError(f"limit {limit} is too small for this markup")
        pieces.append(current + closing())
        current = "".join(stack)

    for token in _HTML_TOKEN.findall(text):
        if token.startswith("</"):
            current += token  # its space was reserved by closing() all along
            if stack:
                stack.pop()
        elif token.startswith("<"):
            if room([token]) < telegram_length(token) + 1:  # + at least one character inside
                flush()
            current += token
            stack.append(token)
        elif token.startswith("&"):
            if room() < telegram_length(token):
                flush()
            current += token
        else:
            rest = token
            while telegram_length(rest) > room():
                if room() < 2:
                    flush()
                    continue
                cut = _cut_point(rest, room())
                current += rest[:cut]
                rest = rest[cut:]
                flush()
            current += rest
    if current != "".join(stack):
        pieces.append(current + closing())
    return pieces


def _cut_point(text: str, room: int) -> int:
    """Largest prefix of ``text`` fitting ``room`` UTF-16 units, ending at a break if one is near."""
    cut, used = 0, 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > room:
            break
        used += width
        cut += 1
    cut = max(cut, 1)
    window = text[:cut]
    best = max((m.end() for m in _BOUNDARY.finditer(window)), default=0)
    return best if best >= cut * 3 // 4 else cut


# --------------------------------------------------------------------------------------------
# Checking our own output (used by tests and by the bot's debug assertions)

#: Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = frozenset(
    "b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji".split()
)
_ENTITY_OK = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would reject ``text`` in HTML parse mode (empty list = it parses).

    Checks what Telegram checks: only supported tags, properly nested and closed, and no bare
    ``<``, ``>`` or ``&`` outside tags and known entities.
    """
    problems: list[str] = []
    stack: list[str] = []
    for match in re.finditer(r"<[^<>]*>|&[^&;<>\s]*;?|[<>]", text):
        token = match.group()
        if token in ("<", ">"):
            problems.append(f"bare {token!r} at {match.start()}")
        elif token.startswith("&"):
            if not _ENTITY_OK.fullmatch(token):
                problems.append(f"bad entity {token!r} at {match.start()}")
        else:
            name_match = re.match(r"</?\s*([a-zA-Z0-9-]+)", token)
            if not name_match:
                problems.append(f"bad tag {token!r}")
                continue
            name = name_match.group(1).lower()
            if name not in TELEGRAM_TAGS:
                problems.append(f"unsupported tag {token!r}")
            elif token.startswith("</"):
                if not stack or stack[-1] != name:
                    problems.append(f"unbalanced {token!r} at {match.start()}")
                else:
                    stack.pop()
            else:
                stack.append(name)
    if stack:
        problems.append(f"unclosed tags {stack}")
    return problems


def visible_text(html_text: str) -> str:
    """What the reader sees: tags dropped, entities decoded (to compare with verbatim quotes)."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))
