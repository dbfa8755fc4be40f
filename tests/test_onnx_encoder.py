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
    assert "ONNX query path unavailable" in caplog.text


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
    assert Settings.from_env({}).query_backend == "onnx"
