"""The newspaper as a newspaper, through the answering service over the real seed index: issue
dates in citations, issues and their headlines, the whole article behind a quote, and the words
of a quote that answer."""

from __future__ import annotations

import pytest

from retrieval.errors import LookupFailed
from retrieval.text import key as norm


def test_citations_carry_the_issue_date_marked_inferred(seed_service):
    first = seed_service.ask("高新大厦有多高?").passages[0]
    assert first.source.startswith("004_")
    assert first.date == "12月22日"  # the dateline, as printed
    assert first.issue_date == "2023-12-22 (inferred)"
    assert first.to_json()["issue_date"] == "2023-12-22 (inferred)"


def test_issues_newest_first_and_one_issue_by_date_or_file_name(seed_service):
    issues = seed_service.issues()
    assert [i.date for i in issues] == ["2025-03-09", "2024-01-05", "2023-12-22", "2023-03-26", "2023-01-31"]
    assert all(i.inferred and i.date_label.endswith("(inferred)") for i in issues)
    assert sum(i.articles for i in issues) == len(seed_service.index.articles)
    by_date = seed_service.issue("2024-01-05")
    assert by_date.issue.key.startswith("002_")
    assert seed_service.issue("20240105") == by_date
    assert seed_service.issue("002_b290fb6dc75b2668.txt") == by_date
    assert seed_service.issue("002_b290fb6dc75b2668") == by_date
    assert seed_service.issue("002") == by_date
    assert "做大做强硬质合金产业集群" in [h.title for h in by_date.headlines]
    assert seed_service.latest().issue.date == "2025-03-09"


@pytest.mark.parametrize("key", ["1999-01-01", "nonsense", "00"])
def test_an_unknown_or_ambiguous_issue_is_one_clear_line(seed_service, key):
    with pytest.raises(LookupFailed) as err:
        seed_service.issue(key)
    message = str(err.value)
    assert "\n" not in message and key in message and "2024-01-05" in message


def test_the_full_article_behind_a_quote_marks_the_quoted_sentence(seed_service):
    passage = seed_service.ask("高新大厦有多高?").passages[0]
    article = seed_service.article(passage.article, (passage.article_start, passage.article_start + len(passage.quote)))
    assert article.title == passage.title and article.issue_date == passage.issue_date
    assert article.text[article.mark_start : article.mark_end] == passage.quote
    assert norm(passage.context) in norm(article.text) and len(article.text) > len(passage.context)
    listed = seed_service.article(passage.article)
    assert not listed.marked and listed.text == article.text
    with pytest.raises(LookupFailed, match="no article 9999"):
        seed_service.article(9999)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("高新大厦有多高?", "168米"),
        ("株洲硬质合金产量占全国多少", "42%"),
        ("三一硅能株洲基地建设用了多少天?", "152天"),
    ],
)
def test_the_words_that_answer_are_marked_inside_the_quote(seed_service, question, answer):
    passage = seed_service.ask(question).passages[0]
    assert passage.quote[passage.answer_start : passage.answer_end] == answer
    assert passage.to_json()["answer"] == [passage.answer_start, passage.answer_end]
    more = seed_service.more(seed_service.ask(question, top_k=1), 3)
    assert more[0].answer_start == passage.answer_start  # paging marks the same words


def test_a_question_asking_for_no_kind_of_thing_marks_nothing(seed_service):
    passage = seed_service.ask("株洲产研所培育出了什么系列品牌?").passages[0]
    assert not passage.has_answer_span and passage.to_json()["answer"] is None


# -- questions naming a date ------------------------------------------------------------------


def test_an_absolute_date_in_the_question_is_used_and_said(seed_service):
    answer = seed_service.ask("3月9日哪个项目复工了?")
    assert answer.when == "03-09" and answer.on_date
    assert "蓝谷小镇" in answer.passages[0].quote
    assert answer.to_json()["date"] == {"used": "03-09", "matched": True}


def test_a_relative_date_counts_from_the_newest_issue(seed_service):
    answer = seed_service.ask("昨天哪里的油菜花盛开?")
    assert answer.when == "昨天 → 2025-03-08, relative to the newest issue (2025-03-09 (inferred))"
    assert answer.on_date and "徐家塘村" in answer.passages[0].quote
    english = seed_service.ask("Where were the rapeseed flowers in full bloom yesterday?")
    assert english.when.startswith("yesterday → 2025-03-08")


def test_a_date_nothing_was_printed_on_is_said_and_not_invented(seed_service):
    answer = seed_service.ask("上个月高新大厦有多高?")
    assert answer.when.startswith("上个月 → 2025-02-01 – 2025-02-28")
    assert not answer.on_date  # nothing dated February: the passages are from any date, and say so
    plain = seed_service.ask("高新大厦有多高?")
    assert plain.when is None and "date" not in plain.to_json()


# -- follow-up questions ------------------------------------------------------------------------


def test_a_follow_up_leans_on_the_last_answer_and_says_how_it_was_read(seed_service):
    first = seed_service.ask("1月4日谁调研了湖南先进硬质材料产业园?")
    follow = seed_service.ask("他还参加了市长陈恢清对哪位客人的会见?", previous=first)
    assert follow.read_as == "他 → 刘亚亮" and follow.to_json()["read_as"] == "他 → 刘亚亮"
    assert any("宋玮" in p.quote for p in follow.passages)
    ellipsis = seed_service.ask("那E区呢?", previous=seed_service.ask("蓝谷小镇低层区A区的业主筹集了多少钱?"))
    assert ellipsis.read_as.endswith("蓝谷小镇低层区E区的业主筹集了多少钱?")
    assert "146.24万元" in ellipsis.passages[0].quote
    again = seed_service.ask("还有呢?", previous=first)
    assert again.read_as and not {p.quote for p in again.passages} & {p.quote for p in first.passages}


def test_a_question_leaning_on_nothing_is_asked_as_without_a_conversation(seed_service):
    previous = seed_service.ask("1月4日谁调研了湖南先进硬质材料产业园?")
    alone, after = seed_service.ask("高新大厦有多高?"), seed_service.ask("高新大厦有多高?", previous=previous)
    assert after.read_as is None and after.passages == alone.passages and after.ranked == alone.ranked
    assert seed_service.ask("他是谁?").read_as is None  # no previous answer: nothing to lean on


def test_the_follow_up_set_is_measured(seed_service):
    from pathlib import Path

    from evaluation.followups import load_pairs, run

    pairs = load_pairs(Path(__file__).resolve().parents[1] / "evaluation_data" / "followups.jsonl")
    in_context, alone, read = run(pairs, seed_service)
    assert len(read) == len(pairs) == 8
    # measured: 0.875 against 0.750 when written; 0.750 against 0.750 since English questions are
    # translated (the English pair's first answer now quotes another article of the same topic)
    assert in_context.overall()["hit@1"] >= alone.overall()["hit@1"] >= 0.75
    assert in_context.overall()["verbatim"] == 1.0
