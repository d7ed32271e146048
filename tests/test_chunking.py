"""Sentences and chunks keep offsets that cut verbatim text out of the article and its source."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from retrieval.corpus.chunking import MAX_SENTENCE_CHARS, chunk_articles, split_sentences
from retrieval.corpus.ingest import ingest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def norm(s: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", s))


def untagged(s: str) -> str:
    """Ingestion deletes HTML tags such as <sub> (and nothing else that is not white space or markup)."""
    return re.sub(r"</?[A-Za-z][^<>]*>|\*\*|#", "", s)


def test_chinese_sentence_boundaries():
    text = "他说：“我们来了。”大家很高兴！真的吗？是的；好……结束\n下一段 In 2002. The end"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["他说：“我们来了。”", "大家很高兴！", "真的吗？", "是的；好……", "结束", "下一段 In 2002.", "The end"]


def test_a_mark_inside_a_title_or_bracket_does_not_end_the_sentence():
    text = "节目《桃之阵!》(桃の阵!)请他主持。组合(包括岚及Hey! Say! JUMP)出版唱片。他说(笑)。好!(未闭合! 之后\n另一段)"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["节目《桃之阵!》(桃の阵!)请他主持。", "组合(包括岚及Hey! Say! JUMP)出版唱片。", "他说(笑)。", "好!", "(未闭合!", "之后", "另一段)"]


def test_long_sentences_are_cut_at_clause_marks():
    text = "，".join(["这是一个相当长的分句用来测试"] * 20) + "。"
    spans = split_sentences(text)
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert "".join(text[s:e] for s, e in spans) == text
    assert all(text[e - 1] in "，。" for s, e in spans)
    listing = "；".join(["第一项内容比较长一些用来测试分号的切分规则"] * 8) + "。"
    assert all(listing[e - 1] in "；。" for s, e in split_sentences(listing))


def test_chunks_on_the_seeds_round_trip_to_verbatim_source_text():
    corpus = ingest([SEEDS])
    sentences, chunks = chunk_articles(corpus.articles, max_chars=300, overlap=1, sources=corpus.sources)
    assert len(sentences) > 500 and len(chunks) > 100
    joined = 0
    for sentence, following in zip(sentences, sentences[1:]):
        if sentence.joins_next:  # two sentences quoted together are still one verbatim run
            article = corpus.articles[sentence.article]
            pair = article.text[sentence.start : following.end]
            assert norm(pair) in norm(untagged(corpus.sources[article.source]))
            joined += 1
    assert joined > 0.8 * len(sentences) - 2 * len(corpus.articles)
    dropped = [s for s in sentences if "其次是创新废土废渣处置模式" in corpus.articles[s.article].text[s.start : s.end]]
    assert len(dropped) == 1
    for sentence in sentences:
        article = corpus.articles[sentence.article]
        text = article.text[sentence.start : sentence.end]
        assert text and text == text.strip() and "\n" not in text
        # the same characters, read through the offsets, straight out of the source file
        source = corpus.sources[article.source]
        lo, hi = article.source_span(sentence.start, sentence.end)
        assert "".join(source[o] for o in article.offsets[sentence.start : sentence.end]) == text
        assert norm(text) in norm(untagged(source))
        assert len(norm(source[lo:hi])) >= len(norm(text))
    for chunk in chunks:
        article = corpus.articles[chunk.article]
        inner = sentences[chunk.first_sentence : chunk.last_sentence]
        assert chunk.start == inner[0].start and chunk.end == inner[-1].end
        assert chunk.end - chunk.start <= 300 or len(inner) == 1
        assert all(chunk.article == s.article for s in inner)


def test_consecutive_chunks_overlap_by_one_sentence():
    corpus = ingest([SEEDS])
    _, chunks = chunk_articles(corpus.articles[:3], max_chars=200, overlap=1)
    for a, b in zip(chunks, chunks[1:]):
        if a.article == b.article:
            assert b.first_sentence == a.last_sentence - 1
