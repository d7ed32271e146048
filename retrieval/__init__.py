"""newsqa's retrieval library: ingest the paper, index it, answer with verbatim quotes.

Front ends (``bot/``) talk to :class:`retrieval.service.AnswerService` and nothing else.
"""
