"""Adding and removing documents with the index switched atomically; the cache; rollback."""

from __future__ import annotations

import threading

import pytest

from bot.core.answer import QA
from bot.core.knowledge import knowledge_files
from bot.core.live import current_version as current
from bot.ingest.changes import add_document, open_live, remove_document, rollback
from bot.ingest.files import IngestError, preview
from bot.ingest.versions import versions
from tests.conftest import FakeEncoder, quantity_only
from tests.documents_fixtures import CITY_PLAN, REGULATION, as_docx


@pytest.fixture
def built(settings):
    return open_live(settings, encoder=FakeEncoder())


def test_adding_a_document_answers_from_it_with_its_source(settings, built):
    encoder = FakeEncoder()
    item = preview(as_docx(CITY_PLAN), settings.knowledge_dir, "武汉.docx")
    retriever, change = add_document(settings, item, encoder)
    assert change.documents == 3 and current(settings.index_dir).name == change.version
    # Only the new document's passages were embedded; the seeds' came from the cache.
    assert change.reused > change.embedded > 0 and encoder.calls > 0
    qa = QA(retriever, quantity_only())
    answer = qa.ask("武汉市新就业形态女职工权益维护由谁负责")
    top = answer.hits[0]
    assert top.doc_code == "武工发〔2024〕3号" and top.departments == ["市总工会基层工作部"]
    assert qa.doc_name(top.doc_code) == "武汉方案"  # its source, named like the seeds
    assert qa.place(top.doc_code, top.number, top.title).startswith("武汉方案 ")
    # It implements the national opinion: parallel clauses extend to it.
    wuhan = qa.by_code["武工发〔2024〕3号"]
    assert any(c.parallel and c.parallel.doc_code == "总工发〔2022〕5号" for c in wuhan.clauses)
    # The next process finds it: files and index agree.
    again = open_live(settings, encoder=FakeEncoder(), rebuild="never")
    assert {d.code for d in again.docs} >= {"武工发〔2024〕3号"}


def test_replacing_and_removing(settings, built):
    add_document(
        settings, preview(REGULATION.encode(), settings.knowledge_dir, "r.txt"), FakeEncoder()
    )
    newer = REGULATION.replace("1小时哺乳时间", "2小时哺乳时间")
    item = preview(newer.encode(), settings.knowledge_dir, "r2.txt")
    assert item.replaces == "某省女职工劳动保护办法"
    retriever, _ = add_document(settings, item, FakeEncoder())
    regs = [d for d in retriever.docs if d.code == "某政令〔2023〕12号"]
    assert len(regs) == 1 and "2小时" in regs[0].clause_by_number("第四条").text
    assert len(knowledge_files(settings.knowledge_dir)) == 3
    retriever, change = remove_document(settings, "某政令〔2023〕12号", FakeEncoder())
    assert change.documents == 2 and len(knowledge_files(settings.knowledge_dir)) == 2
    with pytest.raises(IngestError, match="没有文号"):
        remove_document(settings, "不存在〔2020〕1号", FakeEncoder())


def test_rollback_restores_documents_and_index(settings, built):
    first = current(settings.index_dir).name
    add_document(settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "p"), FakeEncoder())
    assert len(knowledge_files(settings.knowledge_dir)) == 3
    assert rollback(settings) == first
    assert current(settings.index_dir).name == first
    assert len(knowledge_files(settings.knowledge_dir)) == 2
    assert len(open_live(settings, encoder=FakeEncoder(), rebuild="never").docs) == 2


def test_only_the_last_few_versions_are_kept(settings, built):
    for i in range(6):
        text = REGULATION.replace("12号", f"{20 + i}号")
        add_document(settings, preview(text.encode(), settings.knowledge_dir, "r"), FakeEncoder())
    assert len(versions(settings.index_dir)) == 4


def test_a_crashed_build_leaves_the_previous_index_serving(settings, built):
    serving = current(settings.index_dir).name
    leftover = settings.index_dir / ".build-dead"  # what a kill -9 mid-build leaves
    leftover.mkdir()
    (leftover / "manifest.json").write_text("{half", encoding="utf-8")
    retriever = open_live(settings, encoder=FakeEncoder(), rebuild="never")
    assert current(settings.index_dir).name == serving and retriever.docs
    add_document(settings, preview(CITY_PLAN.encode(), settings.knowledge_dir, "p"), FakeEncoder())
    assert not leftover.exists()  # cleaned by the next build


def test_a_failing_build_changes_nothing(settings, built):
    class Broken(FakeEncoder):
        def encode_passages(self, texts, progress=False):
            raise RuntimeError("disk full")

    before = (
        current(settings.index_dir).name,
        sorted(p.name for p in settings.knowledge_dir.iterdir()),
    )
    item = preview(CITY_PLAN.encode(), settings.knowledge_dir, "p")
    with pytest.raises(RuntimeError):
        add_document(settings, item, Broken())
    after = (
        current(settings.index_dir).name,
        sorted(p.name for p in settings.knowledge_dir.iterdir()),
    )
    assert after == before


def test_questions_keep_being_answered_during_the_swap(settings, built):
    qa = {"live": QA(built, quantity_only())}
    errors: list[Exception] = []
    answered = [0]
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            try:
                assert qa["live"].ask("单位有没有哺乳室").hits
                answered[0] += 1
            except Exception as exc:  # pragma: no cover - the failure being tested for
                errors.append(exc)

    threads = [threading.Thread(target=asker) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for text in (CITY_PLAN, REGULATION):
            retriever, _ = add_document(
                settings, preview(text.encode(), settings.knowledge_dir, "x"), FakeEncoder()
            )
            qa["live"] = QA(retriever, quantity_only())  # the swap the bot does
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors and answered[0] > 0
    assert len(qa["live"].docs) == 4


def _state(settings):
    return (
        current(settings.index_dir).name,
        sorted(p.name for p in settings.knowledge_dir.iterdir()),
    )


def test_a_full_disk_during_a_change_is_one_line_and_keeps_the_old_index(
    settings, built, monkeypatch
):
    import errno

    from bot.core.retriever import Retriever
    from bot.errors import StorageError

    def full(self, directory):
        raise OSError(errno.ENOSPC, "No space left on device", str(directory / "x.faiss"))

    before = _state(settings)
    monkeypatch.setattr(Retriever, "save", full)
    item = preview(CITY_PLAN.encode(), settings.knowledge_dir, "p")
    with pytest.raises(StorageError, match="磁盘空间不足") as caught:
        add_document(settings, item, FakeEncoder())
    assert "\n" not in str(caught.value) and "原来的文件和索引保持不变" in str(caught.value)
    assert _state(settings) == before
    assert not list(settings.index_dir.glob(".build-*"))


def _fsize_limit(limit: int):
    def limit_writes() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


def test_a_command_that_cannot_write_the_index_says_so_in_one_line(settings, built, tmp_path):
    """A file-size limit on the process (which root cannot ignore either) makes the index's
    writes fail as a full disk would."""
    import subprocess

    from tests import fake_model_cli

    plan = tmp_path / "plan.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    before = _state(settings)
    proc = fake_model_cli.start(
        settings,
        "docs",
        "add",
        str(plan),
        "--yes",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_fsize_limit(64 * 1024),
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    (line,) = err.strip().splitlines()
    assert line.startswith("错误：无法写入") and "磁盘空间不足" in line
    assert _state(settings) == before


def test_a_read_only_index_folder_refuses_the_change_in_one_line(settings, built, tmp_path):
    import os

    from tests import fake_model_cli

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    plan = tmp_path / "plan.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    before = _state(settings)
    settings.index_dir.chmod(0o555)
    try:
        result = fake_model_cli.run(settings, "docs", "add", str(plan), "--yes")
    finally:
        settings.index_dir.chmod(0o755)
    assert result.returncode == 1 and "只读或没有写入权限" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _state(settings) == before
