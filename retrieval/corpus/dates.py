"""When each issue was published: from its file name, from a sidecar, or inferred from its text.

A reader thinks in issues and dates ("1月4日的报纸"), but the archive's files need not say when
they appeared (the seeds are named ``000_76e9….txt``). The date is taken, in this order, from:

1. the file name, when it holds one: ``2024-01-05``, ``2024_01_05``, ``20240105`` anywhere in the
   path relative to the corpus root (``2024/01/05.txt`` too);
2. a sidecar: an ``issues.csv`` beside the files (``file,date`` lines, ``date`` as ``2024-01-05``),
   or a front-matter line opening the issue file itself (``date: 2024-01-05``);
3. the text: the newest dateline of its articles (``1月4日，…``, ``新华社北京12月22日电``) with a
   year the text itself states (a full ``2024年1月4日`` matching a dateline, else the newest year
   the issue names outside plans and targets such as ``到2025年``). Such a date is marked
   ``inferred``; when the text states no year the date has none — a year is never invented.

Article dates (the datelines) are not touched: they stay as printed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

from retrieval.corpus.article import Article

SIDECAR = "issues.csv"

_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_./]?(0[1-9]|1[0-2])[-_./]?(0[1-9]|[12]\d|3[01])(?!\d)")
_FRONT_MATTER = re.compile(r"\A\ufeff?[ \t]*(?:---[ \t]*\n)?[ \t]*date[ \t]*[:：][ \t]*(\S+)[ \t]*\n(?:[ \t]*---[ \t]*\n)?", re.I)
_ISO = re.compile(r"((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})")
_DATELINE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_FULL_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# a year the text names, unless it is a plan or a target ("到2025年", "2024年计划（草案）")
_YEAR = re.compile(r"(?<![到至争计将迄])((?:19|20)\d\d)\s*年(?!\s*前|[^。，,；]{0,8}?(?:计划|预算|目标|规划))")


@dataclass(frozen=True)
class IssueDate:
    """A publication date. ``year`` is None when nothing states it (then only month and day are
    known); ``how`` says where the date came from: "name", "sidecar", "front matter" or
    "inferred" (from the datelines inside, which front ends must show as such)."""

    year: int | None
    month: int
    day: int
    how: str

    @property
    def inferred(self) -> bool:
        return self.how == "inferred"

    def as_date(self) -> Date | None:
        try:
            return Date(self.year, self.month, self.day) if self.year else None
        except ValueError:
            return None

    def iso(self) -> str:
        """``2024-01-05``, or ``01-05`` when the year is unknown."""
        md = f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{md}" if self.year else md

    def label(self) -> str:
        """What a reader sees: ``2024-01-05``, ``2024-01-05 (inferred)``,
        ``01-05 (inferred, year unknown)``."""
        notes = (["inferred"] if self.inferred else []) + ([] if self.year else ["year unknown"])
        return self.iso() + (f" ({', '.join(notes)})" if notes else "")

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month, self.day)

    def to_json(self) -> dict:
        return {"year": self.year, "month": self.month, "day": self.day, "how": self.how}

    @classmethod
    def from_json(cls, data: dict | None) -> IssueDate | None:
        return None if not data else cls(data.get("year"), int(data["month"]), int(data["day"]), str(data["how"]))


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        Date(year or 2000, month, day)  # 2000 is a leap year: 2月29日 without a year is fine
        return True
    except ValueError:
        return False


def from_name(name: str) -> IssueDate | None:
    """The date a file's path spells (``2024-01-05.txt``, ``20240105_p1.md``, ``2024/01/05.txt``)."""
    for m in _NAME_DATE.finditer(name):
        y, mo, d = map(int, m.groups())
        if _valid(y, mo, d):
            return IssueDate(y, mo, d, "name")
    return None


def parse_iso(text: str, how: str) -> IssueDate | None:
    """``2024-01-05`` (or ``20240105``) as a date; None when it is not one."""
    m = _ISO.fullmatch(text.strip()) or _NAME_DATE.fullmatch(text.strip())
    if not m:
        return None
    y, mo, d = map(int, m.groups())
    return IssueDate(y, mo, d, how) if _valid(y, mo, d) else None


def front_matter(text: str) -> tuple[IssueDate | None, int]:
    """A ``date: 2024-01-05`` line (optionally between ``---`` lines) opening an issue file: the
    date and how many characters the block takes (which the parser must not read as text)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, 0
    parsed = parse_iso(m.group(1), "front matter")
    return (parsed, m.end()) if parsed else (None, 0)


def blank_front_matter(text: str) -> tuple[str, IssueDate | None]:
    """The text with its front-matter block replaced by spaces (same length, line breaks kept, so
    every article offset still points into the file as it is) and the date it gave."""
    found, end = front_matter(text)
    if not end:
        return text, None
    return re.sub(r"[^\n]", " ", text[:end]) + text[end:], found


def read_sidecars(paths: list[Path]) -> tuple[dict[str, IssueDate], list[str]]:
    """``issues.csv`` files at the corpus roots: {file name as cited: date}, and the problems met
    (a bad line is reported and skipped, like a bad record)."""
    dates: dict[str, IssueDate] = {}
    problems: list[str] = []
    for root in paths:
        sidecar = root / SIDECAR if root.is_dir() else None
        if sidecar is None or not sidecar.is_file():
            continue
        try:
            rows = list(csv.reader(io.StringIO(sidecar.read_text(encoding="utf-8-sig"))))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{sidecar}: cannot be read ({exc}), skipped")
            continue
        for lineno, row in enumerate(rows, 1):
            if not row or row[0].strip().startswith("#") or [c.strip().lower() for c in row[:2]] == ["file", "date"]:
                continue
            parsed = parse_iso(row[1], "sidecar") if len(row) >= 2 else None
            if parsed is None:
                problems.append(f"{sidecar}:{lineno}: expected 'file,YYYY-MM-DD', skipped")
                continue
            dates[row[0].strip()] = parsed
    return dates, problems


def infer(articles: list[Article], text: str) -> IssueDate | None:
    """The newest dateline of ``articles`` with a year ``text`` states (see the module docstring),
    marked inferred; None when no article has a dateline."""
    days: list[tuple[int | None, int, int]] = []
    for a in articles:
        m = _DATELINE.fullmatch(a.date or "")
        if m and _valid(None, int(m.group(2)), int(m.group(3))):
            days.append((int(m.group(1)) if m.group(1) else None, int(m.group(2)), int(m.group(3))))
    if not days:
        return None
    months = {d[1] for d in days}
    # an issue of early January reports late December too: then January is the newer
    late = (lambda d: (d[1] + 12 if d[1] <= 2 else d[1], d[2])) if 12 in months and 1 in months else (lambda d: (d[1], d[2]))
    year, month, day = max(days, key=late)
    if year is None:
        full = {(int(y), int(mo), int(d)) for y, mo, d in _FULL_DATE.findall(text)}
        exact = sorted(y for y, mo, d in full if (mo, d) == (month, day))
        if exact:
            year = exact[-1]
        else:
            stated = [int(y) for y in _YEAR.findall(text)]
            year = max(stated) if stated else None
    return IssueDate(year, month, day, "inferred")


def issue_date(name: str, articles: list[Article], text: str, sidecar: IssueDate | None,
               front: IssueDate | None) -> IssueDate | None:
    """One issue's date by the rule of the module docstring."""
    return from_name(name) or sidecar or front or infer(articles, text)
