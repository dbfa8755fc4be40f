"""A sentence-transformers model run by ONNX Runtime, for questions and passages alike.

Through sentence-transformers on torch a question costs about 40 ms here, importing torch costs
seconds and the process holds about a gigabyte. So the model is exported to ONNX at set-up,
where sentence-transformers' own ONNX backend looks for it (``<model folder>/onnx/model.onnx``),
and quantised to int8 beside it (``onnx/model_qint8.onnx``: weights per channel, activations
per call; a quarter of the size, about half the time); this module runs either with the
folder's own tokenizer (the lean one of ``bot.core.pieces`` when it can), prompts and pooling.
No serving or ingesting process imports torch. Real-model tests compare the vectors with
sentence-transformers'.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from bot.core.encoders import VARIANTS, onnx_path
from bot.core.pieces import load_pieces
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
    """Questions and passages through ONNX Runtime (``precision``: the int8 or fp32 export)."""

    def __init__(
        self,
        folder: str | Path,
        name: str | None = None,
        threads: int | None = None,
        precision: str = "int8",
    ) -> None:
        folder = Path(folder)
        path = onnx_path(folder, precision)
        if not path.exists():
            raise ModelError(f"no ONNX export at {path}")
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("onnxruntime is not installed") from exc
        modules = _read_json(folder / "modules.json")
        self._pooling, self._normalize = _pooling_mode(
            folder, modules if isinstance(modules, list) else []
        )
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        self._query_prompt = prompts.get("query", "")
        self._passage_prompt = prompts.get("passage", prompts.get("document", ""))
        options = ort.SessionOptions()
        # The export is already optimised; optimising again would only slow the start.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        max_length = int(
            _read_json(folder / "sentence_bert_config.json").get("max_seq_length") or 512
        )
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = load_pieces(folder, max_length)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"cannot load the ONNX model in {folder}: {exc}") from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        # Each pass gives back to the system what it took beyond the arena's first block, so
        # that embedding a document's passages leaves a server no bigger than before.
        self._release = ort.RunOptions()
        self._release.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.folder = folder
        self.name = name or str(folder)
        self.precision = precision
        self.variant = VARIANTS[precision]
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        """Pooled (and normalised) vectors of token id rows, in one forward pass."""
        length = max(len(r) for r in rows)
        ids = np.zeros((len(rows), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(rows):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed, self._release)[0]
        if self._pooling == "cls":
            vectors = hidden[:, 0]
        else:
            weights = mask[..., None].astype(hidden.dtype)
            vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self._normalize:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run([self._tokenizer.encode(self._query_prompt + t) for t in texts])

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """One passage a forward pass. int8 quantises a pass's activations with one scale, so
        in a batch a passage's vector would move with its neighbours (cosine > 0.995); alone,
        its vector depends on its text only, as the embedding cache assumes, and a pass holds
        no more memory than one passage needs. No padding either, so it is no slower."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._run([self._tokenizer.encode(self._passage_prompt + text)])[0]
        return out


def export_onnx(folder: str | Path) -> Path:
    """Export the transformer of the sentence-transformers model in ``folder`` to
    ``folder/onnx/model.onnx``, optimised by ONNX Runtime once, written atomically."""
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


def quantize_onnx(folder: str | Path) -> Path:
    """Quantise the fp32 export to int8 beside it (weights per channel, activations
    dynamically), written atomically. The optimised graph has fused ops that ONNX shape
    inference cannot type, hence float as the default tensor type."""
    import logging
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source, target = onnx_path(Path(folder)), onnx_path(Path(folder), "int8")
    if not source.exists():
        raise ModelError(f"no ONNX export at {source} to quantise")
    quiet = logging.getLogger()  # quantize_dynamic warns about pre-processing on the root
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".quantise-") as tmp:
            staged = Path(tmp) / target.name
            quantize_dynamic(
                str(source),
                str(staged),
                per_channel=True,
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
            os.replace(staged, target)
    finally:
        quiet.setLevel(level)
    return target
