"""BM25 keyword index over pre-tokenised units (jieba words or character bigrams), via bm25s."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from bot.errors import IndexCorruptError

logging.getLogger("bm25s").setLevel(logging.WARNING)


class KeywordIndex:
    """One BM25 index; units are given as token lists, queries likewise."""

    def __init__(self, name: str, k1: float = 1.2, b: float = 0.75) -> None:
        self.name = name
        self.k1 = k1
        self.b = b
        self._bm25 = None
        self._vocab: dict[str, int] = {}
        self.size = 0

    def build(self, units: list[list[str]]) -> KeywordIndex:
        import bm25s

        # An empty unit would upset bm25s; a placeholder token keeps positions aligned.
        corpus = [tokens or ["\u2400"] for tokens in units]
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index(corpus, show_progress=False)
        self._vocab = dict(self._bm25.vocab_dict)
        self.size = len(units)
        return self

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every unit for the query tokens (zeros when none is known)."""
        if self._bm25 is None:
            raise IndexCorruptError(f"keyword index {self.name} is not built")
        known = [t for t in query if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def save(self, directory: Path) -> None:
        directory = Path(directory) / self.name
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)
        (directory / "meta.json").write_text(json.dumps({"size": self.size}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, name: str) -> KeywordIndex:
        import bm25s

        path = Path(directory) / name
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            bm25 = bm25s.BM25.load(str(path), show_progress=False)
        except Exception as exc:  # any failure to read back means the files are unusable
            raise IndexCorruptError(f"keyword index {name} cannot be read: {exc}") from exc
        index = cls(name, k1=bm25.k1, b=bm25.b)
        index._bm25 = bm25
        index._vocab = dict(bm25.vocab_dict)
        index.size = int(meta["size"])
        return index
