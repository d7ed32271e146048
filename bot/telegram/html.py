"""Telegram HTML: a passage, an answer page, ``/about``, and cutting them under Telegram's limit.

The wording comes from :mod:`bot.formatting` (shared with the REPL); what is here is the markup
Telegram's HTML parse mode accepts, the escaping of every piece of paper and reader text, and the
4,096-character limit counted the way Telegram counts it. :func:`telegram_html_problems` is
Telegram's parser's view of our output: the loopback Bot API (``bot/telegram/fake_api.py``)
refuses what it flags, as Telegram would.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Sequence

from bot.formatting import (
    PAPER,
    SENTENCE_BREAK,
    about_lines,
    answer_header,
    article_header,
    article_paragraphs,
    date_line,
    headline_line,
    highlight,
    issue_line,
    issue_title,
    not_found_text,
    page_footer,
    quote_parts,
    read_as_line,
    source_line,
)
from retrieval import Answer, CorpusInfo, Passage
from retrieval.answers import FullArticle, IssueContents, IssueInfo

#: Telegram refuses messages longer than this (counted after entity parsing; we count the raw
#: HTML, which is always at least as long, in UTF-16 code units as Telegram does).
TELEGRAM_MAX_CHARS = 4096

# Our own HTML consists of exactly these tokens: tags, entities and text.
_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]+")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    """Escape for Telegram HTML: only ``&``, ``<`` and ``>`` are special there."""
    return html.escape(text, quote=False)


def passage_html(passage: Passage) -> str:
    """One passage as Telegram HTML: the context in a blockquote with the quote underlined and
    the words that answer in bold (the whole quote in bold when none are marked), then
    ``headline · source · issue date · date`` in italics. Every piece of paper text is escaped."""
    h = highlight(passage)
    before, answer_words, after = quote_parts(passage, h.quote)
    quote = f"{esc(before)}<b>{esc(answer_words)}</b>{esc(after)}" if answer_words else f"<b>{esc(before)}</b>"
    body = (
        ("…" if h.cut_before else "")
        + esc(h.before)
        + f"<u>{quote}</u>"
        + esc(h.after)
        + ("…" if h.cut_after else "")
    )
    return f"<blockquote>{body}</blockquote>\n— <i>{esc(source_line(passage))}</i>"


def inline_title(passage: Passage) -> str:
    """An inline result's title: ``headline · date`` (the issue's date, else the dateline)."""
    return f"{passage.title.strip() or '—'} · {passage.issue_date or passage.date or passage.source}"


def inline_message_html(passage: Passage) -> str:
    """What choosing an inline result sends: the quote (answer words bold) and where it is from."""
    before, answer_words, after = quote_parts(passage, passage.quote)
    quote = f"{esc(before)}<b>{esc(answer_words)}</b>{esc(after)}" if answer_words else esc(before)
    return f"<blockquote>{quote}</blockquote>\n— <i>{esc(f'{PAPER} · ' + source_line(passage))}</i>"


def not_found_html(language: str, question: str | None = None) -> str:
    return esc(not_found_text(language, question))


def about_html(info: CorpusInfo) -> str:
    lines = [f"<b>{esc(PAPER)} archive · 档案</b>", *(esc(line) for line in about_lines(info))]
    return "\n".join(lines)


def issues_html(issues: Sequence[IssueInfo]) -> str:
    lines = [f"<b>{esc(PAPER)} · issues 各期</b>", *(esc(issue_line(i)) for i in issues)]
    return "\n".join(lines + ["<i>/issue 2024-01-05 (or a file name) · /latest</i>"])


def issue_html(contents: IssueContents) -> list[str]:
    """An issue's headlines, numbered for ``/article N`` (split under the limit if need be)."""
    blocks = [f"<b>{esc(issue_title(contents))}</b>"]
    blocks += [esc(headline_line(n, h)) for n, h in enumerate(contents.headlines, 1)]
    blocks.append("<i>/article N — 全文 · full article</i>")
    return split_messages(blocks, separator="\n")


def article_pages_html(article: FullArticle) -> list[str]:
    """The whole article as pages under Telegram's limit: headline, where it was printed, then its
    paragraphs, the quoted sentence in bold; pages break between paragraphs when they can."""
    header = article_header(article)
    blocks = [f"<b>{esc(header[0])}</b>\n" + "\n".join(f"<i>{esc(x)}</i>" for x in header[1:])]
    for before, marked, after in article_paragraphs(article):
        blocks.append(esc(before) + (f"<b>{esc(marked)}</b>" if marked else "") + esc(after))
    return split_messages(blocks, limit=TELEGRAM_MAX_CHARS - 100)  # room for a page note


def answer_page_html(
    answer: Answer,
    start: int = 0,
    count: int | None = None,
    passages: Sequence[Passage] | None = None,
) -> list[str]:
    """Telegram messages for passages ``[start, start+count)`` of an answered question.

    ``passages`` are the ones being paged through (by default the answer's own; the bot passes
    what :meth:`AnswerService.more` returned for ``/sources N``). The first page carries the
    header; every page ends with a "1–3 of 5" footer when there are more passages than the page.
    Messages are split at passage boundaries under the limit.
    """
    passages = answer.passages if passages is None else passages
    if not answer.answered or not passages:
        return [not_found_html(answer.language, answer.question)]
    end = len(passages) if count is None else min(len(passages), start + count)
    blocks: list[str] = []
    if start == 0:
        notes = "".join(f"\n<i>{esc(n)}</i>" for n in (read_as_line(answer), date_line(answer)) if n)
        blocks.append(f"<b>{esc(answer_header(answer))}</b>" + notes)
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
    best = max((m.end() for m in SENTENCE_BREAK.finditer(window)), default=0)
    return best if best >= cut * 3 // 4 else cut


# --------------------------------------------------------------------------------------------
# Checking our own output as Telegram would (the loopback Bot API and the tests do)

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
