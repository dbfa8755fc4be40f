"""One writer at a time: an inter-process lock on a file in the index folder.

Every change to the knowledge (adding, replacing or removing a document, a rebuild, a rollback;
from the CLI or the bot) holds it from the moment it reads the knowledge folder until
``current`` has switched, so changes made at the same time happen one after the other and each
builds on the last. The lock is ``flock`` on ``index/.lock``: the kernel lets go of it when its
holder dies, even by kill -9, so a crashed change never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import ChangeBusyError

LOCK_FILE = ".lock"
WAITING = "另一项文件更新正在进行，请稍候……"
POLL = 0.1  # seconds between attempts


@contextmanager
def one_writer(
    index_dir: Path, timeout: float, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the index folder's lock; ``on_wait`` is called once if another change holds it,
    and ``ChangeBusyError`` raised if it is still held after ``timeout`` seconds."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                if time.monotonic() >= deadline:
                    raise ChangeBusyError(
                        f"另一项文件更新已进行了 {timeout:.0f} 秒仍未结束，这次改动没有进行。"
                        "请稍后再试。"
                    ) from None
                time.sleep(POLL)
        yield
    finally:
        os.close(fd)  # lets go of the lock
