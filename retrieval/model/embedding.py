"""Sentence embeddings for questions and archive passages, from one model loaded once per process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from retrieval.errors import ModelUnavailableError
from retrieval.model import bert
from retrieval.model.provision import E5_PROMPTS, model_identity, resolve_model

if TYPE_CHECKING:
    from retrieval.settings import Settings

_BUILD_THREADS: int | None = None


def use_threads(role: Literal["build", "serve"]) -> None:
    """Set the model's thread count for what this process does next; called once when a role starts
    (a build, or serving questions), never per call.

    Serving runs each question on one thread. A question is a few dozen tokens: a second thread
    saves little when the machine is idle, but when another process is busy (an index rebuild next
    to the running bot on a 2-core box) OpenMP's spinning threads fight it and a 30 ms query took
    0.1-0.7 s; and the bot asks from several worker threads at once, which already use the cores.
    Flipping the process-wide setting around each call, as before, raced between those threads.
    A build embeds thousands of passages in batches and gets every core torch would use.
    """
    global _BUILD_THREADS
    import torch

    if _BUILD_THREADS is None:
        _BUILD_THREADS = torch.get_num_threads()
    wanted = 1 if role == "serve" else _BUILD_THREADS
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


class Embedder:
    """E5 embeddings: questions get the ``query: `` prompt, passages ``passage: ``.

    E5 was trained with these asymmetric prefixes; leaving them out costs retrieval quality, and
    mixing them up silently halves it. The prompts come from the model folder
    (``config_sentence_transformers.json``); an E5 folder that lacks them gets E5's, any other model
    is encoded without a prefix.

    Two engines, one model: questions run through :mod:`retrieval.model.bert` (about a second to
    load, a few milliseconds less per question), passages through sentence-transformers, loaded
    only when passages are embedded (a build) or when the folder holds a model ``bert`` does not
    compute. Serving never imports transformers.
    """

    identity: str

    def __init__(
        self,
        model_name: str,
        model_path: Path | None,
        cache_dir: Path,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._path = resolve_model(model_name, model_path, cache_dir, progress=progress)
        self.identity = model_identity(self._path)
        self._prompts = self._folder_prompts(looks_e5="e5" in str(model_path or model_name).lower())
        self._questions = bert.load(self._path, self._prompts.get("query", ""))
        self._model = None if self._questions is not None else self._sentence_transformer()

    def _folder_prompts(self, *, looks_e5: bool) -> dict[str, str]:
        """The folder's prompts as sentence-transformers reads them, E5's filling any it lacks when
        the model is E5 (a user folder is judged by its own name: NEWSQA_MODEL_PATH may hold a model
        that is not E5)."""
        try:
            config = json.loads((self._path / "config_sentence_transformers.json").read_text(encoding="utf-8"))
            prompts = {k: v for k, v in (config.get("prompts") or {}).items() if isinstance(v, str)}
        except (OSError, ValueError, AttributeError):
            prompts = {}
        for name, prefix in E5_PROMPTS.items():
            if looks_e5 and not prompts.get(name):
                prompts[name] = prefix
        return prompts

    def _sentence_transformer(self):
        # Imported here: sentence-transformers (torch, transformers) takes seconds to import, and
        # processes that only answer questions never need it.
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        except Exception as error:  # noqa: BLE001 - a broken folder is the user's to fix; say which
            raise ModelUnavailableError(f"Could not load the sentence model from {self._path}: {error}") from error
        for name, prefix in self._prompts.items():
            if not model.prompts.get(name):
                model.prompts[name] = prefix
        limits = (512, model.max_seq_length, getattr(model.tokenizer, "model_max_length", None))
        model.max_seq_length = min(v for v in limits if isinstance(v, int) and v > 0)
        return model

    @property
    def dimension(self) -> int:
        if self._questions is not None:
            return self._questions.dimension
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    @classmethod
    def from_settings(cls, settings: Settings, *, progress: Callable[[str], None] | None = None) -> Embedder:
        return cls(settings.model_name, settings.model_path, settings.cache_dir, progress=progress)

    @classmethod
    def lazy(cls, settings: Settings, *, progress: Callable[[str], None] | None = None) -> LazyEmbedder:
        """The model's identity now, the model itself when something is first embedded: a build
        that finds the index up to date never pays the seconds it takes to load."""
        return LazyEmbedder(settings, progress)

    def encode_queries(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """``(len(texts), dimension)`` float32, unit length; for questions. Safe to call from
        several threads at once: it changes no process-wide state (see :func:`use_threads`)."""
        if self._questions is not None:
            if not texts:
                return np.zeros((0, self.dimension), np.float32)
            return np.stack([self._questions.encode(text) for text in texts])
        return self._encode(texts, "query", batch_size=batch_size, show_progress=False)

    def encode_passages(self, texts: list[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """``(len(texts), dimension)`` float32, unit length; for archive chunks."""
        if self._model is None:
            self._model = self._sentence_transformer()
        return self._encode(texts, "passage", batch_size=batch_size, show_progress=show_progress)

    def _encode(self, texts: list[str], prompt_name: str, *, batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt_name=prompt_name if self._model.prompts.get(prompt_name) else None,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class LazyEmbedder:
    """An :class:`Embedder` for a build, loaded (with the build's thread count) on first use; its
    identity is known without loading it."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] | None) -> None:
        self._settings, self._progress = settings, progress
        self.identity = model_identity(resolve_model(settings.model_name, settings.model_path, settings.cache_dir,
                                                     progress=progress))
        self._model: Embedder | None = None

    def _loaded(self) -> Embedder:
        if self._model is None:
            self._model = Embedder.from_settings(self._settings, progress=self._progress)
            use_threads("build")
        return self._model

    @property
    def dimension(self) -> int:
        return self._loaded().dimension

    def encode_passages(self, texts: list[str], **kwargs) -> np.ndarray:
        return self._loaded().encode_passages(texts, **kwargs)

    def encode_queries(self, texts: list[str], **kwargs) -> np.ndarray:
        return self._loaded().encode_queries(texts, **kwargs)
