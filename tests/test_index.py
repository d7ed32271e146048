"""Index manifest checks and atomic rebuilds, on a small real corpus with the real model."""

from __future__ import annotations

import json

import pytest

from retrieval.errors import IndexMissingError, NewsqaError, StaleIndexError
from evaluation.squad import write_jsonl
from retrieval.service import AnswerService, build

ARTICLES = [
    {"title": "株洲硬质合金", "text": "株洲硬质合金年产量占全国42%，是全国最大的硬质合金生产基地。", "source": "a"},
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "b"},
]


@pytest.fixture
def small(tmp_path, model_settings):
    corpus = tmp_path / "corpus.jsonl"
    write_jsonl(corpus, ARTICLES)
    return model_settings.model_copy(update={"corpus_paths": [corpus], "index_dir": tmp_path / "idx"})


def test_missing_index_says_how_to_build_it(small, embedder):
    with pytest.raises(IndexMissingError, match="newsqa build"):
        AnswerService.open(small, embedder=embedder)


def build_and_tamper(settings, embedder, **changes):
    """A real index whose manifest then claims it was built differently."""
    build(settings, embedder=embedder)
    path = settings.index_dir / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_index_built_with_another_model_is_refused(small, embedder):
    build_and_tamper(small, embedder, model="someone/else-small@hf:abc")
    with pytest.raises(StaleIndexError, match=r"someone/else-small.*Rebuild it: newsqa build"):
        AnswerService.open(small, embedder=embedder)


def test_index_built_by_another_chunker_is_refused(small, embedder):
    build_and_tamper(small, embedder, chunker="0")
    with pytest.raises(StaleIndexError, match="chunker version 0"):
        AnswerService.open(small, embedder=embedder)
    other_chunks = small.model_copy(update={"chunk_max_chars": 120})
    build(small, embedder=embedder)
    with pytest.raises(StaleIndexError, match="120"):
        AnswerService.open(other_chunks, embedder=embedder)


def test_damaged_index_is_reported_not_crashed(small, embedder):
    build(small, embedder=embedder)
    (small.index_dir / "sentence_vectors.npy").write_bytes(b"garbage")
    with pytest.raises(StaleIndexError, match="damaged"):
        AnswerService.open(small, embedder=embedder)


def test_interrupted_rebuild_leaves_the_previous_index_usable(small, embedder, tmp_path):
    build(small, embedder=embedder)
    before = AnswerService.open(small, embedder=embedder).ask("株洲硬质合金产量占全国多少").passages[0].quote

    write_jsonl(small.corpus_paths[0], ARTICLES + [{"title": "新", "text": "新的文章。", "source": "c"}])

    def crash(message: str) -> None:
        if message.startswith("Embedding chunks"):
            raise KeyboardInterrupt  # Ctrl-C halfway through the rebuild

    with pytest.raises(KeyboardInterrupt):
        build(small, embedder=embedder, progress=crash)
    service = AnswerService.open(small, embedder=embedder)
    assert service.ask("株洲硬质合金产量占全国多少").passages[0].quote == before
    assert service.info().articles == 2
    assert service.corpus_changes()  # and it knows the corpus moved on
    versions = small.index_dir.parent / "idx.versions"
    assert not [p for p in versions.iterdir() if p.name.startswith(".building")]

    build(small, embedder=embedder)
    assert AnswerService.open(small, embedder=embedder).info().articles == 3
    # older versions are cleaned up; the one just replaced stays for readers still opening it
    assert len(list(versions.iterdir())) == 2


def test_build_if_needed_builds_and_rebuilds_on_corpus_change(small, embedder):
    service = AnswerService.open(small, embedder=embedder, build_if_needed=True)
    assert service.info().articles == 2
    write_jsonl(small.corpus_paths[0], ARTICLES[:1])
    assert AnswerService.open(small, embedder=embedder, build_if_needed=True).info().articles == 1


def test_never_builds_over_a_directory_that_is_not_an_index(small, embedder):
    small.index_dir.mkdir()
    (small.index_dir / "precious.txt").write_text("keep me")
    with pytest.raises(NewsqaError, match="not a newsqa index"):
        build(small, embedder=embedder)
    assert (small.index_dir / "precious.txt").read_text() == "keep me"


def test_a_corpus_without_articles_is_an_error_and_keeps_the_old_index(small, embedder, tmp_path):
    build(small, embedder=embedder)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NewsqaError, match="No articles found"):
        build(small.model_copy(update={"corpus_paths": [empty]}), embedder=embedder)
    assert AnswerService.open(small, embedder=embedder).info().articles == 2
