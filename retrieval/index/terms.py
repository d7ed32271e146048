"""Which of a question's keywords a sentence contains, weighted by how rare they are.

Presence is tested on the normalized text itself, not on tokens, so the question's segmentation and
the article's never have to agree ("中车株洲所在" vs "中车株洲所"). English questions contribute their
Latin terms and the Chinese names their pinyin words spell ("Xujiatang" → 徐家塘), found by reading
the corpus itself in pinyin — no translation model involved.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from functools import lru_cache

import numpy as np
from pypinyin import lazy_pinyin

from retrieval.text import CJK_CHAR, normalize

_NAME_WORD = re.compile(r"\b[A-Z][a-z]{3,}\b")
_SEP = "\x00"


class TermIndex:
    """Normalized sentence texts (with their article titles) laid end to end for fast counting."""

    def __init__(self, sentences: list[str], contexts: list[str], articles: list[int], headlines: list[str]) -> None:
        self.articles = articles  # the article of each sentence
        self.sentences = [normalize(s).lower() for s in sentences]
        self.contexts = [normalize(c).lower() for c in contexts]
        self.headlines = [normalize(h).lower() for h in headlines]  # by article
        self._text = _SEP.join(self.sentences)
        self._starts = np.cumsum([0] + [len(s) + 1 for s in self.sentences[:-1]]).tolist()
        self._pinyin: tuple[str, list[int]] | None = None

    def __len__(self) -> int:
        return len(self.sentences)

    @lru_cache(maxsize=4096)
    def document_frequency(self, term: str) -> int:
        ids = {bisect_right(self._starts, m.start()) - 1 for m in re.finditer(re.escape(term), self._text)}
        return len(ids)

    def idf(self, term: str) -> float:
        n, df = len(self), self.document_frequency(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, terms: tuple[str, ...], weights: tuple[float, ...], ids: np.ndarray, *, where: str) -> np.ndarray:
        """Share of the keyword weight (``weights``: the terms' IDF, computed once per question)
        present in each of ``ids``: in the sentence, its two neighbours and its headline
        (``where="window"``: questions often restate the sentence before the answer, and a term of
        the headline — "蓝线裸顶鲷的体长…" in the article 蓝线裸顶鲷 — says which article, so it
        counts for every sentence of it and the other terms pick the sentence); or in its headline
        and chunk (``where="context"``)."""
        if not terms:
            return np.zeros(len(ids), dtype=np.float32)
        w = np.asarray(weights, dtype=np.float32)
        texts = [self._text_of(int(i), where) for i in ids]
        present = np.asarray([[t in text for t in terms] for text in texts], dtype=np.float32)
        return present @ w / w.sum()

    def _text_of(self, i: int, where: str) -> str:
        if where == "context":
            return self.contexts[i]
        same = [j for j in (i - 1, i, i + 1) if 0 <= j < len(self) and self.articles[j] == self.articles[i]]
        return _SEP.join([*(self.sentences[j] for j in same), self.headlines[self.articles[i]]])

    def pinyin_names(self, question: str) -> list[str]:
        """Chinese strings of the corpus spelled by the capitalised pinyin words of ``question``."""
        words = [w.lower() for w in _NAME_WORD.findall(question)]
        if not words:
            return []
        if self._pinyin is None:
            self._pinyin = self._read_pinyin()
        sounds, owners = self._pinyin
        found: list[str] = []
        for word in words:
            for syllables in _segmentations(word, self._syllables):
                if len(syllables) < 2:
                    continue
                needle = _SEP + _SEP.join(syllables) + _SEP
                pos = sounds.find(needle)
                seen = 0
                while pos >= 0 and seen < 50:
                    first = owners[pos + 1]
                    chars = self._text[first : first + len(syllables)]
                    if CJK_CHAR.fullmatch(chars[0]) and all(CJK_CHAR.fullmatch(c) for c in chars):
                        found.append(chars)
                    pos = sounds.find(needle, pos + 1)
                    seen += 1
        return list(dict.fromkeys(found))

    def spells_pinyin(self, word: str) -> bool:
        """Whether ``word`` reads as a run of syllables the corpus' pinyin holds ("Li", "Donglin"):
        in an English question, a capitalised such word is taken for a Chinese name."""
        if self._pinyin is None:
            self._pinyin = self._read_pinyin()
        return bool(_segmentations(word.lower(), self._syllables, limit=1))

    def _read_pinyin(self) -> tuple[str, list[int]]:
        """The corpus as one string of syllables, and for each position the character it came from."""
        sounds = lazy_pinyin(self._text, errors=lambda chars: ["#"] * len(chars))
        if len(sounds) != len(self._text):  # never seen, but a misalignment would cite wrong text
            sounds = [lazy_pinyin(c)[0] if CJK_CHAR.fullmatch(c) else "#" for c in self._text]
        parts: list[str] = []
        owners: list[int] = []
        for pos, sound in enumerate(sounds):
            parts.append(_SEP + sound)
            owners.extend([pos] * (len(sound) + 1))
        parts.append(_SEP)
        owners.append(len(sounds))
        self._syllables = frozenset(s for s in sounds if s != "#")
        return "".join(parts), owners


def _segmentations(word: str, syllables: frozenset[str], limit: int = 8) -> list[list[str]]:
    """Ways to read ``word`` as a run of pinyin syllables ("xian" → [xian], [xi, an])."""
    out: list[list[str]] = []

    def walk(rest: str, acc: list[str]) -> None:
        if len(out) >= limit:
            return
        if not rest:
            out.append(acc)
            return
        for size in range(min(6, len(rest)), 0, -1):
            head = rest[:size]
            if head in syllables:
                walk(rest[size:], acc + [head])

    walk(word, [])
    return out
