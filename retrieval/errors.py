"""Errors a user can act on. Their messages are shown as they are, so they say what to do."""


class NewsqaError(Exception):
    """Base class: front ends print ``str(error)`` and exit non-zero (or reply with it)."""


class QuestionError(NewsqaError, ValueError):
    """The question cannot be asked as it is (empty, too long, nothing but symbols)."""


class IndexMissingError(NewsqaError):
    """No index has been built at the configured location."""


class IndexBusyError(NewsqaError):
    """Another build holds the index's lock; the message names it."""


class StaleIndexError(NewsqaError):
    """The index on disk was built with another model or chunker, or is damaged."""


class ModelUnavailableError(NewsqaError):
    """The sentence model could be found neither locally, on the hub, nor from PyPI."""


class IngestError(NewsqaError):
    """One input file could not be read; ingestion reports it and goes on with the others."""


class LookupFailed(NewsqaError, LookupError):
    """An issue or an article asked for by name or number does not exist; says what does."""
