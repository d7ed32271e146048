"""A question's embedding in a dozen torch operations, straight from the model's memory-mapped weights.

Why not sentence-transformers for questions too: a reader waits for the first answer, and loading
``SentenceTransformer`` costs about 6 s on the 2-core box (importing transformers and
sentence-transformers, then copying 470 MB of weights, 384 MB of them the embedding table), and its
per-call machinery (tokenizer wrapper, padding, batching, hooks) was a third of a question's encode
time. A question is one short sequence: no padding, no batch, no attention mask. This runs the same
arithmetic as ``BertModel`` with sentence-transformers' mean pooling and normalisation (post-LN
encoder, exact erf GELU, softmax attention scaled by ``1/sqrt(head_dim)``, positions from 0) on
tensors that view the ``model.safetensors`` file, so the embedding table is read from the page
cache only where a question's tokens touch it. Builds still embed through sentence-transformers
(batches, padding, progress bars); ``tests/test_embedding.py`` holds both to the same vectors.

Only the layout our PyPI conversion writes (and any BERT-architecture sentence-transformers folder
with mean pooling and normalisation) is understood; :func:`load` returns None for anything else and
the caller falls back to sentence-transformers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]
_DTYPES = {"F32": np.float32}


def _safetensors(path: Path, mapped: str) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file: ``mapped`` as a copy-on-write view of the file (its pages
    are read when touched), the others read into memory in one pass (faulting 85 MB of layer
    weights in through a private mapping took half a second; a plain read takes a twentieth)."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
        tensors = {}
        for name, spec in header.items():
            if name == "__metadata__":
                continue
            dtype = _DTYPES.get(spec["dtype"])
            if dtype is None:
                raise ValueError(f"{path.name}: tensor {name} is {spec['dtype']}, not float32")
            start, end = spec["data_offsets"]
            if name == mapped:
                view = np.memmap(path, dtype=np.uint8, mode="c", offset=8 + size + start, shape=(end - start,))
                tensors[name] = view.view(dtype).reshape(spec["shape"])
            else:
                handle.seek(8 + size + start)
                tensors[name] = np.frombuffer(bytearray(handle.read(end - start)), dtype=dtype).reshape(spec["shape"])
    return tensors


def _understood(folder: Path) -> dict | None:
    """The BERT config of ``folder`` when it is a model :class:`QuestionEncoder` computes exactly."""
    try:
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text(encoding="utf-8"))]
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    plain_bert = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
    )
    ok = modules == _MODULES and mean_only and plain_bert and (folder / "model.safetensors").is_file()
    return config if ok else None


class QuestionEncoder:
    """One question in, one unit vector out (float32, the model's dimension)."""

    def __init__(self, folder: Path, config: dict, prompt: str, max_tokens: int) -> None:
        import torch
        from tokenizers import Tokenizer

        self._torch = torch
        self.prompt = prompt
        self.dimension = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # as sentence-transformers truncates: the text is cut, the special tokens stay
        self._tokenizer.enable_truncation(max_length=min(max_tokens, int(config["max_position_embeddings"])))
        self._tokenizer.no_padding()
        words = "embeddings.word_embeddings.weight"
        w = {name: torch.from_numpy(t) for name, t in _safetensors(folder / "model.safetensors", words).items()}
        self._words = w[words]  # a view of the file: a row is read when a question's token needs it
        self._positions = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def get(name: str, p: str = p) -> torch.Tensor:
                return w[p + name]

            attention = [f"attention.self.{part}" for part in ("query", "key", "value")]
            self._layers.append((
                torch.cat([get(a + ".weight") for a in attention]), torch.cat([get(a + ".bias") for a in attention]),
                get("attention.output.dense.weight"), get("attention.output.dense.bias"),
                get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"),
                get("intermediate.dense.weight"), get("intermediate.dense.bias"),
                get("output.dense.weight"), get("output.dense.bias"),
                get("output.LayerNorm.weight"), get("output.LayerNorm.bias"),
            ))

    def encode(self, text: str) -> np.ndarray:
        """The question's vector, as ``SentenceTransformer.encode(prompt + text, normalize_embeddings=True)``."""
        torch = self._torch
        from torch.nn import functional as F

        ids = self._tokenizer.encode(self.prompt + text).ids
        n, d, heads = len(ids), self.dimension, self._heads
        with torch.inference_mode():
            x = self._words[torch.tensor(ids)] + self._positions[:n] + self._type0
            x = F.layer_norm(x, (d,), *self._norm, self._eps)
            for qkv_w, qkv_b, out_w, out_b, ln1_w, ln1_b, up_w, up_b, down_w, down_b, ln2_w, ln2_b in self._layers:
                q, k, v = F.linear(x, qkv_w, qkv_b).view(n, 3, heads, d // heads).permute(1, 2, 0, 3)
                attended = F.scaled_dot_product_attention(q, k, v).transpose(0, 1).reshape(n, d)
                x = F.layer_norm(x + F.linear(attended, out_w, out_b), (d,), ln1_w, ln1_b, self._eps)
                x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, up_w, up_b)), down_w, down_b), (d,), ln2_w, ln2_b, self._eps)
            pooled = x.mean(0)
            return (pooled / pooled.norm().clamp_min(1e-12)).numpy().astype(np.float32, copy=False)


def load(folder: Path, prompt: str, max_tokens: int = 512) -> QuestionEncoder | None:
    """A :class:`QuestionEncoder` for ``folder``, or None when the folder holds a model it does not
    compute exactly (another architecture, pooling or weight format)."""
    config = _understood(folder)
    if config is None:
        return None
    try:
        return QuestionEncoder(folder, config, prompt, max_tokens)
    except (OSError, ValueError, KeyError):  # a damaged file: sentence-transformers will say what is wrong
        return None
