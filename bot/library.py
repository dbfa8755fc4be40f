"""Adding, replacing and removing documents, rebuilding and rolling back, without downtime.

Each change is built beside the serving index from a staged copy of the knowledge folder; only
when the new version is complete are the knowledge files changed and the ``current`` pointer
switched. The caller (CLI or bot) gets the new ``Retriever`` and swaps it in; questions in flight
finish on the old one.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.dense_index import Encoder
from bot.documents import Document
from bot.errors import DocumentError
from bot.index_store import copy_knowledge, current, point, previous, restore_knowledge
from bot.ingest import IngestError, Preview, apply_files, removal_files, staged_files
from bot.knowledge import knowledge_files, load_knowledge
from bot.loader import build_index
from bot.retriever import Retriever


@dataclass
class Change:
    """What a change did."""

    version: str
    documents: int
    clauses: int
    embedded: int  # passages embedded now
    reused: int  # passages taken from the cache
    seconds: float


def build_with(
    settings: Settings, encoder: Encoder, changes: dict[str, str | None]
) -> tuple[Retriever, Change]:
    """Build the knowledge folder as it will be after ``changes``; publish both together."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="niangjia-stage-") as tmp:
        staging = Path(tmp)
        copy_knowledge(settings.knowledge_dir, staging)
        apply_files(staging, changes)
        try:
            docs = load_knowledge(staging)
        except DocumentError as exc:
            raise IngestError(f"改动后的文件集无法使用：{exc}") from exc
        retriever = Retriever(docs, encoder)
        version, cache = build_index(
            settings,
            retriever,
            staging,
            before_switch=lambda: apply_files(settings.knowledge_dir, changes),
        )
    change = Change(
        version=version.name,
        documents=len(docs),
        clauses=len(retriever.clauses),
        embedded=cache.misses,
        reused=cache.hits,
        seconds=round(time.perf_counter() - started, 2),
    )
    return retriever, change


def add_document(settings: Settings, item: Preview, encoder: Encoder) -> tuple[Retriever, Change]:
    """Add (or replace, by 文号) the previewed document and make it live."""
    return build_with(settings, encoder, staged_files(settings.knowledge_dir, item))


def remove_document(settings: Settings, code: str, encoder: Encoder) -> tuple[Retriever, Change]:
    changes = removal_files(settings.knowledge_dir, code)
    remaining = [p for p in knowledge_files(settings.knowledge_dir) if p.name not in changes]
    if not remaining:
        raise IngestError("不能删除最后一份文件。")
    return build_with(settings, encoder, changes)


def rollback(settings: Settings) -> str:
    """Make the previous version current again, with the documents it was built from."""
    target = previous(settings.index_dir)
    restore_knowledge(target, settings.knowledge_dir)
    point(settings.index_dir, target)
    return target.name


def documents(settings: Settings) -> list[Document]:
    return load_knowledge(settings.knowledge_dir)


def live_version(settings: Settings) -> str:
    return current(settings.index_dir).name
