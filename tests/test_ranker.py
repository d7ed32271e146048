"""The learned ranker and the calibrated "not found" (retrieval/ranking/ranker.py): the shipped
models read the features the production search computes, and judge small hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest
from test_date_questions import ARTICLES as DATED

from retrieval.ranking.ranker import FEATURES, RANKER, Calibrator, features
from retrieval.ranking.search import Candidates, rank

# the bridge and the weather of the date questions' corpus, with a canteen in place of the peaches
BRIDGE, WEATHER = (next(a for a in DATED if a["source"] == source) for source in ("bridge", "weather"))
ARTICLES = [
    BRIDGE,
    {
        "title": "社区食堂开张",
        "source": "canteen",
        "text": "12月1日,荷塘区月塘街道首家社区食堂开张,一荤两素一份12元。食堂由街道和一家餐饮企业共同运营。",
    },
    WEATHER,
]


def _candidates(dense, answer_type, *, english=False) -> Candidates:
    n = len(dense)
    col = lambda v: np.asarray(v, dtype=np.float32)  # noqa: E731
    return Candidates(
        ids=np.arange(n), dense=col(dense), chunk=col(dense), window_coverage=col([0.5] * n),
        context_coverage=col([0.5] * n), answer_type=col(answer_type), byline=col([0] * n),
        neighbour=col([0.8] * n), bm25=col([1.0] * n), sentence_coverage=col([0.5] * n),
        position=col(range(n)), length=col([40] * n), beyond_headline=col([0.5] * n), neighbour_type=col([0] * n),
        attribute=col([1] * n), asks_type=True, english=english, keywords=3,
    )


def test_the_shipped_ranker_reads_the_features_of_this_code():
    assert RANKER.booster.feature_name() == list(FEATURES)  # the property also refuses a mismatch


def test_feature_rows_hold_the_gaps_to_the_best_and_the_question_facts():
    x = features(_candidates([0.9, 0.7], [1, 0]))
    col = {name: i for i, name in enumerate(FEATURES)}
    assert x.shape == (2, len(FEATURES))
    assert x[:, col["dense_gap"]] == pytest.approx([0.0, -0.2])
    assert x[:, col["asks_type"]].tolist() == [1.0, 1.0] and x[:, col["keywords"]].tolist() == [3.0, 3.0]


def test_of_two_equal_sentences_the_one_holding_what_was_asked_ranks_first():
    hits = rank(_candidates([0.9, 0.9], [0, 1]))
    assert hits[0].sentence == 1


def test_without_the_ranker_the_order_is_the_fused_score():
    c = _candidates([0.7, 0.9, 0.8], [0, 0, 0], english=True)
    assert [h.sentence for h in rank(c, learned=False)] == [1, 2, 0]
    scores = [h.score for h in rank(c, learned=False)]
    assert scores == sorted(scores, reverse=True)


def test_the_calibrator_rises_with_the_confidence_and_is_platt():
    cal = RANKER.calibrator
    assert cal.slope > 0
    assert 0 < cal.probability(0.9) < cal.probability(1.19) < cal.probability(1.5) < 1
    assert Calibrator(2.0, -1.0).probability(1.0) == pytest.approx(1 / (1 + np.exp(-1.0)))


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def test_a_year_question_is_answered_with_its_probability(service):
    answer = service.ask("城西大桥是哪一年建成通车的?")
    assert answer.answered and "1998年" in answer.passages[0].quote
    assert answer.probability >= service.settings.min_probability
    assert answer.to_json()["probability"] == round(answer.probability, 3)


def test_a_question_whose_topic_is_there_but_not_its_fact_is_declined(service):
    # the bridge is in the paper, its designer is not
    answer = service.ask("城西大桥的设计师是谁?")
    assert not answer.answered and not answer.passages
    assert answer.probability < service.settings.min_probability


def test_a_thing_described_instead_of_named_is_found(service):
    # a reader who does not know the bridge's name describes it by what the paper says of it
    answer = service.ask("全市当时最长的那座桥全长多少米?")
    assert answer.answered and "1280米" in answer.passages[0].quote


def test_an_answer_under_the_sure_probability_is_answered_but_not_sure(service):
    question = "城西大桥是哪一年建成通车的?"
    answer = service.ask(question)
    assert answer.sure == (answer.probability >= service.settings.sure_probability)
    settings = service.settings
    try:  # the same answer, judged by a stricter and a laxer service
        service.settings = settings.model_copy(update={"sure_probability": 1.0})
        doubtful = service.ask(question)
        service.settings = settings.model_copy(update={"sure_probability": 0.0})
        sure = service.ask(question)
    finally:
        service.settings = settings
    assert doubtful.answered and not doubtful.sure and doubtful.passages == answer.passages
    assert sure.answered and sure.sure
    declined = service.ask("城西大桥的设计师是谁?")
    assert not declined.answered and declined.sure is False


def test_a_company_the_paper_never_names_is_not_an_answer(service):
    # the canteen is in the paper and so is who runs it, but only as "一家餐饮企业": no name
    answer = service.ask("月塘街道社区食堂的运营企业叫什么名字?")
    assert not answer.answered and not answer.passages
    # what the paper does say of it is answered
    assert "12元" in service.ask("月塘街道社区食堂一份多少钱?").passages[0].quote
