"""Find the corpus files, decode them, and hand each to its parser; one bad file never stops the rest.

Issue files (``.txt``, ``.md``) go to :mod:`retrieval.corpus.issues`, JSONL records to
:mod:`retrieval.corpus.records`. What cannot be read is reported by name in ``Corpus.problems``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.corpus.article import Article
from retrieval.corpus.dates import IssueDate, blank_front_matter, issue_date, read_sidecars
from retrieval.corpus.issues import parse_issue
from retrieval.corpus.records import parse_records
from retrieval.errors import IngestError
from retrieval.text import CJK_RUN, normalize

ISSUE_SUFFIXES = {".txt", ".md"}
RECORD_SUFFIXES = {".jsonl"}


@dataclass
class Corpus:
    """What ingestion produced: the articles, the text of every source (for verbatim checks), the
    content hash of every file read (by source name) and the problems met on the way — one bad file
    is reported here and never stops the others."""

    articles: list[Article] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    # every issue file (not JSONL records) by citation name, with its publication date if known
    issue_dates: dict[str, IssueDate | None] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceFile:
    """A corpus file and the name it is cited by: its path relative to the corpus root it was found
    under (``2024-01/page01.txt``), so two files of the same name in two folders never collide."""

    path: Path
    name: str


def content_hash(data: bytes) -> str:
    """What identifies a file's content (BLAKE2b, 128 bits): the same bytes in another folder are
    the same file, an edited file is another one."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _common_word_share(text: str) -> float:
    """How much of ``text``'s Chinese reads as dictionary words: right decodings of Chinese score
    high, the same bytes read in the wrong GB/Big5 code page score low."""
    import jieba

    sample = normalize("".join(CJK_RUN.findall(text[:4000])))
    if not sample:
        return 0.0
    words = [w for w in jieba.lcut(sample, HMM=False) if len(w) >= 2]
    return sum(map(len, words)) / len(sample)


def _decode(data: bytes, name: str) -> str:
    """UTF-8 first (with or without BOM), then the GB family common in mainland archives, or Big5
    (Taiwan, Hong Kong) when it reads as Chinese and GB does not."""
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
    except UnicodeDecodeError as utf8_error:
        prefix = data[: utf8_error.start]
        if sum(1 for b in prefix if b >= 0xC0) >= 8:
            # many valid multi-byte UTF-8 sequences before the bad byte: a damaged UTF-8 file, not GBK
            line = prefix.count(b"\n") + 1
            raise IngestError(
                f"{name}: not valid UTF-8 at byte {utf8_error.start} (line {line}): "
                f"{data[utf8_error.start:utf8_error.start + 4]!r}; fix or re-save it as UTF-8"
            ) from utf8_error
        decoded = {}
        for codec in ("gb18030", "big5"):
            try:
                decoded[codec] = data.decode(codec)
            except UnicodeDecodeError:
                pass
        if not decoded:
            raise IngestError(
                f"{name}: neither UTF-8 (invalid byte at position {utf8_error.start}) nor GB18030/GBK "
                "nor Big5; re-save it as UTF-8"
            ) from utf8_error
        text = max(decoded.values(), key=_common_word_share)
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(3, len(text) // 200):
        raise IngestError(f"{name}: looks binary ({controls} control characters), skipped")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """The files to ingest under ``paths`` in a stable order, each with its citation name, and the
    paths that could not be searched (missing, a symlink loop…): those are reported and skipped,
    unless no path could be searched at all."""
    found: list[SourceFile] = []
    problems: list[str] = []
    names: set[str] = set()
    for path in paths:
        try:
            if path.is_dir():
                files = [
                    (p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*"))
                    if p.suffix.lower() in ISSUE_SUFFIXES | RECORD_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                    and p.is_file()
                ]
            elif path.is_file():
                files = [(path, path.name)]
            elif path.is_symlink():
                raise OSError(f"{path}: a broken symbolic link (or a loop of them)")
            else:
                raise OSError(f"{path}: no such file or directory")
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop inside rglob
            text = str(exc) if str(path) in str(exc) else f"{path}: cannot be searched ({exc})"
            problems.append(text + ", skipped")
            continue
        for file, name in files:
            if name in names:  # the same relative name under two roots: cite it with its root
                name = f"{path.name}/{name}"
            names.add(name)
            found.append(SourceFile(file, name))
    if problems and len(problems) == len(paths):
        raise IngestError("; ".join(problems))
    return found, problems


def read_file(file: SourceFile) -> tuple[str, str]:
    """The decoded text of ``file`` and the hash of its bytes, read once; IngestError says why not."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{file.name}: cannot be read ({exc.strerror or exc}), skipped") from exc
    return _decode(data, file.name), content_hash(data)


def ingest(
    paths: list[Path],
    *,
    progress: Callable[[int, int], None] | None = None,
    known: Callable[[str, str], list[Article] | None] | None = None,
) -> Corpus:
    """Read every issue and record file under ``paths``; problems are collected, not raised.
    ``progress(files_done, files_total)`` is called after each file (for a progress bar).
    ``known(content_hash, name)`` may return the articles an earlier build parsed from the same
    bytes (cited by ``name``): the issue file is then only read and hashed, not parsed again."""
    corpus = Corpus()
    files, corpus.problems = discover(paths)
    sidecars, problems = read_sidecars(paths)
    corpus.problems.extend(problems)
    for done, file in enumerate(files, 1):
        try:
            if file.path.suffix.lower() not in ISSUE_SUFFIXES | RECORD_SUFFIXES:
                raise IngestError(f"{file.name}: not a .txt, .md or .jsonl file, skipped")
            text, digest = read_file(file)
        except IngestError as exc:
            corpus.problems.append(str(exc))
            continue
        finally:
            if progress:
                progress(done, len(files))
        corpus.hashes[file.name] = digest
        records = file.path.suffix.lower() in RECORD_SUFFIXES
        # (records are parsed again: cheap, and each carries its own source text)
        reused = known(digest, file.name) if known and not records else None
        if records:
            articles, sources, problems = parse_records(text, file.name)
            corpus.problems.extend(problems)
            corpus.sources.update(sources)
        else:
            parsed, front = blank_front_matter(text)  # same length: offsets still point into text
            articles = reused if reused is not None else parse_issue(parsed, file.name)
            corpus.sources[file.name] = text
            if articles:
                # from the articles and the sidecar as they are now: an edited issues.csv redates
                # an issue whose file did not change
                corpus.issue_dates[file.name] = issue_date(file.name, articles, text, sidecars.get(file.name), front)
        if not articles:
            corpus.problems.append(f"{file.name}: no article text found, skipped")
        corpus.articles.extend(articles)
    return corpus
