"""Question → ranked sentences → quotes: where an answer is chosen."""
