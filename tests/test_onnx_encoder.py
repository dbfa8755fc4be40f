"""The ONNX query path: what it accepts of a model folder, and the loader's choice and fallback.
Its vectors are compared with sentence-transformers' in test_real_model."""

from __future__ import annotations

import json
import logging

import pytest

import bot.core.encoders
import bot.core.onnx_encoder
from bot.config import Settings
from bot.core.encoders import onnx_path
from bot.core.onnx_encoder import OnnxEncoder, _pooling_mode
from bot.errors import ModelError

ST = "sentence_transformers.base.modules"


def _modules(*kinds: str) -> list[dict]:
    return [
        {"idx": i, "name": str(i), "path": "" if i == 0 else f"{i}_{k}", "type": f"{ST}.{k}"}
        for i, k in enumerate(kinds)
    ]


def test_mean_pooling_and_normalisation_are_read_from_the_folder(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "mean"}))
    assert _pooling_mode(tmp_path, _modules("Transformer", "Pooling", "Normalize")) == (
        "mean",
        True,
    )


def test_old_style_cls_pooling_without_normalisation(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    assert _pooling_mode(tmp_path, _modules("Transformer", "Pooling")) == ("cls", False)


@pytest.mark.parametrize(
    "kinds", [("Transformer", "Pooling", "Dense"), ("Pooling",), ()], ids=["dense", "order", "none"]
)
def test_modules_the_onnx_path_cannot_reproduce_are_refused(tmp_path, kinds):
    with pytest.raises(ModelError):
        _pooling_mode(tmp_path, _modules(*kinds))


def test_a_folder_without_an_export_is_refused(tmp_path):
    with pytest.raises(ModelError, match="no ONNX export"):
        OnnxEncoder(tmp_path)


class Recorder:
    def __init__(self, model, name=None):
        self.model, self.name = model, name


def test_a_broken_export_falls_back_to_sentence_transformers(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "my-model"
    onnx_path(folder).parent.mkdir(parents=True)
    onnx_path(folder).write_bytes(b"not an onnx file")
    (folder / "modules.json").write_text(json.dumps(_modules("Transformer")))
    monkeypatch.setattr(bot.core.encoders, "SentenceTransformerEncoder", Recorder)
    with caplog.at_level(logging.WARNING, logger="bot.core.encoders"):
        encoder = bot.core.encoders.load_encoder(Settings(model=str(folder)))
    assert isinstance(encoder, Recorder) and encoder.model == str(folder)
    assert "ONNX path unavailable" in caplog.text


def test_the_torch_backend_setting_skips_onnx(tmp_path, monkeypatch):
    folder = tmp_path / "my-model"
    onnx_path(folder).parent.mkdir(parents=True)
    onnx_path(folder).write_bytes(b"never opened")
    monkeypatch.setattr(bot.core.encoders, "SentenceTransformerEncoder", Recorder)
    tried = []
    monkeypatch.setattr(bot.core.onnx_encoder, "OnnxEncoder", lambda *a, **k: tried.append(a))
    settings = Settings.from_env(
        {"NIANGJIA_EMBEDDING_MODEL": str(folder), "NIANGJIA_QUERY_BACKEND": "torch"}
    )
    assert settings.query_backend == "torch"
    assert isinstance(bot.core.encoders.load_encoder(settings), Recorder)
    assert tried == []
    assert Settings.from_env({}).query_backend == "int8"
    assert Settings.from_env({"NIANGJIA_QUERY_BACKEND": "fp32"}).query_backend == "fp32"
    assert Settings.from_env({"NIANGJIA_QUERY_BACKEND": "onnx"}).query_backend == "int8"


def test_a_model_folder_from_before_gets_the_int8_export_in_place(tmp_path, monkeypatch):
    from bot.config import DEFAULT_MODEL
    from bot.core.encoders import ensure_model, model_ready
    from bot.core.pieces import COMPACT_FILE
    from tests.test_pieces import reference

    folder = tmp_path / "multilingual-e5-small"
    onnx_path(folder).parent.mkdir(parents=True)
    onnx_path(folder).write_bytes(b"the fp32 export")
    (folder / "modules.json").write_text(json.dumps(_modules("Transformer")))
    reference(folder)
    done = []

    def quantize(path):
        done.append("quantize")
        onnx_path(path, "int8").write_bytes(b"int8")

    monkeypatch.setattr(bot.core.onnx_encoder, "quantize_onnx", quantize)
    monkeypatch.setattr(bot.core.onnx_encoder, "export_onnx", lambda p: done.append("export"))
    settings = Settings(model=DEFAULT_MODEL, model_dir=folder)
    assert not model_ready(settings)
    assert ensure_model(settings) == folder
    assert done == ["quantize"] and (folder / COMPACT_FILE).exists()
    assert model_ready(settings)
    ensure_model(settings)
    assert done == ["quantize"]  # nothing made twice


def test_quantising_keeps_what_a_small_graph_computes(tmp_path):
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = rng.normal(size=(64, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 32])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx_path(tmp_path).parent.mkdir()
    onnx.save(model, str(onnx_path(tmp_path)))
    target = bot.core.onnx_encoder.quantize_onnx(tmp_path)
    assert target == onnx_path(tmp_path, "int8")
    kinds = {n.op_type for n in onnx.load(str(target)).graph.node}
    assert "MatMul" not in kinds  # the product is computed in int8
    x = rng.normal(size=(4, 64)).astype(np.float32)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    y = session.run(None, {"x": x})[0]
    cosine = (y * (x @ weight)).sum(axis=1) / np.linalg.norm(y, axis=1)
    assert (cosine / np.linalg.norm(x @ weight, axis=1)).min() > 0.99
    assert not list(target.parent.glob(".quantise-*"))
