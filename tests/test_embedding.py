"""The embedder on the real model: unit vectors, E5's asymmetric prompts, cross-lingual retrieval."""

from __future__ import annotations

import numpy as np

ANSWER = "株洲硬质合金年产量占全国42%，是全国最大的硬质合金生产基地。"
UNRELATED = [
    "明天白天多云转小雨，最高气温18摄氏度，请市民出行注意携带雨具。",
    "昨晚的足球联赛中，主队凭借下半场的进球以2比1战胜客队。",
    "市图书馆周末举办亲子阅读活动，欢迎家长带孩子参加。",
]


def test_vectors_are_unit_length_float32(embedder):
    assert embedder.dimension == 384
    assert embedder.identity
    for vectors in (embedder.encode_passages([ANSWER, *UNRELATED]), embedder.encode_queries(["株洲在哪里"])):
        assert vectors.dtype == np.float32 and vectors.shape[1] == 384
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_an_empty_matrix(embedder):
    assert embedder.encode_passages([]).shape == (0, 384)


def test_query_and_passage_prompts_are_applied(embedder):
    as_query = embedder.encode_queries([ANSWER])[0]
    as_passage = embedder.encode_passages([ANSWER])[0]
    similarity = float(as_query @ as_passage)
    assert 0.8 < similarity < 0.999, similarity


def test_batching_does_not_change_vectors(embedder):
    texts = [ANSWER, *UNRELATED, "短句"]
    together = embedder.encode_passages(texts, batch_size=8)
    alone = np.stack([embedder.encode_passages([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_english_question_finds_the_chinese_answer(embedder):
    passages = embedder.encode_passages([ANSWER, *UNRELATED])
    query = embedder.encode_queries(["What share of China's cemented carbide output comes from Zhuzhou?"])[0]
    scores = passages @ query
    assert scores.argmax() == 0
    assert scores[0] - scores[1:].max() > 0.02, scores


def test_questions_are_encoded_as_sentence_transformers_encodes_them(embedder):
    """Questions run through retrieval.model.bert, passages through sentence-transformers: the two
    must give one model's vectors, or every question would be compared with a different space."""
    questions = [
        "高新大厦有多高?", "How tall is the landmark building?", "株洲", "x", "2024年1月4日株洲日报头版说了什么？",
        "天元区" * 300,  # longer than the model's 512 tokens: cut as sentence-transformers cuts it
    ]
    assert embedder._questions is not None, "the converted E5 folder is a model bert.py computes"
    ours = embedder.encode_queries(questions)
    theirs = embedder._encode(questions, "query", batch_size=1, show_progress=False)
    np.testing.assert_allclose(ours, theirs, atol=2e-5)

