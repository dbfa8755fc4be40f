"""Settings come from the environment, once, with clear errors."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_MODEL, Settings
from bot.errors import ConfigError


def test_defaults_need_nothing():
    s = Settings.from_env({})
    assert s.telegram_token is None and s.admin_ids == frozenset() and s.model == DEFAULT_MODEL
    assert s.telegram_max_rate == 30 and s.webhook_port == 8443 and s.data_dir.name == "data"


def test_values_are_read_and_trimmed(tmp_path):
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": " 123:abc ",
            "NIANGJIA_ADMIN_IDS": "42, 7,oops,,-100",
            "NIANGJIA_DATA_DIR": str(tmp_path),
            "NIANGJIA_TELEGRAM_MAX_RATE": "0",
            "NIANGJIA_WEBHOOK_URL": "https://bot.example.org/niangjia",
            "NIANGJIA_WEBHOOK_PORT": "8080",
        }
    )
    assert s.telegram_token == "123:abc" and s.admin_ids == frozenset({42, 7, -100})
    assert s.data_dir == tmp_path and s.telegram_max_rate == 0 and s.webhook_port == 8080


@pytest.mark.parametrize("name", ["NIANGJIA_WEBHOOK_PORT", "NIANGJIA_TELEGRAM_MAX_RATE"])
def test_a_bad_number_is_a_clear_error(name):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: "many"})


def test_waits_and_polls_are_positive_seconds():
    settings = Settings.from_env(
        {"NIANGJIA_CHANGE_WAIT_SECONDS": "1.5", "NIANGJIA_INDEX_POLL_SECONDS": "0.5"}
    )
    assert (settings.change_wait_seconds, settings.index_poll_seconds) == (1.5, 0.5)
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigError, match="NIANGJIA_INDEX_POLL_SECONDS"):
            Settings.from_env({"NIANGJIA_INDEX_POLL_SECONDS": bad})


def test_the_query_backend_is_one_of_three_and_a_typo_is_an_error():
    read = {v: Settings.from_env({"NIANGJIA_QUERY_BACKEND": v}).query_backend
            for v in ("", "int8", " FP32 ", "onnx-fp32", "torch")}  # fmt: skip
    assert read == {"": "int8", "int8": "int8", " FP32 ": "fp32", "onnx-fp32": "fp32",
                    "torch": "torch"}  # fmt: skip
    with pytest.raises(ConfigError, match="NIANGJIA_QUERY_BACKEND"):
        Settings.from_env({"NIANGJIA_QUERY_BACKEND": "fp23"})
