"""Which of a question's keywords a sentence contains, weighted by how rare they are.

Presence is tested on the normalized text itself, not on tokens, so the question's segmentation and
the article's never have to agree ("中车株洲所在" vs "中车株洲所"). English questions contribute their
Latin terms and the Chinese names their pinyin words spell ("Xujiatang" → 徐家塘), found by reading
the corpus itself in pinyin — no translation model involved.

Everything here is computed at build time (:func:`build_terms`) and stored as flat arrays that load
by memory-mapping: the normalized texts as UTF-32 code points laid end to end, a posting list of
sentences for every character and character pair (so a document frequency is a lookup, not a scan
of the archive), and the pinyin syllable of every character. Normalizing (OpenCC) and reading
pinyin run at a few MB per second in Python: done at load, as before, they took most of a minute at
a million sentences.
"""

from __future__ import annotations

import json
import math
import mmap
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from pypinyin import lazy_pinyin

from retrieval.text import CJK, CJK_CHAR, normalize

_NAME_WORD = re.compile(r"\b[A-Z][a-z]{3,}\b")
_PAIR_RUN = re.compile(f"[{CJK}]+|[a-z0-9]+")
_SEP = "\x00"
_CHAR_BITS = 21  # every code point fits in 21 bits: a character pair is one 42-bit key
_DF_SAMPLE = 2000  # candidate sentences checked for a long term's document frequency; more are sampled


def mapped(path: Path) -> np.ndarray:
    """A stored ``.npy`` array, memory-mapped read-only, as a plain ndarray view of the map (a
    ``np.memmap`` costs microseconds per item access; the view does not)."""
    return np.asarray(np.load(path, mmap_mode="r"))


def _open_map(path: Path) -> mmap.mmap | bytes:
    """A read-only map of ``path`` (an empty file cannot be mapped: its empty bytes instead)."""
    with open(path, "rb") as f:
        if f.seek(0, 2) == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class Texts:
    """Many strings stored end to end, separated by NUL, as UTF-32 code points in one memory-mapped
    file; ``starts[i]`` is where string ``i`` begins (``starts[n]`` is one past the end)."""

    def __init__(self, buffer: mmap.mmap | bytes, starts: np.ndarray) -> None:
        self.buffer = buffer
        self.codes = np.frombuffer(buffer, dtype="<u4")
        self.starts = starts

    @staticmethod
    def write(path: Path, texts: list[str]) -> None:
        joined = _SEP.join(texts)
        path.with_suffix(".u32").write_bytes(joined.encode("utf-32-le"))
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        np.save(path.with_suffix(".npy"), np.concatenate([[0], np.cumsum(lengths)]))

    @classmethod
    def load(cls, path: Path) -> Texts:
        return cls(_open_map(path.with_suffix(".u32")), mapped(path.with_suffix(".npy")))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> str:
        return self.span(i, i + 1)

    def span(self, first: int, last: int) -> str:
        """Strings ``first`` to ``last`` (exclusive), joined by NUL as they are stored."""
        return self.codes[int(self.starts[first]) : int(self.starts[last]) - 1].tobytes().decode("utf-32-le")

    def all(self) -> list[str]:
        """Every string (for an incremental build to reuse them)."""
        return self.span(0, len(self)).split(_SEP) if len(self) else []


def _gram_keys(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of every character (``c << 21``) and character pair (``c1 << 21 | c2``) of ``codes``,
    with the position each starts at; NUL separators neither form nor join a key."""
    c = codes.astype(np.uint64)
    pos = np.arange(len(c), dtype=np.int64)
    single = c != 0
    pair = single[:-1] & single[1:]
    keys = np.concatenate([(c[single] << _CHAR_BITS), (c[:-1][pair] << _CHAR_BITS) | c[1:][pair]])
    return keys, np.concatenate([pos[single], pos[:-1][pair]])


@dataclass(frozen=True)
class TermArrays:
    """What :func:`build_terms` computes from the normalized texts, ready to be written."""

    sentences: list[str]
    contexts: list[str]
    headlines: list[str]
    pinyin: list[np.ndarray]  # per sentence, the syllable id of each character (0: none)
    syllables: list[str]  # id - 1 → syllable


def sentence_pinyin(text: str, ids: dict[str, int]) -> np.ndarray:
    """The syllable of every character of ``text`` as an id into ``ids`` (grown as needed), 0 for
    what has no pinyin."""
    sounds = lazy_pinyin(text, errors=lambda chars: ["#"] * len(chars))
    if len(sounds) != len(text):  # never seen, but a misalignment would cite wrong text
        sounds = [lazy_pinyin(c)[0] if CJK_CHAR.fullmatch(c) else "#" for c in text]
    return np.fromiter(
        (0 if s == "#" else ids.setdefault(s, len(ids) + 1) for s in sounds), dtype=np.uint16, count=len(sounds)
    )


def write_terms(directory: Path, arrays: TermArrays, articles: np.ndarray) -> None:
    """Store the term statistics under ``directory``: the texts, the postings and the pinyin."""
    directory.mkdir(parents=True, exist_ok=True)
    Texts.write(directory / "sentences", arrays.sentences)
    Texts.write(directory / "contexts", arrays.contexts)
    Texts.write(directory / "headlines", arrays.headlines)
    np.save(directory / "articles.npy", np.asarray(articles, dtype=np.int32))
    codes = np.frombuffer(_SEP.join(arrays.sentences).encode("utf-32-le"), dtype="<u4")
    starts = np.load(directory / "sentences.npy")
    keys, pos = _gram_keys(codes)
    owner = np.searchsorted(starts, pos, side="right") - 1
    # sorted by key, and within a key by sentence (positions come in sentence order: stable sort)
    order = np.argsort(keys, kind="stable")
    keys, owner = keys[order], owner[order]
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = (keys[1:] != keys[:-1]) | (owner[1:] != owner[:-1])
    keys, owner = keys[keep], owner[keep]
    unique, first = np.unique(keys, return_index=True)
    np.save(directory / "gram_keys.npy", unique)
    np.save(directory / "gram_starts.npy", np.append(first, len(keys)).astype(np.int64))
    np.save(directory / "gram_sentences.npy", owner.astype(np.int32))
    pinyin = np.concatenate([p for s in arrays.pinyin for p in (s, np.zeros(1, np.uint16))]) if arrays.pinyin else np.zeros(0, np.uint16)
    (directory / "pinyin.u16").write_bytes(pinyin[: len(codes)].astype("<u2").tobytes())
    (directory / "syllables.json").write_text(json.dumps(arrays.syllables), encoding="utf-8")


class TermIndex:
    """Normalized sentence texts (with their article titles) and their term statistics, as stored."""

    def __init__(self, directory: Path) -> None:
        self.sentences = Texts.load(directory / "sentences")
        self.contexts = Texts.load(directory / "contexts")  # by chunk: headline + chunk text
        self.headlines = Texts.load(directory / "headlines")  # by article
        self.articles = mapped(directory / "articles.npy")  # the article of each sentence
        self._keys = mapped(directory / "gram_keys.npy")
        self._gram_starts = mapped(directory / "gram_starts.npy")
        self._postings = mapped(directory / "gram_sentences.npy")
        self._pinyin = _open_map(directory / "pinyin.u16")
        self._syllable_ids = {s: i + 1 for i, s in enumerate(json.loads((directory / "syllables.json").read_text(encoding="utf-8")))}
        self._syllables = frozenset(self._syllable_ids)

    def __len__(self) -> int:
        return len(self.sentences)

    def _posting(self, key: int) -> np.ndarray:
        j = int(np.searchsorted(self._keys, key))
        if j >= len(self._keys) or int(self._keys[j]) != key:
            return np.zeros(0, dtype=np.int32)
        return self._postings[int(self._gram_starts[j]) : int(self._gram_starts[j + 1])]

    @lru_cache(maxsize=4096)
    def document_frequency(self, term: str) -> int:
        """How many sentences contain ``term`` (a substring of their normalized text)."""
        codes = [ord(c) for c in term]
        if not codes or 0 in codes:
            return 0
        if len(codes) == 1:
            return len(self._posting(codes[0] << _CHAR_BITS))
        pairs = sorted((self._posting(a << _CHAR_BITS | b) for a, b in zip(codes, codes[1:])), key=len)
        if len(codes) == 2:
            return len(pairs[0])
        candidates = pairs[0]
        for other in pairs[1:]:
            if not len(candidates):
                return 0
            candidates = np.intersect1d(candidates, other, assume_unique=True)
        # the pairs may occur apart: look for the whole term inside each candidate, in the map; of
        # more than _DF_SAMPLE candidates (a common word of a large archive: 株洲市 is in a tenth
        # of a million sentences) a fixed random sample, scaled up -- an idf needs no exact count
        # (random, not evenly spaced: a periodic archive, copies of the same issues, aliases with a stride)
        if len(candidates) > _DF_SAMPLE:
            sample = np.sort(candidates[np.random.default_rng(0).integers(0, len(candidates), _DF_SAMPLE)])
            found = self._holding(term, sample)
            if found:
                return max(1, round(found * len(candidates) / _DF_SAMPLE))
        return self._holding(term, candidates)

    def _holding(self, term: str, candidates: np.ndarray) -> int:
        """How many of the ``candidates`` sentences hold ``term``."""
        needle, buffer, starts = term.encode("utf-32-le"), self.sentences.buffer, self.sentences.starts
        found = 0
        for i in candidates.tolist():
            end = 4 * (int(starts[i + 1]) - 1)
            pos = buffer.find(needle, 4 * int(starts[i]), end)
            while pos >= 0 and pos % 4:  # a match across code point boundaries is no match
                pos = buffer.find(needle, pos + 1, end)
            found += pos >= 0
        return found

    def idf(self, term: str) -> float:
        n, df = len(self), self.document_frequency(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(
        self, terms: tuple[str, ...], weights: tuple[float, ...], ids: np.ndarray, *, where: str,
        chunk_of_sentence: np.ndarray | None = None,
    ) -> np.ndarray:
        """Share of the keyword weight (``weights``: the terms' IDF, computed once per question)
        present in each of ``ids``: in the sentence, its two neighbours and its headline
        (``where="window"``: questions often restate the sentence before the answer, and a term of
        the headline — "蓝线裸顶鲷的体长…" in the article 蓝线裸顶鲷 — says which article, so it
        counts for every sentence of it and the other terms pick the sentence); or in its headline
        and chunk (``where="context"``, the chunk being ``chunk_of_sentence[i]``); or in the sentence
        alone (``where="sentence"``)."""
        if not terms:
            return np.zeros(len(ids), dtype=np.float32)
        w = np.asarray(weights, dtype=np.float32)
        if where == "context":
            texts = [self.contexts[int(chunk_of_sentence[i])] for i in ids]
        elif where == "sentence":
            texts = [self.sentences[int(i)] for i in ids]
        else:
            texts = [self._window(int(i)) for i in ids]
        present = np.asarray([[t in text for t in terms] for text in texts], dtype=np.float32)
        return present @ w / w.sum()

    def beyond_headline(self, pairs: tuple[str, ...], weights: tuple[float, ...], ids: np.ndarray) -> np.ndarray:
        """Share of the weight of the question's character pairs (:func:`character_pairs`) that are
        not in a sentence's headline found in the sentence itself: what the question says beyond
        naming the article's subject. In an encyclopedia article every sentence shares the title
        ("蓝线裸顶鲷以什么为食?"), and the sentence that opens it, which restates the title, beat the one
        that answers ("…以甲壳类、头足类和小鱼为食"); the keyword coverages count the title for
        every sentence of the article. 0 for a sentence whose headline holds every pair."""
        out = np.zeros(len(ids), dtype=np.float32)
        if not pairs:
            return out
        w = np.asarray(weights, dtype=np.float32)
        beyond: dict[int, np.ndarray] = {}  # per article: which pairs its headline lacks
        for j, i in enumerate(ids.tolist()):
            article = int(self.articles[i])
            rest = beyond.get(article)
            if rest is None:
                headline = self.headlines[article]
                rest = beyond[article] = np.fromiter((p not in headline for p in pairs), dtype=bool, count=len(pairs))
            if rest.any():
                sentence = self.sentences[i]
                present = np.fromiter((p in sentence for p in pairs), dtype=bool, count=len(pairs))
                out[j] = w[rest & present].sum() / w[rest].sum()
        return out

    def mentions(self, word: str, ids: np.ndarray) -> np.ndarray:
        """Whether the window of each of ``ids`` (its sentence, neighbours and headline, as for
        :meth:`coverage`) holds at least two of ``word``'s characters: a reader's word and the
        paper's for one thing share characters more often than they match whole ("总投资" and
        "投资额", "总经理" and "经理")."""
        chars = set(word)
        return np.fromiter(
            (sum(c in window for c in chars) >= 2 for window in map(self._window, ids.tolist())), dtype=bool,
            count=len(ids),
        )

    def _window(self, i: int) -> str:
        article = self.articles[i]
        first = i - 1 if i > 0 and self.articles[i - 1] == article else i
        last = i + 2 if i + 1 < len(self) and self.articles[i + 1] == article else i + 1
        return self.sentences.span(first, last) + _SEP + self.headlines[int(article)]

    def pinyin_names(self, question: str) -> list[str]:
        """Chinese strings of the corpus spelled by the capitalised pinyin words of ``question``."""
        words = [w.lower() for w in _NAME_WORD.findall(question)]
        if not words:
            return []
        codes, sounds = self.sentences.codes, self._pinyin
        found: list[str] = []
        for word in words:
            for syllables in _segmentations(word, self._syllables):
                if len(syllables) < 2:
                    continue
                needle = np.asarray([self._syllable_ids[s] for s in syllables], dtype="<u2").tobytes()
                pos = sounds.find(needle)
                seen = 0
                while pos >= 0 and seen < 50:
                    if pos % 2:
                        pos = sounds.find(needle, pos + 1)
                        continue
                    first = pos // 2
                    chars = codes[first : first + len(syllables)].tobytes().decode("utf-32-le")
                    if all(CJK_CHAR.fullmatch(c) for c in chars):
                        found.append(chars)
                    pos = sounds.find(needle, pos + 2)
                    seen += 1
        return list(dict.fromkeys(found))

    def spells_pinyin(self, word: str) -> bool:
        """Whether ``word`` reads as a run of syllables the corpus' pinyin holds ("Li", "Donglin"):
        in an English question, a capitalised such word is taken for a Chinese name."""
        return bool(_segmentations(word.lower(), self._syllables, limit=1))


def normalized(text: str) -> str:
    """What keyword presence is tested on: normalized and lower-cased."""
    return normalize(text).lower()


def character_pairs(text: str) -> tuple[str, ...]:
    """Every pair of adjacent Chinese characters of ``text`` (a lone one as itself) and each Latin
    word or number, once each: units of presence that need no segmentation, so "以什么为食" still
    finds "为食" where jieba's words of the question and of the sentence differ."""
    pairs: list[str] = []
    for run in _PAIR_RUN.findall(normalized(text)):
        pairs += [run] if run.isascii() or len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return tuple(dict.fromkeys(pairs))


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
