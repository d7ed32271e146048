"""Nearest vectors: exact over a memory-mapped matrix, or approximate (FAISS IVF) with exact rescoring.

The unit vectors are stored once, float32, as ``.npy``; loading maps them, so opening costs nothing
and every candidate can be scored exactly (``matrix[ids] @ q``). Up to
``Tuning.approximate_above`` rows a search is one matrix-vector product over the map (a few ms per
10k rows). Above it, the build also writes an IVF index with 8-bit scalar-quantized codes
(a quarter of the float size): a search probes ``approximate_probes_per_sqrt`` × √lists of them, and the best
``approximate_rescore`` × k of what it finds are rescored exactly from the float matrix, so the
returned order is the exact cosine order of the candidates.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from retrieval.index.terms import mapped
from retrieval.ranking.tuning import TUNING, Tuning


def top_ids(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best ``ids`` by score, best first; ties go to the smaller id."""
    if k <= 0 or not len(ids):
        return ids[:0]
    if len(ids) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        # everything scoring exactly the k-th score competes, so that ties break by id
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
        scores, ids = scores[part], ids[part]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order]


class VectorSearch:
    """Search over one set of stored unit vectors (sentences, or chunks)."""

    def __init__(self, matrix: np.ndarray, approximate: faiss.Index | None, tuning: Tuning = TUNING) -> None:
        self.matrix = matrix
        self.approximate = approximate
        self.tuning = tuning

    def __len__(self) -> int:
        return len(self.matrix)

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Ids of the ``k`` rows nearest to the unit vector ``query``, best first."""
        k = min(k, len(self))
        if self.approximate is None:
            return top_ids(self.matrix @ query, np.arange(len(self)), k)
        found = self.approximate.search(query[None, :], k * self.tuning.approximate_rescore)[1][0]
        found = np.unique(found[found >= 0])
        return top_ids(self.matrix[found] @ query, found, k)

    @staticmethod
    def write(directory: Path, name: str, vectors: np.ndarray, tuning: Tuning = TUNING) -> bool:
        """Store ``vectors`` as ``{name}_vectors.npy`` and, when there are more than
        ``approximate_above`` of them, an IVF index ``{name}.ivf``; says whether it wrote one."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        np.save(directory / f"{name}_vectors.npy", vectors)
        if len(vectors) <= tuning.approximate_above:
            return False
        faiss.write_index(approximate_index(vectors, tuning), str(directory / f"{name}.ivf"))
        return True

    @classmethod
    def load(cls, directory: Path, name: str, tuning: Tuning = TUNING) -> VectorSearch:
        matrix = mapped(directory / f"{name}_vectors.npy")
        path = directory / f"{name}.ivf"
        approximate = None
        if path.exists():
            # mapped like the matrix: the probed lists are read when searched, not at open
            approximate = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
            ivf = faiss.extract_index_ivf(approximate)
            ivf.nprobe = probes(ivf.nlist, tuning)
        return cls(matrix, approximate, tuning)


def approximate_index(vectors: np.ndarray, tuning: Tuning = TUNING) -> faiss.Index:
    """IVF with 8-bit scalar-quantized codes over unit vectors (inner product), trained on a fixed
    sample of them: ``approximate_lists_per_sqrt`` × √n lists."""
    n, d = vectors.shape
    lists = max(1, int(tuning.approximate_lists_per_sqrt * math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFScalarQuantizer(quantizer, d, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(n, size=min(n, tuning.approximate_train_per_list * lists), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.nprobe = probes(lists, tuning)
    return index


def probes(lists: int, tuning: Tuning = TUNING) -> int:
    """How many of ``lists`` IVF lists a search looks into."""
    return max(1, min(lists, math.ceil(tuning.approximate_probes_per_sqrt * math.sqrt(lists))))
