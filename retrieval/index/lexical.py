"""Keyword search: jieba tokens scored with BM25 (bm25s).

The dense model is good at meaning and weak at exact facts; this side is the opposite. It therefore
protects what questions hinge on — numbers with their units, percentages, dates, Latin names — from
being split apart, and learns the corpus' own place and organisation names (芦淞区, 中车株洲所…) as
words, so "中车株洲所在" is not read as "中车 / 株洲 / 所在".
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path

import bm25s
import jieba
import numpy as np

from retrieval.text import CJK, CJK_RUN, normalize

jieba.setLogLevel(logging.WARNING)

# Numbers keep their unit, percentages their sign, decimals their point: "42%", "1.43万亩", "2021年".
_PROTECTED = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:%|‰|[A-Za-z]{1,4}(?![A-Za-z])|[万亿千百]+)?(?:[年月日号时个家亩元吨人次起名米天户项倍岁斤台座条所批]|平方公里|小时|公里)?"
    r"|[A-Za-z][A-Za-z0-9+\-]*"
)

# Words that shape a question but never occur in its answer.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 被 把 让 对 为 以 于 从 向 将 等 其 之 这 那 该 此 有 个 着 过 吗 呢 吧 啊 呀
    什么 多少 哪些 哪个 哪里 哪儿 哪天 哪年 哪一年 哪家 哪位 哪 谁 几 几个 多久 多长 多大 多高 多远 是否 是不是 有没有
    怎么 怎样 如何 为何 为什么 何时 何地 何 啥 叫啥 请问 一下 呢 么 还是 时候 什么时候 是谁 有多 多 了解 知道
    """.split()
)
# Segmentation glues question words to their neighbours ("由谁来", "第几", "几家", "什么样", "哪所"):
# such a token never occurs in an answer, so it is no keyword of the question.
_QUESTION_WORD = re.compile(r"[哪谁]|什么|怎|几(?!乎)")
# A demonstrative ("那个", "那位", "这种", "那些", "这门"…) is how a reader points at what the question
# describes ("荷塘区那个…的地方叫什么?"): the paper names the thing instead, so it is no keyword,
# as the single "这" / "那" are not; absent from the corpus, it counted against the answer.
_DEMONSTRATIVE = re.compile(r"[这那]一?[个位种些栋片门项家条所座名类样次件块批处届]?")
_ENGLISH_STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or is are was were be been what which who whom whose
    when where why how many much does did do has have had that this these those it its as into than
    about according after before""".split()
)
_ORG_SUFFIX = re.compile(
    f"[{CJK}]{{2,6}}?" r"(?:集团|公司|股份|研究所|产研所|株洲所|区|县|市|镇|乡|村|街道|社区|园区|大厦|中心|学院|大学|医院|银行|法院|检察院|社科联|供销社|委员会)"
)


def vocabulary_counts(text: str) -> Counter[str]:
    """Candidate local names in one article (``title`` + text) and how often each occurs: the
    organisation/place-like strings that start and end on jieba's own word boundaries. Depends on
    the article alone, so it is counted once per article and kept for incremental builds."""
    counts: Counter[str] = Counter()
    for run in CJK_RUN.findall(normalize(text)):
        bounds, pos = {0}, 0
        for word in jieba.lcut(run, HMM=False):
            pos += len(word)
            bounds.add(pos)
        for m in _ORG_SUFFIX.finditer(run):
            if m.start() in bounds and m.end() in bounds:
                counts[m.group()] += 1
    return counts


def vocabulary(counts: Counter[str], *, min_count: int = 2) -> list[str]:
    """Local names worth teaching jieba: candidates (:func:`vocabulary_counts`, summed over the
    corpus) that recur and that jieba would otherwise cut into pieces. Learned from the text, never
    typed by hand: a candidate must not start with a verb, preposition or adverb ("在荷塘区",
    "坚持以人民为中心" are phrases, not names)."""
    import jieba.posseg

    words = []
    for word, n in counts.items():
        if n < min_count or len(jieba.lcut(word, HMM=False)) < 2:
            continue
        if next(iter(jieba.posseg.cut(word, HMM=False))).flag[:1] in {"v", "p", "d", "c", "r"}:
            continue
        words.append(word)
    return sorted(words)


class Tokenizer:
    """Search tokens for BM25: normalized, protected spans kept whole, jieba on the Chinese runs."""

    def __init__(self, user_words: list[str] | None = None) -> None:
        self.user_words = list(user_words or [])
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word in self.user_words:
            self._jieba.add_word(word, freq=2000)

    def tokens(self, text: str) -> list[str]:
        """Search tokens (jieba's search mode: long words and their parts), stopwords dropped."""
        return [t for t in self._split(text, search=True) if t not in STOPWORDS]

    def terms(self, normalized_question: str) -> list[str]:
        """The keywords of a question already normalized (``Query.normalized``; normalizing twice is
        not a no-op: OpenCC converts some phrases back and forth), each once, segmented without
        overlaps (for evidence weighting)."""
        words = self._split(normalized_question, search=False, normalized=True)
        return list(
            dict.fromkeys(
                t for t in words
                if t not in STOPWORDS and t not in _ENGLISH_STOPWORDS and not _QUESTION_WORD.search(t)
                and not _DEMONSTRATIVE.fullmatch(t)
            )
        )

    def _split(self, text: str, *, search: bool, normalized: bool = False) -> list[str]:
        text = (text if normalized else normalize(text)).lower()
        out: list[str] = []
        pos = 0
        for m in _PROTECTED.finditer(text):
            out.extend(self._cjk_tokens(text[pos : m.start()], search=search))
            out.append(re.sub(r"\s+", "", m.group()))
            pos = m.end()
        out.extend(self._cjk_tokens(text[pos:], search=search))
        return out

    def _cjk_tokens(self, text: str, *, search: bool) -> list[str]:
        cut = self._jieba.cut_for_search if search else self._jieba.lcut
        return [t for run in CJK_RUN.findall(text) for t in cut(run, HMM=True)]


class LexicalIndex:
    """BM25 over the sentences (bm25s), computed at build and memory-mapped at load. The tokens of
    every sentence are stored beside it (as ids into the vocabulary), so an incremental build
    re-tokenizes only the articles that changed."""

    def __init__(self, tokenizer: Tokenizer, retriever: bm25s.BM25, size: int) -> None:
        self.tokenizer = tokenizer
        self.retriever = retriever
        self.size = size

    @staticmethod
    def write(directory: Path, tokens: list[list[str]], user_words: list[str]) -> None:
        """Index ``tokens`` (one list per sentence) with BM25 and store it with the tokens and the
        user dictionary they were cut with."""
        directory.mkdir(parents=True, exist_ok=True)
        retriever = bm25s.BM25()
        retriever.index([t or [""] for t in tokens], show_progress=False)
        retriever.save(str(directory / "bm25"), show_progress=False)
        vocab = retriever.vocab_dict
        flat = np.fromiter((vocab[w] for doc in tokens for w in doc), dtype=np.int32)
        np.save(directory / "tokens.npy", flat)
        np.save(directory / "token_starts.npy", np.concatenate([[0], np.cumsum([len(t) for t in tokens])]).astype(np.int64))
        (directory / "userdict.json").write_text(
            json.dumps({"words": user_words, "size": len(tokens)}, ensure_ascii=False), encoding="utf-8"
        )

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` (zeros when no query word is in the corpus)."""
        vocab = self.retriever.vocab_dict
        tokens = [t for t in self.tokenizer.tokens(query) if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        meta = json.loads((directory / "userdict.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(directory / "bm25"), mmap=True, show_progress=False)
        return cls(Tokenizer(meta["words"]), retriever, int(meta["size"]))


def stored_tokens(directory: Path) -> tuple[list[str], list[list[str]]]:
    """The user dictionary and every sentence's tokens of a stored index (for reuse)."""
    meta = json.loads((directory / "userdict.json").read_text(encoding="utf-8"))
    vocab = json.loads((directory / "bm25" / "vocab.index.json").read_text(encoding="utf-8"))
    words = [""] * len(vocab)
    for w, i in vocab.items():
        words[i] = w
    flat = np.load(directory / "tokens.npy").tolist()
    starts = np.load(directory / "token_starts.npy").tolist()
    return meta["words"], [[words[i] for i in flat[a:b]] for a, b in zip(starts, starts[1:])]
