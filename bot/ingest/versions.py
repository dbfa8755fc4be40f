"""Where built indexes live: versioned folders under ``index/`` and a ``current`` pointer.

A build is written into a temporary folder, renamed to ``v<time>`` and only then made current by
replacing the ``current`` symlink (an atomic rename). A crash at any point leaves the previous
version current; leftover temporary folders are ignored and cleaned. Each version keeps a copy of
the knowledge files it was built from, so that a rollback restores documents and index together.
The last few versions are kept.

Each switch of ``current`` is recorded, one JSON line a switch, in ``switches.jsonl``: a rollback
goes back along that record to the version that was live before, never to a build that was never
switched to (a change killed between its rename and its switch leaves one). An index folder from
before the record is upgraded in place: its versions up to the current one count as having been
live in turn.

Also here: the embedding cache, by content hash, so that adding a document embeds only its own
clauses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.core.documents import SIDECAR
from bot.core.knowledge import knowledge_files
from bot.core.live import CURRENT, SNAPSHOT, current_version, version_names
from bot.errors import IndexStateError
from bot.ingest.files import apply_files

log = logging.getLogger(__name__)

KEEP = 4
CACHE_FILE = "embedding-cache.npz"
SWITCHES = "switches.jsonl"
PENDING = "pending-change.json"  # the knowledge files a change is writing, until it switches


def versions(index_dir: Path) -> list[Path]:
    """Built versions, oldest first."""
    return [Path(index_dir) / name for name in version_names(index_dir)]


def new_build_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    for stale in index_dir.glob(".build-*"):  # left by a crash
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(".current-*"):
        stale.unlink(missing_ok=True)
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
    index_dir: Path,
    build_dir: Path,
    knowledge_dir: Path | None = None,
    files: dict[str, str | None] | None = None,
) -> Path:
    """Rename a finished build to a version, write ``files`` into the knowledge folder and make
    the version current (atomically); prune old ones. Which files are changing is written down
    first (``PENDING``), so that a change killed before its switch is undone by the next one
    (``recover``) and never left half-done."""
    index_dir = Path(index_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = index_dir / f"v{stamp}"
    os.replace(build_dir, version)
    _fsync_dir(index_dir)
    if files and knowledge_dir is not None:
        write_pending(index_dir, version, sorted(files))
        apply_files(knowledge_dir, files)
    point(index_dir, version)
    (index_dir / PENDING).unlink(missing_ok=True)
    prune(index_dir)
    return version


def write_pending(index_dir: Path, version: Path, names: list[str]) -> None:
    """Write down, before touching them, which knowledge files a change to ``version`` is
    about to write: ``recover`` makes them match the live version again if it is killed."""
    pending = {"version": version.name, "files": names}
    tmp = Path(index_dir) / f".current-pending-{secrets.token_hex(4)}"
    tmp.write_text(json.dumps(pending, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, Path(index_dir) / PENDING)
    _fsync_dir(index_dir)


def roll_back_to(index_dir: Path, version: Path, knowledge_dir: Path) -> None:
    """Make ``version`` live again with the documents it was built from; killed half-way, the
    next change puts back the documents of the version still live (``recover``)."""
    write_pending(index_dir, version, restoring(version, knowledge_dir))
    restore_knowledge(version, knowledge_dir)
    point(index_dir, version, kind="rollback")
    (Path(index_dir) / PENDING).unlink(missing_ok=True)


def point(index_dir: Path, version: Path, kind: str = "switch") -> None:
    """Make ``version`` current: a new symlink renamed over the old one; then record the switch
    (``kind``: switch, or rollback)."""
    live_stack(index_dir)  # an index folder from before the record gets one first
    tmp = Path(index_dir) / f".current-{secrets.token_hex(4)}"
    os.symlink(version.name, tmp)
    os.replace(tmp, Path(index_dir) / CURRENT)
    _fsync_dir(index_dir)
    try:
        _record(index_dir, [{"at": _now(), "version": version.name, "kind": kind}])
    except OSError as exc:  # the switch is made; ``live_stack`` reads it from ``current``
        log.warning("switch to %s not recorded: %s", version.name, exc)


def live_stack(index_dir: Path) -> list[str]:
    """The versions that were live, the current one last: each switch pushes its version, a
    rollback goes back to its target. Written first, from the folder, when there is no record."""
    index_dir = Path(index_dir)
    try:
        live = current_version(index_dir).name
    except IndexStateError:
        live = None
    path = index_dir / SWITCHES
    if not path.exists():
        upgraded = [v for v in version_names(index_dir) if live is not None and v <= live]
        _record(index_dir, [{"at": "", "version": v, "kind": "switch"} for v in upgraded])
        return upgraded
    stack: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            version, kind = str(entry["version"]), entry.get("kind", "switch")
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash
        _go_to(stack, version, kind)
    if live is not None and (not stack or stack[-1] != live):  # switched, then killed
        _go_to(stack, live, "rollback" if live in stack else "switch")
    return stack


def _go_to(stack: list[str], version: str, kind: str) -> None:
    if kind == "rollback" and version in stack:
        while stack[-1] != version:
            stack.pop()
    elif not stack or stack[-1] != version:
        stack.append(version)


def _record(index_dir: Path, entries: list[dict]) -> None:
    path = Path(index_dir) / SWITCHES
    # A line cut short by a full disk or a crash is closed first, so the next one stays whole.
    cut = path.exists() and path.stat().st_size > 0 and not _ends_with_newline(path)
    with open(path, "a", encoding="utf-8") as stream:
        if cut:
            stream.write("\n")
        stream.writelines(json.dumps(e) + "\n" for e in entries)
        stream.flush()
        os.fsync(stream.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as stream:
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) == b"\n"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def prune(index_dir: Path, keep: int = KEEP) -> None:
    """Keep the current version and the last few that were live before it; remove the rest,
    builds that were never switched to among them."""
    kept = set(live_stack(index_dir)[-keep:])
    for path in versions(index_dir):
        if path.name not in kept:
            shutil.rmtree(path, ignore_errors=True)


def previous(index_dir: Path) -> Path:
    """The version that was live before the current one (and is still there)."""
    index_dir = Path(index_dir)
    current_version(index_dir)
    earlier = [index_dir / v for v in live_stack(index_dir)[:-1]]
    there = [v for v in earlier if (v / "manifest.json").exists()]
    if not there:
        raise IndexStateError("没有更早的索引版本可以回退。")
    return there[-1]


def restore_knowledge(version: Path, knowledge_dir: Path, names: list[str] | None = None) -> None:
    """Make the knowledge folder hold exactly the files the version was built from (only
    ``names`` of them, when given: each copied from the version, or deleted if it has none)."""
    snapshot = version / SNAPSHOT
    if not snapshot.is_dir():
        raise IndexStateError(f"{version.name} has no copy of its documents")
    wanted = {p.name for p in snapshot.iterdir()}
    if names is None:
        names = restoring(version, knowledge_dir)
    for name in dict.fromkeys(Path(n).name for n in names):
        if name not in wanted:
            (Path(knowledge_dir) / name).unlink(missing_ok=True)
            continue
        tmp = Path(knowledge_dir) / f".restore-{name}"
        shutil.copy2(snapshot / name, tmp)
        os.replace(tmp, Path(knowledge_dir) / name)


def restoring(version: Path, knowledge_dir: Path) -> list[str]:
    """The knowledge files that restoring ``version`` touches: those there now (and their
    sidecars), and the version's own."""
    snapshot = version / SNAPSHOT
    if not snapshot.is_dir():
        raise IndexStateError(f"{version.name} has no copy of its documents")
    names = [n for p in knowledge_files(knowledge_dir) for n in (p.name, p.name + SIDECAR)]
    return list(dict.fromkeys(names + sorted(p.name for p in snapshot.iterdir())))


def recover(index_dir: Path, knowledge_dir: Path) -> None:
    """Finish or undo the knowledge files of a change killed around its switch: they are made
    to match the version that is live (the change's own, if it did switch)."""
    path = Path(index_dir) / PENDING
    if not path.exists():
        return
    try:
        pending = json.loads(path.read_text(encoding="utf-8"))
        names = [str(n) for n in pending["files"]]
        live = current_version(index_dir)
    except (ValueError, KeyError, TypeError, IndexStateError):
        path.unlink(missing_ok=True)  # nothing it could be matched against
        return
    restore_knowledge(live, knowledge_dir, names)
    path.unlink(missing_ok=True)


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
