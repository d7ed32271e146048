"""Split one newspaper issue file into articles.

Issues arrive messy: markdown headings in some, bare headline lines in others, PDF text with hard
line breaks and headlines printed *after* their article, page-break cuts, duplicated paragraphs,
continuation markers and stray HTML. Every step only deletes characters (see
:mod:`retrieval.corpus.article`), so quotes stay verbatim. The draft/finish steps are shared with
JSONL records (:mod:`retrieval.corpus.records`), which need the same paragraph and byline handling.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from itertools import combinations, permutations

from retrieval.corpus.article import Article, Span
from retrieval.text import CJK, CJK_PUNCT, CLOSERS, SENTENCE_END, key

# a line ending in one of these closes a paragraph (a semicolon ends a list item's line)
_LINE_END = set(SENTENCE_END + "；;")
_CLOSER_SET = set(CLOSERS)
_CLAUSE_MARKS = set("，,。；;")
_BYLINE_START = re.compile(
    r"^[(（]?\s*(株洲日报讯|新华社[^\s，,。]{0,12}?\d{1,2}\s*月\s*\d{1,2}\s*日电)"
)
_BYLINE_ANY = re.compile(r"(记者|通讯员)\s*/")
_BYLINE_PAREN = re.compile(r"^[(（]?\s*株洲日报讯\s*[(（][^)）]*[)）]")
_XINHUA = re.compile(r"^新华社[^\s，,。]{0,12}?\d{1,2}\s*月\s*\d{1,2}\s*日电")
_MARKER = re.compile(r"^◀◀\s*上接\s*\d+\s*版\s*[①-⑳]?")
_LABEL = re.compile(r"^[(（【\[][^)）】\]]{1,6}[)）】\]]$")
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
TAG = re.compile(r"</?[A-Za-z][^<>]{0,40}>")
BLOCK_TAG = re.compile(r"</?(?!(?:sub|sup|b|i|u|em|strong|span|small|font)\b)[A-Za-z][^<>]{0,40}>", re.I)
_LETTER_SPACED = re.compile(rf"(?<=[{CJK}{CJK_PUNCT}]) (?=[{CJK}{CJK_PUNCT}] [{CJK}{CJK_PUNCT}])|(?<=[{CJK}{CJK_PUNCT}] [{CJK}{CJK_PUNCT}]) (?=[{CJK}{CJK_PUNCT}])")
_SPACE_NEAR_CJK = re.compile(rf"[ \t\u3000]+(?=[{CJK}{CJK_PUNCT}])|(?<=[{CJK}{CJK_PUNCT}])[ \t\u3000]+")


_MARKUP = re.compile(r"^#{1,6}\s+|\*\*|^[-*]\s+|" + TAG.pattern)


@dataclass
class _Unit:
    """One non-empty source line, cleaned of markup, with what kind of line it looks like."""

    span: Span
    newline: int  # source offset of the line break after this line (or len(source))
    heading: bool = False  # a markdown '#' heading
    bold: bool = False  # the whole line was **bold**
    bullet: bool = False  # a markdown list item: always its own paragraph

    @property
    def text(self) -> str:
        return self.span.text


def _units(source: str) -> list[_Unit]:
    units: list[_Unit] = []
    pos = 0
    for line in source.split("\n"):
        end = pos + len(line)
        span = Span(line, list(range(pos, end))).strip()
        if span.text:
            raw = span.text
            cleaned = span.delete(_MARKUP).strip()
            if cleaned.text:
                units.append(
                    _Unit(
                        cleaned,
                        newline=end,
                        heading=raw.startswith("#"),
                        bold=bool(re.fullmatch(r"(?:[-*]\s+)?\*\*.+\*\*|(?:[-*]\s+)?[^*]+\*\*", raw)),
                        bullet=bool(re.match(r"[-*]\s", raw)),
                    )
                )
        pos = end + 1
    return units


# --- line classification ------------------------------------------------------------------------


def _ends_sentence(text: str) -> bool:
    text = text.rstrip()
    while text and text[-1] in _CLOSER_SET:
        text = text[:-1]
    return bool(text) and text[-1] in _LINE_END


def is_byline(text: str) -> bool:
    """'株洲日报讯(…)', '新华社北京12月22日电', '株洲日报全媒体记者/刘平 摄': who reported it."""
    return bool(_BYLINE_START.match(text) or (_BYLINE_ANY.search(text[:40]) and len(text) <= 60))


def _is_label(text: str) -> bool:
    return bool(_LABEL.match(text))


def _headline_like(unit: _Unit, limit: int = 40) -> bool:
    """Short, not a sentence, no clause punctuation: a headline, a sub-heading or an author line."""
    text = unit.text
    return (
        len(text) <= limit
        and not _ends_sentence(text)
        and not any(c in _CLAUSE_MARKS for c in text)
        and not is_byline(text)
        and not _is_label(text)
        and not _MARKER.match(text)
    )


def _is_author(text: str) -> bool:
    """'茶陵县政协委员 刘益华', '宋杰 刘蓉 李佳', '王建设': an author line, not a headline."""
    tokens = text.split()
    return len(re.sub(r"\s", "", tokens[-1])) <= 3 and all(re.fullmatch(rf"[{CJK}]+", t) for t in tokens)


def _split_byline(span: Span) -> tuple[Span, Span]:
    """'株洲日报讯(全媒体记者/X) 1月31日,…' → (byline, body). Body may be empty."""
    m = _BYLINE_PAREN.match(span.text) or _XINHUA.match(span.text)
    if m:
        return span[: m.end()].strip(), span[m.end() :].strip()
    if is_byline(span.text):
        return span, span[len(span) :]
    return span[:0], span


# --- articles -------------------------------------------------------------------------------------


@dataclass
class Draft:
    title: list[Span] = field(default_factory=list)
    subtitle: list[Span] = field(default_factory=list)
    byline: list[Span] = field(default_factory=list)
    paragraphs: list[tuple[Span, int]] = field(default_factory=list)  # (text, source newline after it)
    continued: bool = False  # joins the next line without a paragraph break (hard wrap)
    marker: str = ""  # "上接01版①": continues an article whose headline is on another page

    def add_line(self, span: Span, newline: int, *, wrapped: bool) -> None:
        if not span.text:
            return
        if self.paragraphs and (wrapped or self.continued):
            prev, _ = self.paragraphs[-1]
            self.paragraphs[-1] = (prev + span, newline)
        else:
            self.paragraphs.append((span, newline))
        self.continued = False

    @property
    def has_body(self) -> bool:
        return bool(self.paragraphs)


def _hard_wrapped(units: list[_Unit]) -> bool:
    """PDF text: many short lines that break mid-sentence."""
    if len(units) < 20:
        return False
    return statistics.median(len(u.text) for u in units) < 30


def _clean_paragraph(span: Span, pdf: bool) -> Span:
    span = span.delete(_LETTER_SPACED)
    if pdf:
        span = span.delete(_SPACE_NEAR_CJK)
    return span.strip()


def finish(draft: Draft, source: str, source_text: str, pdf: bool) -> Article | None:
    body = [(_clean_paragraph(p, pdf), nl) for p, nl in draft.paragraphs]
    body = [(p, nl) for p, nl in body if p.text]
    if not body:
        return None
    # Bylines are quotable too ("茶陵县政协委员 刘益华" answers "who suggested…"): each becomes a
    # paragraph of its own, in source order, ended by a real white-space character of the source.
    paragraphs: list[tuple[Span, int]] = []
    for p, nl in sorted(body + [(b.strip(), -1) for b in draft.byline if b.strip().text], key=lambda x: x[0].offs[0]):
        if paragraphs and paragraphs[-1][1] == -1:
            prev, _ = paragraphs.pop()
            gap = [i for i in range(prev.offs[-1] + 1, p.offs[0]) if source_text[i].isspace()]
            if gap:
                paragraphs.append((prev, next((i for i in gap if source_text[i] == "\n"), gap[0])))
            else:
                p = prev + p
        paragraphs.append((p, nl))
    if paragraphs[-1][1] == -1:
        paragraphs[-1] = (paragraphs[-1][0], paragraphs[-1][0].offs[-1] + 1)
    text, offsets = "", []
    for i, (p, _) in enumerate(paragraphs):
        if i:
            # a paragraph break maps to a real white-space character of the source
            text += "\n"
            offsets.append(paragraphs[i - 1][1])
        text += p.text
        offsets.extend(p.offs)

    def join(spans: list[Span]) -> str:
        # headline and byline lines keep their word spaces ("坚持改革破局 加快…"); only letter-spacing goes
        return re.sub(r"\s+", " ", " ".join(s.delete(_LETTER_SPACED).text for s in spans)).strip()

    title = join(draft.title)
    if not title and draft.marker:
        title = f"（{draft.marker}）"
    if not title:
        first = re.split(r"[。！？!?\n]", text, maxsplit=1)[0]
        title = first[:24] + ("…" if len(first) > 24 else "")
    byline = join(draft.byline)
    date = None
    # the dateline: in the byline (新华社北京12月22日电) or opening the first paragraph (1月31日,…)
    m = _DATE.search(byline) or _DATE.search(body[0][0].text[:16])
    if m:
        year, month, day = m.groups()
        date = (f"{year}年" if year else "") + f"{int(month)}月{int(day)}日"
    return Article(
        title=title,
        text=text,
        offsets=tuple(offsets),
        source=source,
        subtitle=join(draft.subtitle),
        byline=byline,
        date=date,
    )


def _segment_headline_first(units: list[_Unit], markdown: bool) -> list[Draft]:
    """Issues whose headlines come before their articles (markdown or bare headline lines)."""
    drafts: list[Draft] = [Draft()]
    prev_bold = False
    i = 0
    while i < len(units):
        unit = units[i]
        cur = drafts[-1]
        text = unit.text
        if markdown:
            if unit.heading and cur.title and not cur.has_body:
                cur.subtitle.append(unit.span)  # '# 主题' then '### 副题'
                i += 1
                continue
            if unit.heading:
                draft = Draft(title=[unit.span])
                # a kicker line printed just above the heading belongs to the new article
                if cur.paragraphs and len(cur.paragraphs[-1][0]) <= 40:
                    last = cur.paragraphs[-1][0]
                    if _headline_like(_Unit(last, 0)):
                        draft.subtitle.append(last)
                        cur.paragraphs.pop()
                drafts.append(draft)
                i += 1
                continue
            block = [unit] if (cur.title and not cur.has_body and _headline_like(unit)) else []
        else:
            block = []
            j = i
            while j < len(units) and (_headline_like(units[j]) or (block and units[j].text.startswith("——"))):
                block.append(units[j])
                j += 1
            nxt = units[j] if j < len(units) else None
            opens = nxt is not None and (is_byline(nxt.text) or bool(_MARKER.match(nxt.text)))
            if block and not (opens or len(block) >= 2 or not any(d.has_body or d.title for d in drafts)):
                block = []  # a single short line inside an article: a section heading
            if block:
                drafts.append(_headline_draft(block))
                i = j
                continue
        if block:  # markdown: short lines right under a heading are its sub-headings
            cur.subtitle.append(unit.span)
            i += 1
            continue
        marker = _MARKER.match(text)
        if marker:
            rest = unit.span[marker.end() :].delete(re.compile(r"^[\s*]+")).strip()
            if cur.has_body or not cur.title:
                cur = Draft()
                drafts.append(cur)
            cur.marker = re.sub(r"[◀\s]", "", marker.group())
            if rest.text:
                cur.add_line(rest, unit.newline, wrapped=False)
            i += 1
            continue
        if unit.bold and not cur.title and cur.marker and len(text) <= 60 and not _ends_sentence(text):
            # the first section heading of a continuation is the best headline this page has
            cur.title.append(unit.span)
            i += 1
            continue
        if cur.has_body and is_byline(text) and not _BYLINE_PAREN.match(text) and len(text) <= 60:
            cur.byline.append(unit.span)  # a photo or editor credit after the text ("…/刘平 摄")
            i += 1
            continue
        if is_byline(text) and (not cur.has_body or _BYLINE_PAREN.match(text)):
            # "株洲日报讯(记者/…) 元旦刚过,…" may also follow a 【理】-style lead-in
            byline, body = _split_byline(unit.span)
            cur.byline.append(byline)
            cur.add_line(body, unit.newline, wrapped=False)
            i += 1
            continue
        if not cur.has_body and text.startswith("——") and cur.title:
            cur.subtitle.append(unit.span)
            i += 1
            continue
        prev = cur.paragraphs[-1][0].text if cur.paragraphs else ""
        # a paragraph cut by a page break ("…社会治理同" / "频共振的探索…") continues on the next line
        # (in bare-headline issues a short unpunctuated line is a section heading, not a cut)
        wrapped = (
            bool(prev)
            and not _ends_sentence(prev)
            and not _is_label(prev)
            and not prev_bold
            and (markdown or not _headline_like(_Unit(cur.paragraphs[-1][0], 0)))
            and not is_byline(text)
            and not _is_label(text)
            and not unit.bold
            and not unit.bullet
        )
        cur.add_line(unit.span, unit.newline, wrapped=wrapped)
        prev_bold = unit.bold
        i += 1
    return drafts


def _headline_draft(block: list[_Unit]) -> Draft:
    """Split a block of headline-ish lines into title, kicker/subtitle and author lines."""
    draft = Draft()
    candidates = [u for u in block if not u.text.startswith("——") and not _is_author(u.text)
                  and not re.fullmatch(r"“[^”]*”", u.text)]
    title = max(candidates or block, key=lambda u: len(u.text))
    for u in block:
        if u is title:
            draft.title.append(u.span)
        elif _is_author(u.text) and u is not block[0]:
            draft.byline.append(u.span)
        else:
            draft.subtitle.append(u.span)
    return draft


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _shared_bigrams(a: str, b: str) -> int:
    return len(_bigrams(a) & _bigrams(b))


def _similarity(a: str, b: str) -> float:
    """Share of ``a``'s character bigrams found in ``b``."""
    ga = _bigrams(a)
    return len(ga & _bigrams(b)) / (len(ga) or 1)


def _segment_headline_last(units: list[_Unit]) -> list[Draft]:
    """PDF pages: each article opens with its byline, and headlines are printed after the articles,
    sometimes several together. Bodies are cut at bylines; each run of headline lines is matched to
    the bodies before it by shared character bigrams (order on the page is not reliable)."""
    n = len(units)
    bylines = [is_byline(u.text) for u in units]
    headline = [False] * n
    for end in [i for i in range(n) if bylines[i]] + [n]:
        j = end - 1
        while j >= 0 and not bylines[j] and _headline_like(units[j]) and not headline[j]:
            headline[j] = True
            j -= 1
    bodies: list[Draft] = []
    pending: list[Draft] = []
    i = 0
    while i < n:
        if headline[i]:
            group = []
            while i < n and headline[i]:
                group.append(units[i])
                i += 1
            _assign_headlines(group, pending)
            pending = []
            continue
        unit = units[i]
        if bylines[i]:
            if not (bodies and not bodies[-1].has_body):
                bodies.append(Draft())
                pending.append(bodies[-1])
            byline, body = _split_byline(unit.span)
            bodies[-1].byline.append(byline)
            bodies[-1].add_line(body, unit.newline, wrapped=False)
            bodies[-1].continued = bool(body.text)
        else:
            if not bodies:
                bodies.append(Draft())
                pending.append(bodies[-1])
            cur = bodies[-1]
            prev = cur.paragraphs[-1][0].text if cur.paragraphs else ""
            cur.add_line(unit.span, unit.newline, wrapped=bool(prev) and not _ends_sentence(prev))
        i += 1
    return bodies


def _assign_headlines(group: list[_Unit], bodies: list[Draft]) -> None:
    if not bodies:
        return
    starts = [k for k in range(1, len(group)) if not group[k].text.startswith("——")]
    texts = ["".join(p.text for p, _ in body.paragraphs) for body in bodies]
    k = min(len(bodies), len(starts) + 1)
    best: tuple[float, list[list[_Unit]], tuple[int, ...]] | None = None
    for cuts in combinations(starts, k - 1):
        bounds = [0, *cuts, len(group)]
        blocks = [group[a:b] for a, b in zip(bounds, bounds[1:])]
        for targets in permutations(range(len(bodies)), k):
            score = sum(_shared_bigrams(u.text, texts[t]) for blk, t in zip(blocks, targets) for u in blk)
            if best is None or score > best[0]:
                best = (score, blocks, targets)
    assert best is not None
    _, blocks, targets = best
    for blk, t in zip(blocks, targets):
        for u in blk:
            (bodies[t].subtitle if u.text.startswith("——") else bodies[t].title).append(u.span)


def _dedupe(drafts: list[Draft]) -> None:
    """Drop repeated paragraphs (layout errors print some twice). When the copies sit in different
    articles, keep the one whose article shares the most vocabulary with it."""
    seen: dict[str, tuple[int, int]] = {}
    drop: set[tuple[int, int]] = set()
    for d, draft in enumerate(drafts):
        for p, (span, _) in enumerate(draft.paragraphs):
            k = key(span.text)
            if len(k) < 12:
                continue
            if k not in seen:
                seen[k] = (d, p)
                continue
            d0, p0 = seen[k]
            if d0 == d:
                drop.add((d, p))
                continue

            def fit(di: int, pi: int) -> float:
                rest = "".join(s.text for j, (s, _) in enumerate(drafts[di].paragraphs) if j != pi)
                rest += "".join(s.text for s in drafts[di].title)
                return _similarity(k, rest)

            if fit(d, p) > fit(d0, p0):
                drop.add((d0, p0))
                seen[k] = (d, p)
            else:
                drop.add((d, p))
    for d, draft in enumerate(drafts):
        draft.paragraphs = [x for p, x in enumerate(draft.paragraphs) if (d, p) not in drop]


def parse_issue(source_text: str, source: str) -> list[Article]:
    """Split one issue's text into articles (see the module docstring for the formats handled)."""
    units = _units(source_text)
    if not units:
        return []
    pdf = _hard_wrapped(units)
    first_is_body = is_byline(units[0].text)
    if pdf and first_is_body:
        drafts = _segment_headline_last(units)
    else:
        drafts = _segment_headline_first(units, markdown=any(u.heading for u in units))
    _dedupe(drafts)
    articles = [finish(d, source, source_text, pdf) for d in drafts]
    return [a for a in articles if a is not None]
