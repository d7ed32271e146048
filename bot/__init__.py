"""Thin front ends over :class:`retrieval.service.AnswerService`: CLI, REPL, Telegram."""
