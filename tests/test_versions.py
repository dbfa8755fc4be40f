"""Versions, the current pointer and the embedding cache."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bot.core.live import current_version as current
from bot.errors import IndexStateError
from bot.ingest.changes import open_live
from bot.ingest.versions import EmbeddingCache, previous, versions
from tests.conftest import FakeEncoder


def test_current_is_a_symlink_to_a_version(settings):
    with pytest.raises(IndexStateError):
        current(settings.index_dir)
    open_live(settings, encoder=FakeEncoder())
    link = settings.index_dir / "current"
    assert link.is_symlink() and current(settings.index_dir) == versions(settings.index_dir)[-1]
    with pytest.raises(IndexStateError, match="没有更早"):
        previous(settings.index_dir)


def test_cache_reuses_vectors_and_forgets_unused_ones(tmp_path):
    path = tmp_path / "cache.npz"
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32) * len(calls)

    cache = EmbeddingCache(path, "m")
    first = cache.encode(["甲", "乙"], encode)
    cache.save()
    again = EmbeddingCache(path, "m")
    second = again.encode(["乙", "丙"], encode)
    assert calls == [["甲", "乙"], ["丙"]] and np.allclose(second[0], first[1])
    again.save()
    assert len(EmbeddingCache(path, "m").vectors) == 2  # 甲 was not used by the last build
    assert EmbeddingCache(path, "other-model").key("乙") != again.key("乙")


def test_a_damaged_cache_is_only_slower(tmp_path):
    path = tmp_path / "cache.npz"
    path.write_bytes(b"garbage")
    assert EmbeddingCache(path, "m").vectors == {}


def test_rollback_goes_back_along_what_was_live_not_by_name(settings):
    from bot.ingest.changes import add_document, rollback
    from bot.ingest.files import preview
    from bot.ingest.versions import SWITCHES, live_stack
    from tests.documents_fixtures import CITY_PLAN, REGULATION

    open_live(settings, encoder=FakeEncoder())
    first = current(settings.index_dir).name
    for text in (CITY_PLAN, REGULATION):
        item = preview(text.encode(), settings.knowledge_dir, "x")
        add_document(settings, item, FakeEncoder())
    names = [v.name for v in versions(settings.index_dir)]
    assert live_stack(settings.index_dir) == names
    # A build renamed to a version but never switched to (a change killed there).
    orphan = settings.index_dir / (names[1] + "5")
    (settings.index_dir / names[1]).rename(orphan)
    (settings.index_dir / names[1]).mkdir()
    for path in orphan.iterdir():
        (settings.index_dir / names[1] / path.name).symlink_to(path)
    assert rollback(settings) == names[1]  # not the orphan, newer by name
    assert rollback(settings) == first  # a rollback is undone step by step, not toggled
    with pytest.raises(IndexStateError, match="没有更早"):
        previous(settings.index_dir)
    kinds = [line for line in (settings.index_dir / SWITCHES).read_text().splitlines()]
    assert len(kinds) == 5 and '"rollback"' in kinds[-1]


def test_an_index_folder_from_before_the_record_is_upgraded_in_place(settings):
    from bot.ingest.changes import add_document, rollback
    from bot.ingest.files import preview
    from bot.ingest.versions import SWITCHES, live_stack
    from tests.documents_fixtures import CITY_PLAN

    open_live(settings, encoder=FakeEncoder())
    first = current(settings.index_dir).name
    add_document(settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "p"), FakeEncoder())
    (settings.index_dir / SWITCHES).unlink()  # as an index folder of the last release
    assert live_stack(settings.index_dir) == [v.name for v in versions(settings.index_dir)]
    assert (settings.index_dir / SWITCHES).exists()
    assert rollback(settings) == first and current(settings.index_dir).name == first
    assert len(open_live(settings, encoder=FakeEncoder(), rebuild="never").docs) == 2


def test_kill_9_before_the_switch_then_another_add_then_rollback(settings, tmp_path):
    """The killed add's version folder is written and its document in place, but ``current``
    has not moved: the next change undoes its files, and no rollback brings it back."""
    import json
    import signal

    from tests import fake_model_cli
    from tests.documents_fixtures import CITY_PLAN, REGULATION

    open_live(settings, encoder=FakeEncoder())
    serving = current(settings.index_dir).name
    files = sorted(p.name for p in settings.knowledge_dir.iterdir())
    plan, regulation = tmp_path / "plan.txt", tmp_path / "regulation.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    regulation.write_text(REGULATION, encoding="utf-8")
    system_tmp = tmp_path / "system-tmp"  # where the system temp folder is, for the commands
    system_tmp.mkdir()
    marker = tmp_path / "paused"
    env = {"TMPDIR": str(system_tmp), "NIANGJIA_TEST_PAUSE_BEFORE_SWITCH": str(marker)}
    proc = fake_model_cli.start(settings, "docs", "add", str(plan), "--yes", env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "never reached the switch"
            time.sleep(0.05)
        orphan = settings.index_dir / marker.read_text(encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert orphan.is_dir() and current(settings.index_dir).name == serving
    env = {"TMPDIR": str(system_tmp)}
    added = fake_model_cli.run(settings, "docs", "add", str(regulation), "--yes", env=env)
    assert added.returncode == 0, added.stderr
    listed = fake_model_cli.run(settings, "docs", "list", env=env).stdout
    assert "某政令〔2023〕12号" in listed and "武工发〔2024〕3号" not in listed
    back = fake_model_cli.run(settings, "index", "rollback", "--yes", env=env)
    assert back.returncode == 0, back.stderr
    assert current(settings.index_dir).name == serving
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == files
    status = json.loads(fake_model_cli.run(settings, "index", "status", "--json").stdout)
    assert status["state"] == "ok" and len(status["documents"]) == 2
    assert not orphan.exists()  # a build never switched to is not kept
    # Nothing was staged in the system temp folder: no copy of any document is there.
    for path in system_tmp.rglob("*"):
        if path.is_file():
            assert "武工发〔2024〕3号" not in path.read_bytes().decode("utf-8", "replace"), path
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [".lock"]


def test_the_cache_keeps_variants_of_a_model_apart(tmp_path):
    plain = EmbeddingCache(tmp_path / "c.npz", "m")
    assert EmbeddingCache(tmp_path / "c.npz", "m", "onnx-int8").key("乙") != plain.key("乙")
    assert EmbeddingCache(tmp_path / "c.npz", "m", "onnx-fp32").key("乙") != EmbeddingCache(
        tmp_path / "c.npz", "m", "onnx-int8"
    ).key("乙")


def test_a_rollback_killed_between_its_files_and_its_switch_is_undone_by_the_next_change(
    settings, monkeypatch
):
    import bot.ingest.versions
    from bot.ingest.changes import add_document, apply_change, rollback
    from bot.ingest.files import preview
    from bot.ingest.versions import PENDING
    from tests.documents_fixtures import CITY_PLAN

    open_live(settings, encoder=FakeEncoder())
    add_document(
        settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "c.txt"), FakeEncoder()
    )
    live = current(settings.index_dir)
    files_live = sorted(p.name for p in settings.knowledge_dir.iterdir())

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if killed once the files were restored

    monkeypatch.setattr(bot.ingest.versions, "point", killed)
    with pytest.raises(KeyboardInterrupt):
        rollback(settings)
    monkeypatch.undo()
    assert current(settings.index_dir) == live  # not switched …
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) != files_live  # … half-done
    assert (settings.index_dir / PENDING).exists()
    apply_change(settings, FakeEncoder())  # the next change recovers first
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == files_live
    assert not (settings.index_dir / PENDING).exists()


def test_a_switch_that_cannot_be_recorded_is_still_a_switch_and_says_so_truly(
    settings, monkeypatch
):
    import errno

    import bot.ingest.versions
    from bot.ingest.changes import add_document
    from bot.ingest.files import preview
    from bot.ingest.versions import live_stack
    from tests.documents_fixtures import CITY_PLAN

    open_live(settings, encoder=FakeEncoder())
    before = current(settings.index_dir)
    record = bot.ingest.versions._record

    def full(index_dir, entries):
        if any(e.get("at") for e in entries):  # the new switch's entry: the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        record(index_dir, entries)

    monkeypatch.setattr(bot.ingest.versions, "_record", full)
    _, change = add_document(
        settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "c.txt"), FakeEncoder()
    )  # no StorageError claiming nothing changed: the change is live
    monkeypatch.undo()
    assert current(settings.index_dir).name == change.version != before.name
    assert live_stack(settings.index_dir)[-2:] == [before.name, change.version]


def test_a_switch_record_cut_short_does_not_swallow_the_next_one(settings):
    import json

    from bot.ingest.changes import add_document
    from bot.ingest.files import preview
    from bot.ingest.versions import SWITCHES, live_stack
    from tests.documents_fixtures import CITY_PLAN

    open_live(settings, encoder=FakeEncoder())
    first = current(settings.index_dir).name
    record = settings.index_dir / SWITCHES
    with open(record, "a", encoding="utf-8") as stream:
        stream.write('{"at": "2026-')  # a full disk cut this line short
    _, change = add_document(
        settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "c.txt"), FakeEncoder()
    )
    last = record.read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last)["version"] == change.version
    assert live_stack(settings.index_dir)[-2:] == [first, change.version]
