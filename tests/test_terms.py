"""Keyword coverage: which of a question's words a sentence (with its neighbours and headline) holds."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.lexical import Tokenizer
from retrieval.index.terms import TermArrays, TermIndex, character_pairs, normalized, sentence_pinyin, write_terms


@pytest.mark.parametrize(
    ("question", "keywords"),
    [
        ("这个计划由谁来主持？", ["计划", "主持"]),  # not "由谁来", nor the demonstrative "这个"
        ("卡洛身兼几家骑士团的大团长职位？", ["卡洛", "身兼", "骑士团", "大", "团长", "职位"]),  # not "几家"
        ("复合式建筑的构造是什么样的？", ["复合式", "建筑", "构造"]),  # not "什么样"
        ("他几乎每天都去哪所学校？", ["他", "几乎", "每天", "去", "所", "学校"]),
    ],
)
def test_question_words_glued_to_their_neighbours_are_not_keywords(question, keywords):
    # a keyword the corpus lacks lowers the confidence; "由谁来" is in no answer, whatever the corpus
    assert Tokenizer().terms(question) == keywords


@pytest.mark.parametrize(
    ("question", "keywords"),
    [
        ("荷塘区那个免费教妇女织围巾的地方在哪?", ["荷塘区", "免费", "教", "妇女", "织", "围巾", "地方"]),
        ("曾经是株洲最高的那栋楼现在多高?", ["曾经", "株洲", "最高", "楼", "现在"]),
        ("统战部门那些活动引来多少企业?", ["统战部门", "活动", "引来", "企业"]),
        ("这家公司和那位董事长", ["公司", "董事长"]),
        ("那年冬天", ["那年", "冬天"]),  # a time, not a pointer at a thing: kept
    ],
)
def test_a_readers_demonstrative_is_no_keyword(question, keywords):
    """"那个…", "那位…": the reader points at what the question describes, and the paper names it
    instead, so the pointer is in no answer; absent from the corpus it would count against one."""
    assert Tokenizer().terms(question) == keywords


def stored_terms(directory, sentences, articles, headlines) -> TermIndex:
    """Term statistics written the way a build writes them, and loaded back (memory-mapped)."""
    texts = [normalized(s) for s in sentences]
    ids: dict[str, int] = {}
    pinyin = [sentence_pinyin(t, ids) for t in texts]
    table = sorted(ids, key=ids.get)
    write_terms(directory, TermArrays(texts, texts, [normalized(h) for h in headlines], pinyin, table), np.asarray(articles))
    return TermIndex(directory)


def test_a_headline_term_counts_for_every_sentence_of_its_article(tmp_path):
    sentences = ["蓝线裸顶鲷又称蓝线白鱼。", "本鱼分布于印度洋。", "天气晴。", "明天有雨。", "体长可达80公分。"]
    articles = [0, 0, 1, 1, 0]
    terms = stored_terms(tmp_path, sentences, articles, ["蓝线裸顶鲷", "天气预报"])
    ids = np.arange(len(sentences))
    asked = ("蓝线裸顶鲷", "体长")
    window = terms.coverage(asked, tuple(terms.idf(t) for t in asked), ids, where="window")
    # the headline names the fish for all three of its sentences; 体长 then picks the last one
    assert window[4] == pytest.approx(1.0)
    assert 0 < window[0] < 1 and window[0] == pytest.approx(window[1])
    assert window[2] == window[3] == 0


def test_document_frequencies_and_pinyin_come_from_the_stored_arrays(tmp_path):
    sentences = ["徐家塘社区在株洲。", "株洲硬质合金占全国42%。", "株洲株洲。", "合金。", "Zhuzhou CRRC"]
    terms = stored_terms(tmp_path, sentences, [0, 1, 2, 3, 4], ["甲", "乙", "丙", "丁", "戊"])
    expected = {
        t: sum(t in normalized(s) for s in sentences)
        for t in ["株", "株洲", "硬质合金", "合金", "42%", "株洲株洲", "洲硬", "zhuzhou", "crrc", "无此词", "社区在株洲"]
    }
    assert {t: terms.document_frequency(t) for t in expected} == expected
    assert terms.pinyin_names("Where is Xujiatang?") == ["徐家塘"]
    assert isinstance(terms.sentences.codes, np.ndarray) and not terms.sentences.codes.flags.writeable


def test_character_pairs_need_no_segmentation_and_come_once():
    assert character_pairs("蓝线裸顶鲷以什么为食？") == ("蓝线", "线裸", "裸顶", "顶鲷", "鲷以", "以什", "什么", "么为", "为食")
    # traditional is read as simplified, Latin words and numbers are units, a lone character stays
    assert character_pairs("他為什麼在2024年買了iPhone?") == ("他为", "为什", "什么", "么在", "2024", "年买", "买了", "iphone")
    assert character_pairs("食，食") == ("食",)


def test_beyond_headline_counts_what_the_question_says_past_the_subject(tmp_path):
    """Only the question's pairs missing from a sentence's headline count, in the sentence alone:
    the entry's opening sentence repeats the subject and scores nothing; the sentence saying what
    it eats scores; a sentence of an article whose headline holds every pair scores 0."""
    sentences = ["蓝线裸顶鲷又称蓝线白鱼。", "属肉食性，以甲壳类为食。", "为食"]
    terms = stored_terms(tmp_path, sentences, [0, 0, 1], ["蓝线裸顶鲷", "蓝线裸顶鲷以什么为食"])
    pairs = character_pairs("蓝线裸顶鲷以什么为食？")
    weights = tuple(1.0 for _ in pairs)
    share = terms.beyond_headline(pairs, weights, np.arange(3))
    beyond = [p for p in pairs if p not in "蓝线裸顶鲷"]  # 鲷以 以什 什么 么为 为食
    assert share.tolist() == pytest.approx([0.0, 1 / len(beyond), 0.0])
    assert terms.beyond_headline((), (), np.arange(3)).tolist() == [0.0, 0.0, 0.0]


# An encyclopedia-like entry: the question names the entry's subject, which its first sentence repeats
# and the answering sentence does not.
ENTRY = {
    "title": "红斑裸顶鲷",
    "source": "entry",
    "text": (
        "红斑裸顶鲷，又称红斑白鱲，俗名龙尖，为辐鳍鱼纲鲈形目龙占鱼科的其中一个种。"
        "本鱼分布于印度洋和西太平洋的珊瑚礁海域。"
        "本鱼体呈银灰色，头部有数条蓝色线纹，背鳍与臀鳍呈淡红色。"
        "体长可达80公分，栖息在水深10至50米的沙泥底质海域。"
        "属肉食性，以底栖甲壳类和软体动物为食。"
    ),
}
OTHERS = [
    {"title": "株洲硬质合金", "text": "株洲硬质合金年产量占全国42%，是全国最大的硬质合金生产基地。", "source": "a"},
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "b"},
]


@pytest.fixture(scope="module")
def entry_service(service_over):
    return service_over([ENTRY, *OTHERS])


@pytest.mark.parametrize(("question", "answer"), [
    ("红斑裸顶鲷的体长约是多少公分？", "80公分"),
    # the learned ranker quoted the entry's first sentence, which restates the subject, for these
    # two (strict xfails) until the fourth pass: the first now finds 身体 and 颜色 past the headline
    # (beyond_headline); the second gains nothing from it (鲷吃, 吃什, 什么 are in no sentence), the
    # refitted model simply orders it otherwise, and may lose it again
    ("红斑裸顶鲷的身体是什么颜色的？", "银灰色"),
    ("红斑裸顶鲷吃什么？", "软体动物"),
    ("红斑裸顶鲷栖息在多深的海域？", "10至50米"),
    ("红斑裸顶鲷分布在哪里？", "印度洋"),
    ("红斑裸顶鲷的背鳍是什么颜色？", "淡红色"),
])
def test_inside_an_entry_the_question_words_beyond_its_subject_pick_the_sentence(entry_service, question, answer):
    reply = entry_service.ask(question)
    assert reply.answered
    assert answer in reply.passages[0].quote


def test_a_common_long_term_is_counted_from_a_sample_and_a_scattered_one_is_not_found(tmp_path):
    """A word in tens of thousands of sentences of a large archive had every one of them searched
    on every question asking it; its idf now comes from a sample, within a few per cent. Pairs of
    a term that occur apart are still no occurrence, however many sentences hold them."""
    from retrieval.index.terms import _DF_SAMPLE

    n = 3 * _DF_SAMPLE
    # every sentence holds both pairs of 株洲市 and of 甲乙丙; two in three hold 株洲市, none 甲乙丙
    sentences = [("株洲市" if i % 3 else "株洲在湖南，洲市很大") + f"，甲乙和乙丙第{i}句。" for i in range(n)]
    terms = stored_terms(tmp_path, sentences, list(range(n)), ["标题"] * n)
    exact = sum("株洲市" in s for s in sentences)
    assert exact > _DF_SAMPLE
    assert abs(terms.document_frequency("株洲市") - exact) <= 0.03 * exact
    assert terms.document_frequency("甲乙丙") == 0
