"""The live index: the version being served, and its documents, encoder and index opened.

This is the reading side of the index folder: ``current`` points at the version being served
(``bot.ingest`` writes versions and moves the pointer). Nothing here builds; a missing, stale or
corrupt index raises ``IndexStateError`` and the caller decides whether to build one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from bot.config import Settings
from bot.core.encoders import Encoder, encoder_variant, load_encoder
from bot.core.knowledge import load_knowledge
from bot.core.retriever import Fusion, Manifest, Retriever, staleness, tokenizer_for
from bot.errors import IndexCorruptError, IndexStateError

CURRENT = "current"
SNAPSHOT = "knowledge"  # in each version: a copy of the documents it was built from


def current_version(index_dir: Path) -> Path:
    """The folder of the version being served; IndexStateError when there is none."""
    link = Path(index_dir) / CURRENT
    target = link.resolve() if link.is_symlink() else None
    if target is None or not target.is_dir():
        raise IndexStateError(f"no index at {index_dir}")
    return target


def version_names(index_dir: Path) -> list[str]:
    """Built versions, oldest first."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("v"))


def unloaded_retriever(
    settings: Settings, encoder: Encoder | None = None, threads: int | None = None
) -> Retriever:
    """Documents, tokenizer and encoder, with no index yet (the model loads in native code
    while the documents and jieba load here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None if encoder else pool.submit(load_encoder, settings, threads)
        docs = load_knowledge(settings.knowledge_dir)
        tokenizer = tokenizer_for(docs)
        tokenizer.warm()
        encoder = encoder or pending.result()
    return Retriever(docs, encoder, tokenizer)


def open_version(version: Path, encoder: Encoder, fusion: Fusion | None = None) -> Retriever:
    """A built version opened for answering, over the copy of the documents it was built
    from, scoring as ``fusion`` (default: the fitted one; a running bot passes its own, read
    once, so that a version scored otherwise is refused as stale)."""
    docs = load_knowledge(Path(version) / SNAPSHOT)
    tokenizer = tokenizer_for(docs)
    tokenizer.warm()
    return Retriever(docs, encoder, tokenizer, fusion).load(version)


def index_status(
    settings: Settings, model_name: str | None = None, variant: str | None = None
) -> dict:
    """What is on disk and whether it fits the present documents and model (no model load;
    the encoder's variant as the settings would load it, unless given)."""
    docs = load_knowledge(settings.knowledge_dir)
    try:
        version = current_version(settings.index_dir)
        manifest = Manifest.read(version)
    except IndexCorruptError as exc:
        return {"state": "corrupt", "detail": str(exc)}
    except IndexStateError as exc:
        return {"state": "missing", "detail": str(exc)}
    problem = staleness(
        manifest, docs, model_name or settings.model, variant or encoder_variant(settings)
    )
    return {
        "state": "stale" if problem else "ok",
        "detail": problem or "",
        "model": manifest.model,
        "encoder": manifest.encoder,
        "built_at": manifest.built_at,
        "build_seconds": manifest.build_seconds,
        "documents": manifest.documents,
        "clauses": manifest.clauses,
        "sentences": manifest.sentences,
        "version": version.name,
        "versions": version_names(settings.index_dir),
    }


@lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system after loading or swapping an index (the
    documents parsed, jieba's words, the old index: about 35 MB a long-running bot would
    otherwise keep). True where the C library could do it."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
