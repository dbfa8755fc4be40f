"""The live index's housekeeping: memory given back after a load or a swap."""

from __future__ import annotations

import platform

import pytest

from bot.core import live


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc"
)
def test_freed_heap_pages_go_back_to_the_system():
    # Blocks above pymalloc's limit come from glibc's heap, which keeps them when freed.
    keep = [bytes(600) for _ in range(200_000)]
    pinned = [keep[i] for i in range(0, len(keep), 1000)]  # the heap cannot shrink from its top
    del keep
    before = rss_mb()
    assert live.release_free_memory() is True
    assert rss_mb() < before - 50
    assert pinned


def test_the_bot_gives_memory_back_when_it_takes_an_index(monkeypatch, qa, tmp_path):
    from bot.telegram_bot import handlers

    calls = []
    monkeypatch.setattr(handlers, "release_free_memory", lambda: calls.append(1) or True)
    state = handlers.BotState.__new__(handlers.BotState)
    state.settings = type("S", (), {"dialogue_minutes": 30})()
    state.use(qa)
    assert calls == [1] and state.qa is qa


async def test_on_the_event_loop_memory_is_given_back_in_a_worker_thread(monkeypatch, qa):
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from bot.telegram_bot import handlers

    threads = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def release():
        threads.append(threading.current_thread())
        loop.call_soon_threadsafe(done.set)
        return True

    monkeypatch.setattr(handlers, "release_free_memory", release)
    state = handlers.BotState.__new__(handlers.BotState)
    state.settings = type("S", (), {"dialogue_minutes": 30})()
    state.executor = ThreadPoolExecutor(1)
    try:
        state.use(qa)
        await asyncio.wait_for(done.wait(), 5)
    finally:
        state.executor.shutdown(wait=True)
    assert state.qa is qa and threads and threads[0] is not threading.main_thread()
