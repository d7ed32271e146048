"""Dates in a question: "1月4日…", "2024年3月…", "昨天…", "上个月…", "去年三月…", "on January 4",
"last month". Resolved once (into :attr:`Query.when`) against a reference day — the newest issue's
date, or today when the reader says so ("按今天算", "as of today") — into a span of days that
the answer then keeps to.

A day without a year ("1月4日") matches that month and day in any year: the paper's own datelines
carry no year either. A relative date needs a reference day with a year (a dated issue, or today).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MONTHS_EN = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTH_EN = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_CN_MD = r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})"

_FULL = re.compile(r"(\d{4})\s*年\s*" + _CN_MD + r"\s*月\s*" + _CN_MD + r"\s*[日号]")
_MONTH_DAY = re.compile(_CN_MD + r"\s*月\s*" + _CN_MD + r"\s*[日号]")
_YEAR_MONTH = re.compile(r"(\d{4})\s*年\s*" + _CN_MD + r"\s*月(?!\s*" + _CN_MD + r"\s*[日号])")
_REL_YEAR_MONTH = re.compile(r"(去年|今年|前年)\s*" + _CN_MD + r"\s*月(?!\s*" + _CN_MD + r"\s*[日号])")
_EN_MONTH_DAY = re.compile(r"\b" + _MONTH_EN + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}))?\b", re.I)
_EN_MONTH_YEAR = re.compile(r"\bin\s+" + _MONTH_EN + r"(?:\s+(\d{4}))?\b", re.I)
_RELATIVE = (
    (re.compile(r"前天|\bthe day before yesterday\b", re.I), "day", -2),
    (re.compile(r"昨天|昨日|\byesterday\b", re.I), "day", -1),
    (re.compile(r"今天|\btoday\b", re.I), "day", 0),
    (re.compile(r"上周|上星期|上个星期|上礼拜|\blast week\b", re.I), "week", -1),
    (re.compile(r"本周|这周|这个星期|\bthis week\b", re.I), "week", 0),
    (re.compile(r"上个月|上月|\blast month\b", re.I), "month", -1),
    (re.compile(r"本月|这个月|\bthis month\b", re.I), "month", 0),
)
# "去年"/"今年" alone are not used: a paper's "去年…" means the year before the article, and the
# facts asked about ("去年全市GDP") are printed in this year's articles
_FROM_TODAY = re.compile(r"按今天算|从今天算|相对今天|以今天为准|\b(?:as of|from|relative to) today\b", re.I)


def _num(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CN_NUM.get(text[1:], 0) if len(text) > 1 else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_NUM[tens] * 10 + (_CN_NUM.get(ones, 0) if ones else 0)
    return _CN_NUM.get(text, 0)


@dataclass(frozen=True)
class When:
    """A span of days a question asks about, first and last inclusive, each ``(year, month,
    day)`` with ``year`` None when the question does not fix it. ``phrase`` is how the question
    said it, ``label`` what the answer tells the reader it used ("2024-01-04", "03-01 – 03-31",
    "昨天 → 2024-01-04, relative to the newest issue (2024-01-05)")."""

    first: tuple[int | None, int, int]
    last: tuple[int | None, int, int]
    phrase: str
    label: str

    def holds(self, year: int | None, month: int, day: int) -> bool:
        """Whether a day (its year unknown when None) falls in the span; without a year on either
        side, month and day alone are compared."""
        if self.first[0] is not None and year is not None:
            return self._key(self.first) <= (year, month, day) <= self._key(self.last)
        lo, hi = self.first[1:], self.last[1:]
        return lo <= (month, day) <= hi if lo <= hi else (month, day) >= lo or (month, day) <= hi

    @staticmethod
    def _key(d: tuple[int | None, int, int]) -> tuple[int, int, int]:
        return (d[0] or 0, d[1], d[2])


def _iso(d: tuple[int | None, int, int]) -> str:
    return (f"{d[0]:04d}-" if d[0] else "") + f"{d[1]:02d}-{d[2]:02d}"


def _span_label(first: tuple, last: tuple) -> str:
    return _iso(first) if first == last else f"{_iso(first)} – {_iso(last)}"


def _month_span(year: int | None, month: int) -> tuple[tuple, tuple]:
    if not 1 <= month <= 12:
        raise ValueError(month)
    end = (Date(year if year else 2000, month % 12 + 1, 1) - timedelta(days=1)).day if month < 12 else 31
    return (year, month, 1), (year, month, end)


def _valid_day(year: int | None, month: int, day: int) -> bool:
    try:
        Date(year or 2000, month, day)
        return True
    except ValueError:
        return False


def resolve(question: str, newest: Date | None, newest_label: str | None, today: Date) -> When | None:
    """The span of days ``question`` (normalized) names, or None when it names none. Relative
    dates count from ``newest`` (the newest issue) unless the question says to count from
    ``today``; an absolute day or month is taken as written."""
    for pattern in (_FULL, _EN_MONTH_DAY):
        m = pattern.search(question)
        if m:
            if pattern is _FULL:
                y, mo, d = int(m.group(1)), _num(m.group(2)), _num(m.group(3))
            else:
                mo, d, y = _MONTHS_EN.get(_full_month(m.group(1)), 0), int(m.group(2)), m.group(3)
                y = int(y) if y else None
            if _valid_day(y, mo, d):
                return When((y, mo, d), (y, mo, d), m.group(), _iso((y, mo, d)))
    m = _MONTH_DAY.search(question)
    if m and _valid_day(None, _num(m.group(1)), _num(m.group(2))):
        day = (None, _num(m.group(1)), _num(m.group(2)))
        return When(day, day, m.group(), _iso(day))
    for pattern in (_YEAR_MONTH, _EN_MONTH_YEAR):
        m = pattern.search(question)
        if m:
            if pattern is _YEAR_MONTH:
                y, mo = int(m.group(1)), _num(m.group(2))
            else:
                mo, y = _MONTHS_EN.get(_full_month(m.group(1)), 0), int(m.group(2)) if m.group(2) else None
            if 1 <= mo <= 12:
                first, last = _month_span(y, mo)
                return When(first, last, m.group(), _span_label(first, last))
    from_today = bool(_FROM_TODAY.search(question))
    question = _FROM_TODAY.sub(" ", question)  # "按今天算" is not itself "今天"
    if from_today:
        ref, ref_label = today, f"today ({today.isoformat()})"
    else:
        ref, ref_label = newest, f"the newest issue ({newest_label})"
    m = _REL_YEAR_MONTH.search(question)
    if m:
        if ref is None:
            return None
        shift = {"去年": -1, "今年": 0, "前年": -2}[m.group(1)]
        mo = _num(m.group(2))
        if not 1 <= mo <= 12:
            return None
        first, last = _month_span(ref.year + shift, mo)
        return When(first, last, m.group(), f"{m.group()} → {_span_label(first, last)}, relative to {ref_label}")
    for pattern, unit, shift in _RELATIVE:
        m = pattern.search(question)
        if not m:
            continue
        if ref is None:
            return None
        if unit == "day":
            d = ref + timedelta(days=shift)
            first = last = (d.year, d.month, d.day)
        elif unit == "week":
            monday = ref - timedelta(days=ref.weekday()) + timedelta(weeks=shift)
            sunday = monday + timedelta(days=6)
            first, last = (monday.year, monday.month, monday.day), (sunday.year, sunday.month, sunday.day)
        else:
            y, mo = divmod(ref.year * 12 + ref.month - 1 + shift, 12)
            first, last = _month_span(y, mo + 1)
        return When(first, last, m.group(), f"{m.group()} → {_span_label(first, last)}, relative to {ref_label}")
    return None


def _full_month(name: str) -> str:
    name = name.lower().rstrip(".")
    return next((m for m in _MONTHS_EN if m.startswith(name[:3])), name)
