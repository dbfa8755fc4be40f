"""Every change to the knowledge reaches the live index by one route.

``apply_change`` stages the knowledge folder as it will be (a copy inside a build folder under
``index/``, with the change applied), builds the index over it with the embedding cache, writes
the index and that copy of the documents into the build folder, renames it to a version, moves
the new document files into the knowledge folder and only then switches ``current``. Adding,
replacing and removing a document, rebuilding (``index build``, ``/reindex``) and the first build
of a fresh clone all go this way. A crash at any point leaves the previous version live; the
caller (CLI or bot) gets the new ``Retriever`` and swaps it in, so questions in flight finish on
the old one.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.core.answer import QA
from bot.core.encoders import Encoder
from bot.core.knowledge import knowledge_files, load_knowledge
from bot.core.live import current_version, unloaded_retriever
from bot.core.retriever import Retriever, tokenizer_for
from bot.errors import DocumentError, IndexCorruptError, IndexStateError
from bot.ingest.files import IngestError, Preview, apply_files, removal_files, staged_files
from bot.ingest.versions import (
    CACHE_FILE,
    SNAPSHOT,
    EmbeddingCache,
    copy_knowledge,
    new_build_dir,
    point,
    previous,
    publish,
    restore_knowledge,
)

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass
class Change:
    """What a change did."""

    version: str
    documents: int
    clauses: int
    embedded: int  # passages embedded now
    reused: int  # passages taken from the cache
    seconds: float


def apply_change(
    settings: Settings,
    encoder: Encoder,
    files: dict[str, str | None] | None = None,
    progress: Progress | None = None,
) -> tuple[Retriever, Change]:
    """Stage → build (with the embedding cache) → snapshot → swap → switch. ``files``: the
    knowledge folder's changes (file name → text, None to delete); none rebuilds as it is."""
    started = time.perf_counter()
    files = files or {}
    build = new_build_dir(settings.index_dir)
    try:
        staged = build / SNAPSHOT
        staged.mkdir()
        copy_knowledge(settings.knowledge_dir, staged)
        apply_files(staged, files)
        try:
            docs = load_knowledge(staged)
        except DocumentError as exc:
            if not files:
                raise
            raise IngestError(f"改动后的文件集无法使用：{exc}") from exc
        retriever = Retriever(docs, encoder, tokenizer_for(docs))
        cache = EmbeddingCache(settings.index_dir / CACHE_FILE, encoder.name, encoder.variant)
        retriever.build(progress, lambda texts: cache.encode(texts, encoder.encode_passages))
        retriever.save(build)
        version = publish(
            settings.index_dir,
            build,
            before_switch=lambda: apply_files(settings.knowledge_dir, files),
        )
        cache.save()
    finally:
        shutil.rmtree(build, ignore_errors=True)
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
    return apply_change(settings, encoder, staged_files(settings.knowledge_dir, item))


def remove_document(settings: Settings, code: str, encoder: Encoder) -> tuple[Retriever, Change]:
    """Remove the document with this 文号 and make the rest live."""
    files = removal_files(settings.knowledge_dir, code)
    remaining = [p for p in knowledge_files(settings.knowledge_dir) if p.name not in files]
    if not remaining:
        raise IngestError("不能删除最后一份文件。")
    return apply_change(settings, encoder, files)


def rollback(settings: Settings) -> str:
    """Make the previous version current again, with the documents it was built from."""
    target = previous(settings.index_dir)
    restore_knowledge(target, settings.knowledge_dir)
    point(settings.index_dir, target)
    return target.name


def open_live(
    settings: Settings,
    *,
    rebuild: str = "auto",
    encoder: Encoder | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> Retriever:
    """The live index; ``rebuild``: "auto" (build it by ``apply_change`` when missing, stale
    or corrupt), "never" (raise instead), "always"."""
    retriever = unloaded_retriever(settings, encoder, threads)
    if rebuild != "always":
        try:
            return retriever.load(current_version(settings.index_dir))
        except IndexCorruptError as exc:
            if rebuild == "never":
                raise
            log.warning("index is corrupt, rebuilding: %s", exc)
        except IndexStateError as exc:
            if rebuild == "never":
                raise
            log.info("index is missing or stale, rebuilding: %s", exc)
    built, _ = apply_change(settings, retriever.encoder, progress=progress)
    return built


def open_live_qa(
    settings: Settings,
    *,
    rebuild: str = "auto",
    encoder: Encoder | None = None,
    threads: int | None = None,
) -> QA:
    """Question answering over the live index (built first when needed)."""
    return QA(open_live(settings, rebuild=rebuild, encoder=encoder, threads=threads))
