"""The query side of a sentence-transformers model, run by ONNX Runtime.

Answering a question needs one short forward pass. Through sentence-transformers on torch that
costs about 40 ms here and importing torch costs seconds, so the query path runs the same
model exported to ONNX, stored where sentence-transformers' own ONNX backend looks for it
(``<model folder>/onnx/model.onnx``), with the folder's own tokenizer, prompts and pooling.
Passages (index builds) still go through sentence-transformers itself, loaded on first use.
A real-model test checks that both paths give the same vectors.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from bot.core.encoders import SentenceTransformerEncoder, onnx_path
from bot.errors import ModelError

SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


def _read_json(path: Path) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def _pooling_mode(folder: Path, modules: list[dict]) -> tuple[str, bool]:
    """(mean|cls, normalise) as the folder's modules say; anything else is refused."""
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or any(k not in SUPPORTED_MODULES for k in kinds):
        raise ModelError(f"the ONNX query path supports {SUPPORTED_MODULES}, not {kinds}")
    mode = "mean"
    for module in modules:
        if str(module.get("type", "")).endswith("Pooling"):
            config = _read_json(folder / module.get("path", "") / "config.json")
            mode = config.get("pooling_mode") or (
                "cls" if config.get("pooling_mode_cls_token") else "mean"
            )
    if mode not in ("mean", "cls"):
        raise ModelError(f"the ONNX query path supports mean or cls pooling, not {mode}")
    return mode, "Normalize" in kinds


class OnnxEncoder:
    """Queries through ONNX Runtime; passages through sentence-transformers (lazily)."""

    def __init__(
        self, folder: str | Path, name: str | None = None, threads: int | None = None
    ) -> None:
        folder = Path(folder)
        path = onnx_path(folder)
        if not path.exists():
            raise ModelError(f"no ONNX export at {path}")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("onnxruntime is not installed") from exc
        modules = _read_json(folder / "modules.json")
        self._pooling, self._normalize = _pooling_mode(
            folder, modules if isinstance(modules, list) else []
        )
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        self._query_prompt = prompts.get("query", "")
        options = ort.SessionOptions()
        # The export is already optimised; optimising again would only slow the start.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:
            raise ModelError(f"cannot load the ONNX model in {folder}: {exc}") from exc
        max_length = int(
            _read_json(folder / "sentence_bert_config.json").get("max_seq_length") or 512
        )
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.folder = folder
        self.name = name or str(folder)
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._passages: SentenceTransformerEncoder | None = None
        self._passages_lock = threading.Lock()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([self._query_prompt + t for t in texts])
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        if self._pooling == "cls":
            vectors = hidden[:, 0]
        else:
            weights = mask[..., None].astype(hidden.dtype)
            vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self._normalize:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        with self._passages_lock:
            if self._passages is None:
                self._passages = SentenceTransformerEncoder(self.folder, name=self.name)
        return self._passages.encode_passages(texts, progress)


def export_onnx(folder: str | Path) -> Path:
    """Export the transformer of the sentence-transformers model in ``folder`` to
    ``folder/onnx/model.onnx``, optimised by ONNX Runtime once, written atomically."""
    import os
    import tempfile
    import warnings

    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer

    folder = Path(folder)
    model = SentenceTransformer(str(folder), device="cpu")
    transformer = model[0]
    hf = getattr(transformer, "auto_model", None) or getattr(transformer, "model", None)
    if hf is None:
        raise ModelError(f"cannot find the transformer of {folder}")
    hf.eval()
    takes_types = "token_type_ids" in model.tokenizer.model_input_names

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            return self.inner(**kwargs).last_hidden_state

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])
    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    target = onnx_path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(hf),
                example,
                str(raw),
                dynamo=False,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
            )
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        optimised = Path(tmp) / "model.onnx"
        options.optimized_model_filepath = str(optimised)
        ort.InferenceSession(str(raw), options, providers=["CPUExecutionProvider"])
        os.replace(optimised, target)
    return target
