"""One normalization for everything that is *compared* (never for what is shown): full-width and
half-width forms, traditional and simplified characters all meet in the same place, so that
``株洲硬質合金`` finds what ``株洲硬质合金`` finds."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc_purepy import OpenCC

_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms) then traditional → simplified."""
    return _t2s().convert(unicodedata.normalize("NFKC", text))


def language(text: str) -> str:
    """"en" for questions written in Latin script, "zh" otherwise: which language to answer in."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "en" if latin > 2 * cjk and latin >= 3 else "zh"
