"""Follow-up questions without a language model: "他…", "该项目…", "那E区呢?", "还有呢?", "it".

A reader asks the next question as in a conversation, leaning on the last one. Such a question is
recognised by a pronoun or an ellipsis and rewritten, before it is searched, with what the last
answer was about: its named entities (people, places, organisations, "…项目"-like names, from the
last question first and then from its best quote) and its article, which the search then
prefers. A question that leans on nothing is searched exactly as asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from retrieval.text import CJK

THING_KINDS = "项目|公司|集团|企业|大厦|小镇|基地|产业园|园区|村|镇|区|县|市|会议|活动|医院|学校|中心|工程|大会"
# "他/她" and their English cousins: a person of the last answer
_PERSON = re.compile(r"他们|她们|他|她|此人|这个人|这位|\b(?:he|she|him|her|his)\b", re.I)
# "该项目", "这家公司", "这个区": a thing of the last answer, named by its kind
_THING = re.compile(rf"(?:该|这个|这家|这座|这项|这所|这条|这一|此|那个|那家)({THING_KINDS})")
_IT = re.compile(r"它们|它|\b(?:it|its|this (?:project|company|building|place|village|district))\b", re.I)
# "那E区呢?", "E区呢": the last question, asked about something else of the same kind
_ELLIPSIS = re.compile(rf"^\s*(?:那么?)?\s*([0-9A-Za-z{CJK}]{{1,12}}?)\s*呢\s*[?？]?\s*$")
# "还有呢?", "what else?": the last question again, for what its answer did not show
_MORE = re.compile(r"^\s*(?:还有呢|还有吗|还有什么|然后呢|what else|anything else|and)\s*[?？]?\s*$", re.I)
_KIND_END = re.compile(rf"(?:{THING_KINDS})$")
# words that may open or continue a name ("蓝谷/小镇/低层/区/项目", "湖南/先进/硬质/材料/产业园")
_NAME_FLAGS = ("n", "a", "b", "j", "eng", "m")


@dataclass(frozen=True)
class Topic:
    """What an answer was about, for the question after it: the question as searched, the article
    of its best passage, the quotes it showed, and its named entities, most salient first."""

    question: str
    article: int
    quotes: tuple[str, ...]

    @cached_property
    def _entities(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # tagged when a follow-up first needs them, not with every answer: part-of-speech tagging
        # was a seventh of a question's time, and most questions are not followed by a pronoun
        return entities(self.question, self.quotes[0] if self.quotes else "")

    @property
    def people(self) -> tuple[str, ...]:
        return self._entities[0]

    @property
    def things(self) -> tuple[str, ...]:
        return self._entities[1]


@dataclass(frozen=True)
class Resolved:
    """A follow-up rewritten: ``text`` is what is searched, ``note`` what the answer tells the
    reader ("他 → 刘亚亮"), ``article`` the previous article, which the search prefers; ``again``
    for "还有呢?" (the same question: show what was not shown)."""

    text: str
    note: str
    article: int
    again: bool = False


def entities(*texts: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """People (jieba's nr) and named things (places, organisations, and the longest run of
    name-like words ending in a kind: "蓝谷小镇低层区项目") in ``texts``, in order, each once."""
    import jieba.posseg  # its tag dictionary takes half a second to load: when first needed

    people: list[str] = []
    things: list[str] = []
    for text in texts:
        words = list(jieba.posseg.cut(text, HMM=True))
        for i, pair in enumerate(words):
            if pair.flag == "nr" and len(pair.word) >= 2:
                people.append(pair.word)
            if pair.flag in ("ns", "nt", "nz") and len(pair.word) >= 2:
                things.append(pair.word)
            if _KIND_END.search(pair.word):
                j = i
                while j > 0 and words[j - 1].flag.startswith(_NAME_FLAGS) and sum(len(w.word) for w in words[j - 1 : i + 1]) <= 14:
                    j -= 1
                name = "".join(w.word for w in words[j : i + 1])
                if len(name) >= 3:
                    things.append(name)
    things = list(dict.fromkeys(things))
    # jieba takes a syllable of a place for a surname ("蓝谷" of 蓝谷小镇): not a person then
    people = [p for p in dict.fromkeys(people) if not any(p in t and p != t for t in things)]
    return tuple(people), tuple(things)


def resolve(question: str, topic: Topic | None) -> Resolved | None:
    """``question`` rewritten against ``topic`` when it leans on it; None when it does not (or
    there is nothing to lean on)."""
    if topic is None:
        return None
    if _MORE.match(question):
        return Resolved(topic.question, f"{question.strip()} → {topic.question}", topic.article, again=True)
    m = _ELLIPSIS.match(question)
    if m:
        new = m.group(1)
        kind = next((k for k in THING_KINDS.split("|") if new.endswith(k)), None)
        old = None
        if kind and re.fullmatch(rf"[0-9A-Za-z]+{kind}", new):  # "E区" replaces "A区"
            old = re.search(rf"[0-9A-Za-z]+{kind}", topic.question)
        elif kind and len(new) > len(kind):  # "荷塘区" replaces "芦淞区"
            old = re.search(rf"[{CJK}]{{{len(new) - len(kind)}}}{kind}", topic.question)
        if old and old.group() != new:
            text = topic.question[: old.start()] + new + topic.question[old.end():]
        else:
            text = f"{new} {topic.question}"
        return Resolved(text, f"{question.strip()} → {text}", topic.article)
    m = _THING.search(question)
    if m:
        fitting = [t for t in topic.things if t.endswith(m.group(1)) and t != m.group(1)]
        if fitting:
            named = max(fitting, key=len)
            return Resolved(question[: m.start()] + named + question[m.end():], f"{m.group()} → {named}", topic.article)
    m = _PERSON.search(question)
    if m and topic.people:
        named = topic.people[0]
        return Resolved(question[: m.start()] + named + question[m.end():], f"{m.group()} → {named}", topic.article)
    m = _IT.search(question)
    if m and (topic.things or topic.people):
        asked = [t for t in topic.things if t in topic.question]
        named = max(asked, key=len) if asked else (topic.things or topic.people)[0]
        return Resolved(question[: m.start()] + named + question[m.end():], f"{m.group()} → {named}", topic.article)
    return None
