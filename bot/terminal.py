"""Text bound for a terminal: the paper's and the reader's text may hold control sequences.

An ESC sequence in an article (``\\x1b]0;…`` retitles the window, ``\\x1b[8m`` hides what follows)
or in a question would be obeyed by the terminal if printed raw. Everything the CLI and the REPL
print goes through :func:`safe`; JSON output stays exact (``json.dumps`` escapes controls itself).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides that reorder a line
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` with every control character a terminal would act on removed (newline and tab kept)."""
    return _CONTROL.sub("", text)
