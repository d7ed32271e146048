"""evaluation.drcd: DRCD in simplified Chinese, split by article, with negatives made inside it."""

from __future__ import annotations

import json

from evaluation.drcd import convert, split_of
from evaluation.negatives import read_jsonl
from retrieval.text import normalize


def _drcd(titles: list[str]) -> dict:
    data = []
    for a, title in enumerate(titles):
        paragraphs = []
        for p in range(4):
            context = f"{title}第{p}段記載了這座城市的歷史。這裡的鐵路長約{p + 1}百公里。"
            qas = [
                {"id": f"{a}-{p}-1", "question": f"{title}第{p}段的鐵路長約多少?", "answers": [{"text": f"{p + 1}百公里", "answer_start": 0}]},
                {"id": f"{a}-{p}-2", "question": f"{title}第{p}段記載了什麼?", "answers": [{"text": "這座城市的歷史", "answer_start": 0}]},
            ]
            paragraphs.append({"id": f"{a}-{p}", "context": context, "qas": qas})
        data.append({"title": title, "id": str(a), "paragraphs": paragraphs})
    return {"data": data}


def test_drcd_is_simplified_split_by_article_with_both_kinds_of_negatives(tmp_path):
    titles = [f"條目{n}" for n in range(12)]
    src = tmp_path / "drcd.json"
    src.write_text(json.dumps(_drcd(titles), ensure_ascii=False), encoding="utf-8")
    counts = convert([src], tmp_path / "out")

    corpus = read_jsonl(tmp_path / "out" / "corpus.jsonl")
    train, held = (read_jsonl(tmp_path / "out" / f"{s}.jsonl") for s in ("train", "heldout"))
    assert counts["paragraphs"] == len(corpus) == 36  # one article in four left out, whole
    assert all("这座城市的历史" in r["text"] and "這" not in r["text"] for r in corpus)
    # every article's questions on one side only, the side its title's hash says
    for split, items in (("train", train), ("heldout", held)):
        assert {split_of(f"條目{q['id'].split('-')[1]}") for q in items} == {split}
    everything = train + held
    assert {q.get("absent") for q in everything} == {None, "fact_absent", "topic_absent"}
    for q in everything:
        assert normalize(q["question_traditional"]) == q["question"]  # the traditional text is kept
        if q["kind"] == "unanswerable":
            assert q["answers"] == [] and q["source"] is None
        else:
            text = next(r["text"] for r in corpus if r["source"] == q["source"])
            assert all(a in text for a in q["answers"])
    # a fact-absent question's answer is gone from its paragraph, the paragraph is not
    cut = next(q for q in everything if q.get("absent") == "fact_absent")
    paragraph = "drcd-" + cut["id"].rsplit("-", 1)[0].removeprefix("drcd-")
    assert any(r["source"] == paragraph for r in corpus)
    # a topic-absent question's article is gone whole: no paragraph of its title is in the corpus
    gone = {q["id"].split("-")[1] for q in everything if q.get("absent") == "topic_absent"}
    assert gone and not gone & {r["source"].split("-")[1] for r in corpus}
    assert not {f"条目{a}" for a in gone} & {r["title"] for r in corpus}
