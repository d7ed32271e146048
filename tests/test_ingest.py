"""Ingestion of the real seed issues, and of the bad files real archives contain."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from retrieval.corpus.ingest import ingest
from retrieval.corpus.issues import parse_issue

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CJK = r"[\u4e00-\u9fff]"


@pytest.fixture(scope="module")
def corpus():
    return ingest([SEEDS])


def by_title(corpus, prefix):
    found = [a for a in corpus.articles if a.title.startswith(prefix)]
    assert len(found) == 1, (prefix, [a.title for a in found])
    return found[0]


def test_article_counts_per_issue_match_a_hand_count(corpus):
    # Counted by hand from the files: 000 has 8 '##' articles; 001 the lost-notice block plus 6
    # headlines; 002 10 '##'/'#' articles, 3 '◀◀上接01版' continuations and the 寻亲公告;
    # 003 11 bare headlines; 004 8 bylined PDF articles with their headlines printed after them.
    counts = Counter(a.source[:3] for a in corpus.articles)
    assert counts == {"000": 8, "001": 7, "002": 14, "003": 11, "004": 8}
    assert corpus.problems == []


@pytest.mark.parametrize(
    "title",
    [
        "架起“连心桥” 共绘“同心圆”",  # markdown ##
        "省市社科联与企业共建智库联盟",  # bare headline line
        "从“看天吃饭”到“四季不断”",  # '#' with a '###' sub-heading
        "为文明立法 促株洲进阶",  # column name and author around the headline
        "“武广地标”转型记",  # PDF, headline printed after the article
        "陈恢清会见 北汽股份宋玮一行",  # PDF, last headline of the file
        "泛投资机构向“园”方",
    ],
)
def test_specific_titles_are_found(corpus, title):
    assert title in {a.title for a in corpus.articles}


def test_no_body_starts_with_another_articles_headline(corpus):
    titles = {a.title for a in corpus.articles if len(a.title) >= 4}
    for article in corpus.articles:
        first_line = next(p for p in article.text.split("\n") if p not in article.byline)
        for title in titles:
            assert not first_line.startswith(title), (article.title, title)


def test_pdf_text_is_joined_and_free_of_intra_word_spaces(corpus):
    pdf = [a for a in corpus.articles if a.source.startswith("004")]
    for article in pdf:
        for para in article.text.split("\n"):
            if "/" in para:  # byline paragraphs keep the space between names ("谭龙 杨帆")
                continue
            assert not re.search(rf"{CJK}\s+{CJK}", para), article.title
            assert not re.search(rf"{CJK}\s+\d|\d\s+{CJK}", para), article.title
    wuguang = by_title(corpus, "“武广地标”")
    assert "高新大厦，是曾经的株洲“第一高”，楼高达168米，" in wuguang.text
    assert "城发集团相关负责人介绍，" in wuguang.text  # was "城 发 集 团 相 关 …"
    assert wuguang.date == "12月22日"


def test_headlines_printed_after_their_articles_go_to_the_right_body(corpus):
    # three headlines printed together after three bodies, in a different order
    assert "株洲城市数智中心项目建设阶段性成果发布" in by_title(corpus, "城市数智中心项目建设阶段性成果发布").text
    assert "中车株洲所" in by_title(corpus, "曹慧泉在中车在株企业调研时强调").text
    assert "中央政治局" in by_title(corpus, "中共中央政治局召开专题民主生活会强调").text
    assert "合肥经验" in by_title(corpus, "曹慧泉主持召开市委全面深化改革委员会").text


def test_markup_markers_and_tags_are_gone(corpus):
    for article in corpus.articles:
        for junk in ("◀◀", "上接01版", "<sub>", "**", "## "):
            assert junk not in article.text, (article.title, junk)
    assert "O2NRAMP5" in by_title(corpus, "市农科所").text


def test_page_break_cuts_are_joined(corpus):
    assert "社会治理同频共振的探索并不少" in by_title(corpus, "架起“连心桥”").text
    assert "妇女群众的学习、交友平台" in by_title(corpus, "妇女“织爱”").text
    assert "编纂领导小组的具体领导下进行" in by_title(corpus, "中共株洲市组织史").text


def test_duplicated_paragraphs_are_kept_once_in_the_article_they_belong_to(corpus):
    texts = "\n".join(a.text for a in corpus.articles)
    assert texts.count("其次是创新废土废渣处置模式") == 1
    assert texts.count("强化文明治理。市人大常委会还在审议中提出") == 1
    assert "强化文明治理" in by_title(corpus, "为文明立法").text


def test_bylines_and_datelines(corpus):
    article = by_title(corpus, "省市社科联与企业共建智库联盟")
    assert article.byline == "株洲日报讯(全媒体记者/成姣兰 通讯员/邓筱雨)"
    assert article.date == "1月31日"
    # bylines stay quotable, as paragraphs of their own
    assert article.text.startswith("株洲日报讯(全媒体记者/成姣兰 通讯员/邓筱雨)\n1月31日,湖南省省情与对策研究中心")
    lianxin = by_title(corpus, "架起“连心桥”")
    assert lianxin.subtitle == "——统战工作融入基层党建和社会治理的株洲探索"
    assert lianxin.byline == "株洲日报全媒体记者/刘琼 通讯员/陈飞"
    assert lianxin.text.startswith("株洲日报全媒体记者/刘琼\n通讯员/陈飞\n在荷塘区合泰片区")
    assert by_title(corpus, "以工业思维 做好土特产加工文章").text.startswith("茶陵县政协委员 刘益华\n")
    assert by_title(corpus, "油菜花开").byline == "株洲日报全媒体记者/刘平 摄"
    assert all(a.date is None or not a.date.startswith("20") or "年" in a.date for a in corpus.articles)


def test_every_character_maps_back_to_the_source(corpus):
    for article in corpus.articles:
        source = corpus.sources[article.source]
        assert len(article.offsets) == len(article.text)
        assert list(article.offsets) == sorted(article.offsets)
        # paragraph breaks map to a white-space character of the source, everything else to itself
        assert all(source[o] == c or (c == "\n" and source[o].isspace()) for o, c in zip(article.offsets, article.text))


def test_gbk_file_is_decoded(tmp_path):
    text = "株洲新闻标题\n\n株洲日报讯(记者/张三) 1月2日,株洲召开会议。会议强调要做好工作。\n"
    (tmp_path / "gbk.txt").write_bytes(text.encode("gbk"))
    corpus = ingest([tmp_path])
    assert corpus.problems == []
    assert corpus.articles[0].title == "株洲新闻标题"
    assert "会议强调要做好工作。" in corpus.articles[0].text


def test_bad_files_are_reported_and_never_stop_the_others(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"  \n\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.md").write_bytes(b"\xff\xfe\xfa" + "标题".encode("utf-8") + b"\x81")
    (tmp_path / "good.md").write_text("## 好标题\n\n正文第一句。正文第二句。\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    corpus = ingest([tmp_path])
    assert [a.title for a in corpus.articles] == ["好标题"]
    problems = "\n".join(corpus.problems)
    assert "empty.txt: empty file" in problems
    assert "binary.txt" in problems and "binary" in problems
    assert "broken.md" in problems
    assert "notes.pdf" not in problems  # not a corpus file type: not even looked at


def test_missing_path_is_a_clear_error(tmp_path):
    from retrieval.errors import IngestError

    with pytest.raises(IngestError, match="no such file"):
        ingest([tmp_path / "nope"])


def test_jsonl_records(tmp_path):
    lines = [
        json.dumps({"title": "标题一", "text": "第一条正文。第二句。", "source": "s1", "date": "2024年1月1日"}, ensure_ascii=False),
        "{not json",
        json.dumps({"title": "无正文"}, ensure_ascii=False),
        json.dumps({"title": "标题二", "text": "另一条<b>正文</b>。"}, ensure_ascii=False),
    ]
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = ingest([tmp_path / "records.jsonl"])
    assert [(a.title, a.source, a.date) for a in corpus.articles] == [
        ("标题一", "s1", "2024年1月1日"),
        ("标题二", "records.jsonl:4", None),
    ]
    assert corpus.articles[1].text == "另一条正文。"  # inline tags go, their text stays
    assert corpus.sources["s1"] == "第一条正文。第二句。"
    assert any("records.jsonl:2" in p for p in corpus.problems)
    assert any("records.jsonl:3" in p and "text" in p for p in corpus.problems)


def test_block_tags_in_records_end_paragraphs(tmp_path):
    text = "第一句。<br>第二句<sub>2</sub>。<p>第三句。"
    (tmp_path / "r.jsonl").write_text(json.dumps({"title": "t", "text": text}, ensure_ascii=False), encoding="utf-8")
    article = ingest([tmp_path]).articles[0]
    assert article.text == "第一句。\n第二句2。\n第三句。"
    assert all(text[o] == c for o, c in zip(article.offsets, article.text) if c != "\n")


def test_headline_first_issue_in_plain_text():
    text = "第一条新闻\n\n株洲日报讯(全媒体记者/甲) 3月1日,事情发生了。\n\n小标题一行\n\n更多正文。\n\n第二条新闻\n副题在这里\n\n正文二。\n"
    articles = parse_issue(text, "x.txt")
    assert [a.title for a in articles] == ["第一条新闻", "第二条新闻"]
    assert articles[0].text == "株洲日报讯(全媒体记者/甲)\n3月1日,事情发生了。\n小标题一行\n更多正文。"
    assert articles[0].date == "3月1日"
    assert articles[1].subtitle == "副题在这里"


def test_every_paragraph_reads_verbatim_in_its_source(corpus):
    """Markup is only ever removed at paragraph edges (or as whole HTML tags), so each paragraph is
    found in the source once white space is ignored — the scoring rule for quotes."""

    def norm(s: str) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", s))

    for article in corpus.articles:
        source = norm(re.sub(r"</?[A-Za-z][^<>]*>", "", corpus.sources[article.source]))
        for paragraph in article.text.split("\n"):
            assert norm(paragraph) in source, (article.title, paragraph[:40])
