"""What kind of thing a question asks for, and whether a sentence contains such a thing.

"有多少…" wants a quantity, "谁…" a person, "哪天…" a date, "在哪…" a place. A sentence that talks
about the right topic but holds no quantity cannot answer "多少"; the sentence next to it that does
usually can. This is the classic answer-type check of extractive QA, in Chinese and English.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jieba.posseg

TYPES = ("number", "date", "person", "place")

_QUESTION = {
    "date": re.compile(
        r"哪[一]?天|哪[一]?年|哪个月|几月|几号|几日|什么时候|何时|什么时间|哪个时间|日期|多少年前"
        r"|\bwhen\b|\bwhat (?:year|day|date|month|time)\b|\bwhich (?:year|day|date|month)\b|\bhow long ago\b",
        re.I,
    ),
    "number": re.compile(
        r"多少|几[个名家项次天人位件所台辆吨亩元倍条座批种成批]|多[高长大远久重宽深]|占.{0,6}(?:比|多)|比例|百分之|几成|第几|排名"
        r"|\bhow (?:many|much|long|tall|high|far|big|old|large)\b|\bwhat (?:percentage|proportion|share|number)\b",
        re.I,
    ),
    "person": re.compile(r"谁|哪位|什么人|叫什么名字|叫啥|姓名|\bwho\b|\bwhom\b|\bwhose\b", re.I),
    "place": re.compile(
        r"哪里|哪儿|在哪|什么地方|哪个[区县市镇村省国地]|哪条[路街]|何处|何地|\bwhere\b|\bwhich (?:district|county|city|road|street|village|town|province|country)\b",
        re.I,
    ),
}

# a quantity: a number with a unit or measure word, or a share — not a bare date like 3月23日
_UNIT = r"(?:[个名家项次天人吨亩元米倍岁条座批种户台辆件所斤股层栋套起位届度期组只场轮]|平方|公里|公顷|立方|小时|分钟|千瓦|瓦|[A-Za-z]{1,3}(?![A-Za-z]))"
_NUMBER = re.compile(
    rf"\d+(?:[.,]\d+)*\s*(?:多|余)?\s*[万亿千百]*\s*(?:多|余)?\s*(?:{_UNIT}|%|‰|成)"
    rf"|[一二两三四五六七八九十百千万亿]+(?:多|余)?{_UNIT}|百分之|[一二两三四五六七八九十]成"
)
_DATE = re.compile(r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*[日号]|[今去明前]年|上半年|下半年|年底|年初|月底|月初|元旦|春节|(?:[一二三四五六七八九十]+)月")
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}(?:路|街|大道|区|县|市|镇|乡|村|省|州|山|湖|江|港|园|馆|广场|基地)")


def question_types(question: str) -> frozenset[str]:
    return frozenset(t for t, pattern in _QUESTION.items() if pattern.search(question))


@lru_cache(maxsize=200_000)
def sentence_types(sentence: str) -> frozenset[str]:
    found = set()
    if _NUMBER.search(sentence):
        found.add("number")
    if _DATE.search(sentence):
        found.add("date")
    if _PLACE.search(sentence):
        found.add("place")
    for pair in jieba.posseg.cut(sentence, HMM=True):
        if pair.flag == "nr" and len(pair.word) >= 2:
            found.add("person")
        elif pair.flag == "ns":
            found.add("place")
    return frozenset(found)


def type_match(question_kinds: frozenset[str], sentence: str) -> float:
    """1.0 when the sentence holds every kind of thing the question asks for, 0 otherwise (and for
    questions that ask for no particular kind)."""
    if not question_kinds:
        return 0.0
    return 1.0 if question_kinds <= sentence_types(sentence) else 0.0
