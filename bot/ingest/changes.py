"""Every change to the knowledge reaches the live index by one route.

``apply_change`` stages the knowledge folder as it will be (a copy inside a build folder under
``index/``, with the change applied), builds the index over it with the embedding cache, writes
the index and that copy of the documents into the build folder, renames it to a version, moves
the new document files into the knowledge folder and only then switches ``current``. Adding,
replacing and removing a document, rebuilding (``index build``, ``/reindex``) and the first build
of a fresh clone all go this way. A crash at any point leaves the previous version live; the
caller (CLI or bot) gets the new ``Retriever`` and swaps it in, so questions in flight finish on
the old one.

One change at a time: ``apply_change`` and ``rollback`` hold the index folder's lock
(``bot.ingest.lock``) from reading the knowledge folder to the switch, so a second change
waits (its ``on_wait`` is told once) and then builds on the first. A folder that cannot be
written (a full disk, a read-only mount) ends the change with a ``StorageError`` in one line,
the previous version still live.
"""

from __future__ import annotations

import errno
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.core.answer import QA
from bot.core.encoders import Encoder
from bot.core.knowledge import knowledge_files, load_knowledge
from bot.core.live import current_version, unloaded_retriever
from bot.core.retriever import Retriever, tokenizer_for
from bot.errors import (
    DocumentError,
    IndexCorruptError,
    IndexStateError,
    IngestError,
    StorageError,
)
from bot.ingest.files import (
    Preview,
    apply_files,
    clean_leftovers,
    removal_files,
    staged_files,
)
from bot.ingest.lock import one_writer
from bot.ingest.versions import (
    CACHE_FILE,
    SNAPSHOT,
    EmbeddingCache,
    copy_knowledge,
    new_build_dir,
    previous,
    publish,
    recover,
    roll_back_to,
)

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
# The knowledge folder's changes (file name → text, None to delete), or a function computing
# them from the knowledge folder once the change holds the lock.
Files = dict[str, str | None] | Callable[[Path], dict[str, str | None]]
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


@dataclass
class Change:
    """What a change did."""

    version: str
    documents: int
    clauses: int
    embedded: int  # passages embedded now
    reused: int  # passages taken from the cache
    seconds: float


@contextmanager
def writing(settings: Settings, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the one writer's lock (waiting up to ``settings.change_wait_seconds``); a folder
    that cannot be written becomes a ``StorageError``."""
    with storage_errors(settings.index_dir):
        with one_writer(settings.index_dir, settings.change_wait_seconds, on_wait):
            clean_leftovers(settings.knowledge_dir)
            recover(settings.index_dir, settings.knowledge_dir)
            yield


@contextmanager
def storage_errors(folder: Path) -> Iterator[None]:
    """An OSError of writing (disk full, read-only, no permission) as one Chinese line."""
    try:
        yield
    except OSError as exc:
        if exc.errno in FULL:
            why = "磁盘空间不足"
        elif exc.errno in READ_ONLY:
            why = "文件夹只读或没有写入权限"
        else:
            why = exc.strerror or type(exc).__name__
        where = Path(exc.filename).parent if exc.filename else folder
        raise StorageError(f"无法写入 {where}（{why}），原来的文件和索引保持不变。") from exc


def apply_change(
    settings: Settings,
    encoder: Encoder,
    files: Files | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
) -> tuple[Retriever, Change]:
    """Stage → build (with the embedding cache) → snapshot → swap → switch, holding the one
    writer's lock. ``files``: the knowledge folder's changes (or a function of the knowledge
    folder giving them, called under the lock); none rebuilds as it is."""
    with writing(settings, on_wait):
        return _apply(settings, encoder, files, progress)


def _apply(
    settings: Settings, encoder: Encoder, files: Files | None, progress: Progress | None
) -> tuple[Retriever, Change]:
    started = time.perf_counter()
    files = (files(settings.knowledge_dir) if callable(files) else files) or {}
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
        version = publish(settings.index_dir, build, settings.knowledge_dir, files)
        try:
            cache.save()
        except OSError as exc:  # the change is live; the cache only saves time
            log.warning("embedding cache not saved: %s", exc)
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


def add_document(
    settings: Settings,
    item: Preview,
    encoder: Encoder,
    on_wait: Callable[[], None] | None = None,
) -> tuple[Retriever, Change]:
    """Add (or replace, by 文号) the previewed document and make it live."""
    return apply_change(
        settings, encoder, lambda knowledge: staged_files(knowledge, item), on_wait=on_wait
    )


def remove_document(
    settings: Settings,
    code: str,
    encoder: Encoder,
    on_wait: Callable[[], None] | None = None,
) -> tuple[Retriever, Change]:
    """Remove the document with this 文号 and make the rest live."""

    def files(knowledge: Path) -> dict[str, str | None]:
        removed = removal_files(knowledge, code)
        if not [p for p in knowledge_files(knowledge) if p.name not in removed]:
            raise IngestError("不能删除最后一份文件。")
        return removed

    return apply_change(settings, encoder, files, on_wait=on_wait)


def rollback(settings: Settings, on_wait: Callable[[], None] | None = None) -> str:
    """Make the version that was live before the current one current again, with the documents
    it was built from (under the one writer's lock)."""
    with writing(settings, on_wait):
        target = previous(settings.index_dir)
        roll_back_to(settings.index_dir, target, settings.knowledge_dir)
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
