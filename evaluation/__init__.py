"""Scoring newsqa on question files: a consumer of the library, like bot/."""
