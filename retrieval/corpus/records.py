"""JSONL records ``{"title", "text", "source"?, "date"?}``: articles that arrive already split."""

from __future__ import annotations

import json
import re

from retrieval.corpus.article import Article, Span
from retrieval.corpus.issues import BLOCK_TAG, TAG, Draft, finish


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
        span = Span(text, list(range(len(text))))
        draft = Draft(title=[Span(title or "", [0] * len(title or ""))])
        # Inline tags (<sub>, <b>…) are dropped in place; any other tag (<br>, <p>, <nowiki>…)
        # ends a paragraph, so no quote ever runs across markup the reader would not see.
        for m in re.finditer(r"[^\n]+", text):
            pieces = BLOCK_TAG.split(m.group())
            pos = m.start()
            for piece in pieces:
                part = span[pos : pos + len(piece)].delete(TAG).strip()
                draft.add_line(part, pos + len(piece), wrapped=False)
                pos += len(piece)
                tag = BLOCK_TAG.match(text, pos)
                pos = tag.end() if tag else pos
        article = finish(draft, source, text, pdf=False)
        if article is None:
            continue
        if rec.get("date"):
            article = Article(**{**article.__dict__, "date": str(rec["date"])})
        articles.append(article)
        sources[source] = text
    return articles, sources, problems
