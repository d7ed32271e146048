"""newsqa's retrieval library: ingest the paper, index it, answer with verbatim quotes.

Front ends (``bot/``, ``evaluation/``) talk to :class:`AnswerService` and read what it returns
(:class:`Answer`, :class:`Passage`, :class:`CorpusInfo`); nothing else of the library is theirs to
call. The stages live in subpackages: ``corpus`` (files → articles → sentences and chunks),
``model`` (the sentence model), ``index`` (what is written to disk) and ``ranking`` (question →
ranked sentences → quotes).

The names are imported lazily: ``from retrieval import Settings`` must not pay for torch and FAISS.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS = {
    "AnswerService": "retrieval.service",
    "build": "retrieval.service",
    "BuildReport": "retrieval.index.build",
    "Answer": "retrieval.answers",
    "Passage": "retrieval.answers",
    "CorpusInfo": "retrieval.answers",
    "Settings": "retrieval.settings",
    "language": "retrieval.text",
    "NewsqaError": "retrieval.errors",
    "QuestionError": "retrieval.errors",
    "IndexMissingError": "retrieval.errors",
    "IndexBusyError": "retrieval.errors",
    "StaleIndexError": "retrieval.errors",
    "ModelUnavailableError": "retrieval.errors",
    "IngestError": "retrieval.errors",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from retrieval.answers import Answer, CorpusInfo, Passage
    from retrieval.errors import (
        IndexBusyError,
        IndexMissingError,
        IngestError,
        ModelUnavailableError,
        NewsqaError,
        QuestionError,
        StaleIndexError,
    )
    from retrieval.index.build import BuildReport
    from retrieval.service import AnswerService, build
    from retrieval.settings import Settings
    from retrieval.text import language


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
