"""Dense retrieval: a FAISS inner-product index over normalised vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.errors import IndexCorruptError


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
        # Written by Python, not by faiss: a full disk is then an OSError with its errno, not
        # a RuntimeError carrying faiss's C++ trace.
        data = faiss.serialize_index(self._index)
        (Path(directory) / f"{self.name}.faiss").write_bytes(data.tobytes())

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
