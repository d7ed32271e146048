"""Text rules shared by every stage: what is *compared* is normalized one way, everywhere.

``normalize`` folds full-width and half-width forms, traditional and simplified characters into one
place, so that ``株洲硬質合金`` finds what ``株洲硬质合金`` finds; ``key`` is the comparison key of the
evaluation rule (NFKC, no white space) that says whether two texts are "the same words"; ``language``
is the one rule for which language a question is in. What is *shown* is never normalized.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc_purepy import OpenCC

# Han ideographs: extension A, the unified block, compatibility ideographs.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# CJK punctuation and full-width forms, with the curly quotes, dashes and dots Chinese text uses.
CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef“”‘’—…·"
CJK_CHAR = re.compile(f"[{CJK}]")
CJK_RUN = re.compile(f"[{CJK}]+")
# Marks that end a sentence, and the closing quotes or brackets that stay with it.
SENTENCE_END = "。！？!?…"
CLOSERS = "”’\"』」）)】》"

_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms) then traditional → simplified."""
    return _t2s().convert(unicodedata.normalize("NFKC", text))


def key(text: str) -> str:
    """NFKC with every white-space character removed: two texts with the same key print the same
    words (the evaluation rule of ``shared/eval/README.md``; also how duplicates are found)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def language(text: str) -> str:
    """"en" for text written in Latin script, "zh" otherwise: which language to answer in."""
    cjk = len(CJK_CHAR.findall(text))
    latin = len(_LATIN.findall(text))
    return "en" if latin > 2 * cjk and latin >= 3 else "zh"
