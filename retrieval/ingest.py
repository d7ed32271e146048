"""Turn newspaper issue files and JSONL records into articles.

Archives arrive messy: markdown headings in some issues, bare headline lines in others, PDF text
with hard line breaks and headlines printed *after* their article, page-break cuts, duplicated
paragraphs, continuation markers and stray HTML. Everything here only ever *deletes* characters from
the original (markup, wrap line breaks, letter-spacing): an article's text is a subsequence of its
source, and ``Article.offsets`` maps every character back to the source, so any quote cut from an
article is verbatim by construction.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from itertools import combinations, permutations
from pathlib import Path

from retrieval.errors import IngestError

ISSUE_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl"}

# --- character classes -------------------------------------------------------------------------

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef“”‘’—…·"
_SENTENCE_END = set("。！？!?…；;")
_CLOSERS = set("”’\"』」）)】》")
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
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,40}>")
_BLOCK_TAG = re.compile(r"</?(?!(?:sub|sup|b|i|u|em|strong|span|small|font)\b)[A-Za-z][^<>]{0,40}>", re.I)
_LETTER_SPACED = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}]) (?=[{_CJK}{_CJK_PUNCT}] [{_CJK}{_CJK_PUNCT}])|(?<=[{_CJK}{_CJK_PUNCT}] [{_CJK}{_CJK_PUNCT}]) (?=[{_CJK}{_CJK_PUNCT}])")
_SPACE_NEAR_CJK = re.compile(rf"[ \t\u3000]+(?=[{_CJK}{_CJK_PUNCT}])|(?<=[{_CJK}{_CJK_PUNCT}])[ \t\u3000]+")


@dataclass(frozen=True)
class Article:
    """One article. ``text`` holds paragraphs separated by ``\\n``; ``offsets[i]`` is the position in
    the source text of ``text[i]``. ``date`` is the dateline date as printed (no year is invented)."""

    title: str
    text: str
    offsets: tuple[int, ...]
    source: str
    subtitle: str = ""
    byline: str = ""
    date: str | None = None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source range covering ``text[start:end]``, for citing where a quote came from."""
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Corpus:
    """What ingestion produced: the articles, the text of every source (for verbatim checks) and
    the problems met on the way — one bad file is reported here and never stops the others."""

    articles: list[Article] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


# --- text with offsets ------------------------------------------------------------------------


@dataclass
class _Span:
    """A piece of source text that only ever loses characters, remembering where each one was."""

    text: str
    offs: list[int]

    def delete(self, pattern: re.Pattern[str]) -> _Span:
        keep = [True] * len(self.text)
        for m in pattern.finditer(self.text):
            for i in range(m.start(), m.end()):
                keep[i] = False
        return _Span(
            "".join(c for c, k in zip(self.text, keep) if k),
            [o for o, k in zip(self.offs, keep) if k],
        )

    def strip(self) -> _Span:
        start, end = 0, len(self.text)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return self[start:end]

    def __getitem__(self, s: slice) -> _Span:
        return _Span(self.text[s], self.offs[s])

    def __add__(self, other: _Span) -> _Span:
        return _Span(self.text + other.text, self.offs + other.offs)

    def __len__(self) -> int:
        return len(self.text)


_MARKUP = re.compile(r"^#{1,6}\s+|\*\*|^[-*]\s+|" + _TAG.pattern)


@dataclass
class _Unit:
    """One non-empty source line, cleaned of markup, with what kind of line it looks like."""

    span: _Span
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
        span = _Span(line, list(range(pos, end))).strip()
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
    while text and text[-1] in _CLOSERS:
        text = text[:-1]
    return bool(text) and text[-1] in _SENTENCE_END


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
    return len(re.sub(r"\s", "", tokens[-1])) <= 3 and all(re.fullmatch(rf"[{_CJK}]+", t) for t in tokens)


def _split_byline(span: _Span) -> tuple[_Span, _Span]:
    """'株洲日报讯(全媒体记者/X) 1月31日,…' → (byline, body). Body may be empty."""
    m = _BYLINE_PAREN.match(span.text) or _XINHUA.match(span.text)
    if m:
        return span[: m.end()].strip(), span[m.end() :].strip()
    if is_byline(span.text):
        return span, span[len(span) :]
    return span[:0], span


# --- articles -------------------------------------------------------------------------------------


@dataclass
class _Draft:
    title: list[_Span] = field(default_factory=list)
    subtitle: list[_Span] = field(default_factory=list)
    byline: list[_Span] = field(default_factory=list)
    paragraphs: list[tuple[_Span, int]] = field(default_factory=list)  # (text, source newline after it)
    continued: bool = False  # joins the next line without a paragraph break (hard wrap)
    marker: str = ""  # "上接01版①": continues an article whose headline is on another page

    def add_line(self, span: _Span, newline: int, *, wrapped: bool) -> None:
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


def _decode(data: bytes, name: str) -> str:
    """UTF-8 first (with or without BOM), then the GB family common in Chinese archives."""
    if not data.strip():
        raise IngestError(f"{name}: empty file, skipped")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})") from exc
    if b"\x00" in data:
        raise IngestError(f"{name}: looks binary (contains NUL bytes), skipped")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{name}: neither UTF-8 nor GB18030/GBK (invalid byte at position {exc.start}); "
                "re-save it as UTF-8"
            ) from exc
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(3, len(text) // 200):
        raise IngestError(f"{name}: looks binary ({controls} control characters), skipped")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _hard_wrapped(units: list[_Unit]) -> bool:
    """PDF text: many short lines that break mid-sentence."""
    if len(units) < 20:
        return False
    return statistics.median(len(u.text) for u in units) < 30


def _clean_paragraph(span: _Span, pdf: bool) -> _Span:
    span = span.delete(_LETTER_SPACED)
    if pdf:
        span = span.delete(_SPACE_NEAR_CJK)
    return span.strip()


def _finish(draft: _Draft, source: str, source_text: str, pdf: bool) -> Article | None:
    body = [(_clean_paragraph(p, pdf), nl) for p, nl in draft.paragraphs]
    body = [(p, nl) for p, nl in body if p.text]
    if not body:
        return None
    # Bylines are quotable too ("茶陵县政协委员 刘益华" answers "who suggested…"): each becomes a
    # paragraph of its own, in source order, ended by a real white-space character of the source.
    paragraphs: list[tuple[_Span, int]] = []
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

    def join(spans: list[_Span]) -> str:
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


def _segment_headline_first(units: list[_Unit], markdown: bool) -> list[_Draft]:
    """Issues whose headlines come before their articles (markdown or bare headline lines)."""
    drafts: list[_Draft] = [_Draft()]
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
                draft = _Draft(title=[unit.span])
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
                cur = _Draft()
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


def _headline_draft(block: list[_Unit]) -> _Draft:
    """Split a block of headline-ish lines into title, kicker/subtitle and author lines."""
    draft = _Draft()
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


def _segment_headline_last(units: list[_Unit]) -> list[_Draft]:
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
    bodies: list[_Draft] = []
    pending: list[_Draft] = []
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
                bodies.append(_Draft())
                pending.append(bodies[-1])
            byline, body = _split_byline(unit.span)
            bodies[-1].byline.append(byline)
            bodies[-1].add_line(body, unit.newline, wrapped=False)
            bodies[-1].continued = bool(body.text)
        else:
            if not bodies:
                bodies.append(_Draft())
                pending.append(bodies[-1])
            cur = bodies[-1]
            prev = cur.paragraphs[-1][0].text if cur.paragraphs else ""
            cur.add_line(unit.span, unit.newline, wrapped=bool(prev) and not _ends_sentence(prev))
        i += 1
    return bodies


def _assign_headlines(group: list[_Unit], bodies: list[_Draft]) -> None:
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


def _dedupe(drafts: list[_Draft]) -> None:
    """Drop repeated paragraphs (layout errors print some twice). When the copies sit in different
    articles, keep the one whose article shares the most vocabulary with it."""
    key = lambda s: re.sub(r"\s", "", unicodedata.normalize("NFKC", s))  # noqa: E731
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
    articles = [_finish(d, source, source_text, pdf) for d in drafts]
    return [a for a in articles if a is not None]


def parse_records(source_text: str, name: str) -> tuple[list[Article], dict[str, str], list[str]]:
    """JSONL records ``{"title", "text", "source"?, "date"?}``; a bad line is reported, not fatal."""
    articles: list[Article] = []
    sources: dict[str, str] = {}
    problems: list[str] = []
    for lineno, line in enumerate(source_text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
            title, text = rec.get("title"), rec.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ValueError('missing or empty "text"')
            if title is not None and not isinstance(title, str):
                raise ValueError('"title" must be a string')
        except ValueError as exc:
            problems.append(f"{name}:{lineno}: skipped record ({exc})")
            continue
        source = str(rec.get("source") or f"{name}:{lineno}")
        span = _Span(text, list(range(len(text))))
        draft = _Draft(title=[_Span(title or "", [0] * len(title or ""))])
        # Inline tags (<sub>, <b>…) are dropped in place; any other tag (<br>, <p>, <nowiki>…)
        # ends a paragraph, so no quote ever runs across markup the reader would not see.
        for m in re.finditer(r"[^\n]+", text):
            pieces = _BLOCK_TAG.split(m.group())
            pos = m.start()
            for piece in pieces:
                part = span[pos : pos + len(piece)].delete(_TAG).strip()
                draft.add_line(part, pos + len(piece), wrapped=False)
                pos += len(piece)
                tag = _BLOCK_TAG.match(text, pos)
                pos = tag.end() if tag else pos
        article = _finish(draft, source, text, pdf=False)
        if article is None:
            continue
        if rec.get("date"):
            article = Article(**{**article.__dict__, "date": str(rec["date"])})
        articles.append(article)
        sources[source] = text
    return articles, sources, problems


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest under the given paths, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in ISSUE_SUFFIXES | RECORD_SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or directory")
    return found


def ingest(paths: list[Path]) -> Corpus:
    """Read every issue and record file under ``paths``; problems are collected, not raised."""
    corpus = Corpus()
    for path in discover(paths):
        corpus.files.append(path)
        suffix = path.suffix.lower()
        if suffix not in ISSUE_SUFFIXES | RECORD_SUFFIXES:
            corpus.problems.append(f"{path.name}: not a .txt, .md or .jsonl file, skipped")
            continue
        try:
            text = _decode(path.read_bytes(), path.name)
        except IngestError as exc:
            corpus.problems.append(str(exc))
            continue
        except OSError as exc:
            corpus.problems.append(f"{path.name}: cannot be read ({exc.strerror})")
            continue
        if suffix in RECORD_SUFFIXES:
            articles, sources, problems = parse_records(text, path.name)
            corpus.problems.extend(problems)
            corpus.sources.update(sources)
        else:
            articles = parse_issue(text, path.name)
            corpus.sources[path.name] = text
        if not articles:
            corpus.problems.append(f"{path.name}: no article text found, skipped")
        corpus.articles.extend(articles)
    return corpus
