"""Two-hop questions: the person or thing asked about is named only by what it did elsewhere.

"曹慧泉调研中车株洲所时与之座谈的那位董事长,在全国两会期间建议加快推动什么产业发展?" describes
李东林 by one article (the visit) and asks about another (the two sessions). Searched whole, the
question's words and its cosine point at the visit: the first hop's article wins. Here the
descriptive clause ("曹慧泉调研中车株洲所时与之座谈的…董事长") is split off at its "那位 / 那个…",
searched on its own, and the entity its best sentences name — the person named after the role
asked about ("董事长李东林"), or the thing of the kind asked about ("…所在的那个区" → 荷塘区) — takes
the clause's place: "董事长李东林,在全国两会期间建议加快推动什么产业发展?" is the second hop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


from retrieval.ranking.followup import THING_KINDS, entities

# "…的那位董事长", "…所在的那个区", "…村那位29岁的丝瓜种植户": a clause describing what follows
# (位 and 名 count people: only they describe a person)
_MARKER = re.compile(r"的?那(?:(位|名)|个|家|座|所|条|项|次|场)")
_SENTENCE_END = re.compile(r"[?？。!！;；]")
_COMMA = re.compile(r"[,，]")
# the kind of thing the clause describes: "那个区", "…种植户所在镇…"
_KIND = re.compile(rf"所在的?({THING_KINDS})|^({THING_KINDS})$")
# characters after a role segmented to read the name there: a name and the start of the next word
_NAME_WINDOW = 8
# "…的那个项目叫什么?": the question asks for the described thing itself, which the clause's own
# search finds; there is no second hop to make
_NAMES_IT = re.compile(r"^(?:的?(?:名字|名称|全称))?(?:叫|是|为)?(?:什么|哪个|哪家|哪位|谁)(?:名字|名称)?\s*[?？]?$")


@dataclass(frozen=True)
class Clause:
    """A question split at its descriptive clause: ``clause`` (with its ``head``, the role or
    kind described) is what the first hop searches; ``rest`` is what is asked about it;
    ``person`` whether the clause describes a person ("那位…") rather than a thing ("那个…")."""

    clause: str
    head: str
    rest: str
    person: bool

    def ask(self, entity: str) -> str:
        """The question with the clause replaced by the entity it describes ("董事长李东林,…")."""
        return f"{self.head}{entity},{self.rest}"


def split(question: str) -> Clause | None:
    """``question`` split at a "…的那位 X," clause, or None when it has none (or nothing is asked
    after it). Without a comma after the head, the head is the run of nouns after the marker."""
    for m in _MARKER.finditer(question):
        ends = [e.end() for e in _SENTENCE_END.finditer(question, 0, m.start())]
        clause = question[ends[-1] if ends else 0 : m.start()].strip(" ,，")
        after = question[m.end():]
        comma = _COMMA.search(after)
        if comma and not _SENTENCE_END.search(after, 0, comma.start()):
            head, rest = after[: comma.start()], after[comma.end():]
        else:
            import jieba.posseg  # loaded when a question first needs it (half a second)

            head = ""
            for pair in jieba.posseg.cut(after, HMM=True):
                if not pair.flag.startswith("n"):
                    break
                head += pair.word
            rest = after[len(head):]
        if len(clause) >= 2 and head and _SENTENCE_END.sub("", rest).strip() and not _NAMES_IT.match(rest):
            return Clause(clause, head.strip(), rest.strip(), person=m.group(1) is not None)
    return None


def bridge(sentence: str, clause: Clause, question: str) -> str | None:
    """The entity ``sentence`` (of the first hop) names that the question does not: a thing of the
    kind the head asks for (区, 镇, 项目…), else, for a person, the one named right after the head's
    role ("市委宣传部长江小忠"), else the first new person. None when it names nothing new of it."""
    people, things = entities(sentence)
    m = _KIND.search(clause.head)
    if m:
        kind = m.group(1) or m.group(2)
        fitting = [t for t in things if t.endswith(kind) and _new(t[: -len(kind)], question)]
        return fitting[0] if fitting else None
    if not clause.person:
        return None
    named = _named_after_role(sentence, clause.head)
    if named is not None and _new(named, question):
        return named
    new = [p for p in people if _new(p, question)]
    return new[0] if new else None


def _named_after_role(sentence: str, head: str) -> str | None:
    """The person a newspaper names right after their role ("董事长李东林", "市委宣传部长江小忠"): the
    longest end of ``head`` the sentence prints, and the name after it. The words after the role
    are segmented on their own — inside the whole sentence jieba reads "宣传部长江小忠" as
    宣传部/长江/小忠 — and a one-character surname joins the word after it ("李" + "东林")."""
    for n in range(len(head), 1, -1):
        at = sentence.find(head[-n:])
        if at >= 0:
            import jieba.posseg

            words = list(jieba.posseg.cut(sentence[at + n : at + n + _NAME_WINDOW], HMM=True))[:2]
            if words and words[0].flag == "nr" and len(words[0].word) >= 2:
                return words[0].word
            if len(words) == 2 and words[0].flag == "nr" and 1 <= len(words[1].word) <= 2 and words[1].word.isalpha():
                return words[0].word + words[1].word
            return None
    return None


def _new(name: str, question: str) -> bool:
    """Whether ``name`` is not (a rewording of) something the question says already: no three
    characters of it in a row are the question's ("督导保交楼项目" of "督导的保交楼项目")."""
    return len(name) >= 2 and name not in question and not any(
        name[i : i + 3] in question for i in range(len(name) - 2)
    )
