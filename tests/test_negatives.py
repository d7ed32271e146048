"""evaluation.negatives: odd questions lose their answer sentence, even ones keep theirs."""

from __future__ import annotations

from evaluation import negatives as fact_absent


def _q(n: int, answer: str, occurrences: int = 1) -> dict:
    return {"id": f"P1_QUERY_{n}", "question": f"问题{n}?", "answers": [answer], "source": "cmrc-P1",
            "title": "词条", "kind": "cmrc", "answer_occurrences": occurrences}


def test_odd_questions_lose_their_sentence_and_become_unanswerable():
    text = "甲城建于1901年。甲城人口约30万。甲城的市花是杜鹃。甲城有两条河。"
    corpus = [{"title": "甲城", "text": text, "source": "cmrc-P1"}]
    questions = [_q(0, "1901年"), _q(1, "30万"), _q(2, "杜鹃"), _q(3, "两条河", occurrences=2)]
    new_corpus, new_questions = fact_absent.fact_absent(corpus, questions)

    assert new_corpus[0]["text"] == "甲城建于1901年。甲城的市花是杜鹃。甲城有两条河。"
    kinds = {q["id"]: q["kind"] for q in new_questions}
    assert kinds == {"P1_QUERY_0": "cmrc", "P1_QUERY_2": "cmrc", "P1_QUERY_1": "unanswerable"}
    negative = next(q for q in new_questions if q["kind"] == "unanswerable")
    assert negative["answers"] == [] and negative["source"] is None


def test_a_sentence_an_even_question_needs_is_kept():
    text = "乙镇盛产茶叶和竹笋。乙镇有一座古桥。"
    corpus = [{"title": "乙镇", "text": text, "source": "cmrc-P1"}]
    questions = [_q(0, "茶叶"), _q(1, "竹笋")]
    new_corpus, new_questions = fact_absent.fact_absent(corpus, questions)
    assert new_corpus[0]["text"] == text
    assert [q["kind"] for q in new_questions] == ["cmrc"]


def test_topic_absent_leaves_out_every_other_paragraph_and_its_questions_become_unanswerable():
    corpus = [{"title": t, "text": f"{t}很有名。", "source": f"cmrc-P{n}"} for n, t in enumerate(["甲", "乙", "丙"])]
    questions = [{**_q(0, "有名"), "source": f"cmrc-P{n}", "id": f"P{n}_QUERY_0"} for n in range(3)]
    new_corpus, new_questions = fact_absent.topic_absent(corpus, questions)
    assert [r["source"] for r in new_corpus] == ["cmrc-P0", "cmrc-P2"]
    assert [q["kind"] for q in new_questions] == ["cmrc", "unanswerable", "cmrc"]
    assert new_questions[1]["source"] is None and new_questions[1]["answers"] == []


def test_drcd_question_ids_number_their_questions_too():
    text = "丁河长约120公里。丁河流经三个县。"
    corpus = [{"title": "丁河", "text": text, "source": "drcd-9-1"}]
    questions = [{**_q(0, "120公里"), "id": "drcd-9-1-2", "source": "drcd-9-1"},
                 {**_q(1, "三个县"), "id": "drcd-9-1-3", "source": "drcd-9-1"}]
    new_corpus, new_questions = fact_absent.fact_absent(corpus, questions)
    assert new_corpus[0]["text"] == "丁河长约120公里。"
    assert [(q["id"], q["kind"]) for q in new_questions] == [("drcd-9-1-2", "cmrc"), ("drcd-9-1-3", "unanswerable")]
