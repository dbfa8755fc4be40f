"""Dense retrieval: an encoder (sentence-transformers, or any object with the same two methods)
and a FAISS inner-product index over normalised vectors."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import IndexCorruptError, ModelError


class Encoder(Protocol):
    """What retrieval needs of an embedding model."""

    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """A sentence-transformers model; uses its ``query``/``passage`` prompts when it has them."""

    def __init__(self, model: str | Path, name: str | None = None, threads: int | None = None):
        try:
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("sentence-transformers is not installed") from exc
        if threads:
            torch.set_num_threads(threads)
        hf_logging.disable_progress_bar()  # no "Loading weights" bar in a chat or a log
        try:
            self._model = SentenceTransformer(str(model), device="cpu")
        except Exception as exc:
            raise ModelError(f"cannot load embedding model {model}: {exc}") from exc
        self.name = name or str(model)
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension())
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = (
            "passage" if "passage" in prompts else ("document" if "document" in prompts else None)
        )
        # torch modules are not guaranteed thread-safe for concurrent forward passes.
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], prompt: str | None, progress: bool) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                texts,
                prompt_name=prompt,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
                batch_size=16,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt, progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, progress)


class DenseIndex:
    """FAISS flat inner-product index (exact: the knowledge base is small)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._index = None

    def build(self, vectors: np.ndarray) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)
        return self

    @property
    def size(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return 0 if self._index is None else int(self._index.d)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query vector with every unit, in unit order."""
        if self._index is None:
            raise IndexCorruptError(f"dense index {self.name} is not built")
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        sims, ids = self._index.search(q, self.size)
        out = np.full(self.size, -1.0, dtype=np.float32)
        out[ids[0]] = sims[0]
        return out

    def save(self, directory: Path) -> None:
        import faiss

        Path(directory).mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(Path(directory) / f"{self.name}.faiss"))

    @classmethod
    def load(cls, directory: Path, name: str) -> DenseIndex:
        import faiss

        path = Path(directory) / f"{name}.faiss"
        try:
            index = faiss.read_index(str(path))
        except Exception as exc:
            raise IndexCorruptError(f"dense index {name} cannot be read: {exc}") from exc
        out = cls(name)
        out._index = index
        return out
