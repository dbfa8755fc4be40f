"""The knowledge base: the source documents of a folder, parsed and linked."""

from __future__ import annotations

from pathlib import Path

from bot.core.counterparts import link_parallel_clauses
from bot.core.documents import Clause, Document, load_document
from bot.errors import DocumentError

SUFFIXES = (".txt",)


def knowledge_files(directory: Path) -> list[Path]:
    """The document files of a knowledge folder, in name order (a dot file is a partial write,
    never a document)."""
    return sorted(
        p
        for p in Path(directory).iterdir()
        if p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def load_knowledge(directory: Path) -> list[Document]:
    """Every document in a folder, in file-name order, parallel clauses linked."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DocumentError(f"知识库目录不存在：{directory}")
    paths = knowledge_files(directory)
    if not paths:
        raise DocumentError(f"知识库目录中没有文件：{directory}")
    docs = [load_document(p) for p in paths]
    codes = [d.code for d in docs]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:
        raise DocumentError(f"文号重复：{'、'.join(sorted(dupes))}")
    link_parallel_clauses(docs)
    return docs


def all_clauses(docs: list[Document]) -> list[Clause]:
    return [c for d in docs for c in d.clauses]
