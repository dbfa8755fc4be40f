"""Where built indexes live: versioned folders under ``index/`` and a ``current`` pointer.

A build is written into a temporary folder, renamed to ``v<time>`` and only then made current by
replacing the ``current`` symlink (an atomic rename). A crash at any point leaves the previous
version current; leftover temporary folders are ignored and cleaned. Each version keeps a copy of
the knowledge files it was built from, so that a rollback restores documents and index together.
The last few versions are kept.

Also here: the embedding cache, by content hash, so that adding a document embeds only its own
clauses.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.core.documents import SIDECAR
from bot.core.knowledge import knowledge_files
from bot.core.live import CURRENT, current_version, version_names
from bot.errors import IndexStateError

SNAPSHOT = "knowledge"
KEEP = 4
CACHE_FILE = "embedding-cache.npz"


def versions(index_dir: Path) -> list[Path]:
    """Built versions, oldest first."""
    return [Path(index_dir) / name for name in version_names(index_dir)]


def new_build_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    for stale in index_dir.glob(".build-*"):  # left by a crash
        shutil.rmtree(stale, ignore_errors=True)
    path = index_dir / f".build-{secrets.token_hex(4)}"
    path.mkdir()
    return path


def copy_knowledge(knowledge_dir: Path, target: Path) -> None:
    """Copy the document files of a knowledge folder, with their sidecars, into ``target``."""
    for path in knowledge_files(knowledge_dir):
        shutil.copy2(path, target / path.name)
        side = path.with_name(path.name + SIDECAR)
        if side.exists():
            shutil.copy2(side, target / side.name)


def publish(
    index_dir: Path, build_dir: Path, before_switch: Callable[[], None] | None = None
) -> Path:
    """Rename a finished build to a version and make it current (atomically); prune old ones.
    ``before_switch`` runs between the two (e.g. moving the new document into place)."""
    index_dir = Path(index_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = index_dir / f"v{stamp}"
    os.replace(build_dir, version)
    _fsync_dir(index_dir)
    if before_switch:
        before_switch()
    point(index_dir, version)
    prune(index_dir)
    return version


def point(index_dir: Path, version: Path) -> None:
    """Make ``version`` current: a new symlink renamed over the old one."""
    tmp = Path(index_dir) / f".current-{secrets.token_hex(4)}"
    os.symlink(version.name, tmp)
    os.replace(tmp, Path(index_dir) / CURRENT)
    _fsync_dir(index_dir)


def prune(index_dir: Path, keep: int = KEEP) -> None:
    try:
        live = current_version(index_dir)
    except IndexStateError:
        live = None
    old = versions(index_dir)[:-keep]
    for path in old:
        if path != live:
            shutil.rmtree(path, ignore_errors=True)


def previous(index_dir: Path) -> Path:
    """The version built before the current one."""
    live = current_version(index_dir)
    older = [v for v in versions(index_dir) if v.name < live.name]
    if not older:
        raise IndexStateError("没有更早的索引版本可以回退。")
    return older[-1]


def restore_knowledge(version: Path, knowledge_dir: Path) -> None:
    """Make the knowledge folder hold exactly the files the version was built from."""
    snapshot = version / SNAPSHOT
    if not snapshot.is_dir():
        raise IndexStateError(f"{version.name} has no copy of its documents")
    wanted = {p.name for p in snapshot.iterdir()}
    for path in knowledge_files(knowledge_dir):
        for name in (path.name, path.name + SIDECAR):
            if name not in wanted:
                (Path(knowledge_dir) / name).unlink(missing_ok=True)
    for path in snapshot.iterdir():
        tmp = Path(knowledge_dir) / f".restore-{path.name}"
        shutil.copy2(path, tmp)
        os.replace(tmp, Path(knowledge_dir) / path.name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddingCache:
    """Passage vectors by (model, variant, text) hash, kept beside the versions: the int8 and
    the fp32 export give slightly different vectors, which must not mix in one index."""

    def __init__(self, path: Path | None, model: str, variant: str = "") -> None:
        self.path = Path(path) if path else None
        self.model = f"{model}\0{variant}" if variant else model
        self.vectors: dict[str, np.ndarray] = {}
        self.used: set[str] = set()
        self.hits = self.misses = 0
        if self.path and self.path.exists():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache is only a slower build

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{text}".encode()).hexdigest()[:32]

    def encode(self, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        self.used.update(keys)
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = encode([texts[i] for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                self.vectors[keys[i]] = np.asarray(vector, dtype=np.float32)
        return np.vstack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        """Keep the vectors the last build used (so the file does not grow without end)."""
        if not self.path or not self.used:
            return
        items = {k: v for k, v in self.vectors.items() if k in self.used}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.npz")
        np.savez(tmp, keys=np.array(list(items)), vectors=np.vstack(list(items.values())))
        os.replace(tmp, self.path)
