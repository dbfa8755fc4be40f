"""Documents in: read a file an admin sends (text, .docx, .pdf), check it, preview it, and add,
replace or remove it in the knowledge folder.

The type is sniffed from the content, never the file name: a PDF starts with ``%PDF-``, a .docx
is a zip holding ``word/document.xml``, anything else must decode as UTF-8 or GB18030 without
looking binary. The file name is only a hint and never becomes a path: the stored name is made
from the 文号. A file that is too big, empty, binary, encrypted, undecodable or yields no clause is
refused with the reason, and nothing changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.documents import (
    CJK,
    CN_DIGITS,
    DEPT_LABELS,
    DOC_CODE_RE,
    ROLE_LABEL_RE,
    SIDECAR,
    Document,
    decode_text,
    heading_style,
    load_document,
    parse_document,
)
from bot.core.knowledge import knowledge_files, load_knowledge
from bot.core.replies import book_title, shorten
from bot.errors import DocumentError, FileBoundError, IngestError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import _Row

MAX_BYTES = 5 * 1024 * 1024
MAX_INFLATED = 20 * 1024 * 1024  # a .docx's members, uncompressed, in all
MAX_RATIO = 100  # uncompressed / compressed, for a member of more than RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
MAX_MEMBERS = 2000
MAX_PAGES = 300
MAX_CHARS = 500_000
SKIPPED_SHOWN = 10  # lines named in the preview that look numbered but were not taken

# A table cell that holds only an item's number: 1, 1., 一, 一、, （一）.
CELL_NUMBER_RE = re.compile(
    rf"^(?:\d{{1,3}}[.．、]?|[{CN_DIGITS}]{{1,4}}、?|[（(]\s*(?:\d{{1,3}}|[{CN_DIGITS}]{{1,4}})\s*[）)])$"
)
HEADER_CELLS = {"序号", "编号", *DEPT_LABELS}

# A decree's 文号, numbered without a year: 国务院令第752号, 主席令第七十号.
DECREE_CODE_RE = re.compile(rf"[{CJK}]{{1,20}}令第[\d{CN_DIGITS}千]{{1,8}}号")

BROKEN_PDF = "这个 PDF 文件已损坏或不完整，无法读取。请重新导出或重新下载后再发送。"
BROKEN_DOCX = "这个 Word 文档（.docx）已损坏或不完整，无法读取。请用 Word 打开并另存一份后再发送。"


@dataclass
class Preview:
    """What adding a file would do, shown before it is confirmed."""

    document: Document
    text: str  # the document as UTF-8 text, as it will be stored
    kind: str  # text | docx | pdf
    replaces: str | None = None  # title of the document with the same 文号, if any
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        doc = self.document
        out = [
            f"标题：{doc.title}",
            f"文号：{doc.code}",
            f"格式：{self.kind}，{len(doc.clauses)} 条条款：",
        ]
        for clause in doc.clauses[:40]:
            number = f"{clause.number} " if clause.number else ""
            out.append(f"  · {number}{clause.title}")
        if len(doc.clauses) > 40:
            out.append(f"  …… 另有 {len(doc.clauses) - 40} 条")
        departments = sorted({d for c in doc.clauses for d in c.departments})
        out.append("责任单位：" + ("、".join(departments) if departments else "（未找到）"))
        if self.replaces:
            out.append(f"将替换现有的同文号文件{book_title(self.replaces)}。")
        out += [f"注意：{w}" for w in self.warnings]
        return out + self.skipped_lines()

    def skipped_lines(self) -> list[str]:
        """The lines that look like numbered items but were not read as clauses, named."""
        skipped = self.document.skipped
        out = [f"  · {shorten(line, 40)}" for line in skipped[:SKIPPED_SHOWN]]
        if len(skipped) > SKIPPED_SHOWN:
            out.append(f"  …… 另有 {len(skipped) - SKIPPED_SHOWN} 行")
        return out


# ---------------------------------------------------------------------- reading


def sniff(data: bytes) -> str:
    """pdf, docx or text, from the bytes themselves."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:  # its directory, at the end, is missing: cut short
            if b"word/" in data:  # the names of a .docx's parts, in its local headers
                raise IngestError(BROKEN_DOCX) from None
            raise IngestError("这是一个损坏的压缩文件，不是 Word 文档（.docx）。") from None
        raise IngestError("这是一个压缩文件，不是 Word 文档（.docx）。")
    return "text"


def check_inflation(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose members would inflate past the bounds, before any is read. The sizes
    are the directory's; zipfile never inflates a member past its stated size."""
    if len(members) > MAX_MEMBERS:
        raise FileBoundError(f"Word 文档里的部件太多（{len(members)} 个），无法作为政策文件读取。")
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_INFLATED:
        raise FileBoundError(
            f"Word 文档解压后太大（{inflated / 1024 / 1024:.0f} MB），"
            f"上限是 {MAX_INFLATED // 1024 // 1024} MB。"
        )
    for m in members:
        if m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise FileBoundError(
                f"Word 文档的压缩比异常（{m.file_size // max(m.compress_size, 1)} 倍），"
                "可能是恶意文件，已拒绝。"
            )


def check_chars(text: str) -> str:
    """Refuse text past the character limit (before it is parsed)."""
    if len(text) > MAX_CHARS:
        raise FileBoundError(
            f"文件文字太多（{len(text):,} 字），上限是 {MAX_CHARS:,} 字。请拆分后再加入。"
        )
    return text


def check_text(data: bytes) -> str:
    """Text that is really text: binary content and unknown encodings are refused."""
    if b"\x00" in data[:8192]:
        raise IngestError(
            "文件看起来是二进制数据，不是文字。请发送 .txt、.docx 或带文字层的 .pdf。"
        )
    try:
        text = decode_text(data)
    except DocumentError as exc:
        raise IngestError(str(exc)) from exc
    controls = sum(1 for ch in text[:4000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:4000]) // 50):
        raise IngestError("文件看起来是二进制数据，不是文字。")
    return text


def read_docx(data: bytes) -> str:
    """Paragraphs and table rows of a .docx, refused first when it would inflate past the
    bounds (see ``check_inflation``)."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_inflation(archive.infolist())
        document = docx.Document(io.BytesIO(data))
    except IngestError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds on damaged parts
        raise IngestError(BROKEN_DOCX) from exc
    return "\n".join(docx_lines(document))


def docx_lines(document: DocxDocument) -> list[str]:
    """Paragraphs and table rows in the order they stand in the document."""
    from docx.table import Table

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):  # plans often list tasks and 责任单位 in a table
            lines += table_lines([row_cells(row) for row in block.rows])
        else:
            lines.append(block.text)
    return lines


def row_cells(row: _Row) -> list[str]:
    """A row's cell texts by grid column; a cell spanning columns counts once, then blank."""
    texts: list[str] = []
    previous = None
    for cell in row.cells:  # python-docx gives a spanning cell once per column, as one object
        texts.append("" if cell is previous else cell.text.strip())
        previous = cell
    return texts


def table_lines(rows: list[list[str]]) -> list[str]:
    """Lines for a table's rows. A header row (序号, 责任单位, …) names the columns and is not
    text; the rows under it are read with ``row_line``."""
    lines: list[str] = []
    labels: list[str] = []
    for cells in rows:
        names = [re.sub(r"\s+", "", c) for c in cells]
        if HEADER_CELLS & set(names) and not _row_number(cells):
            labels = names
            continue
        line = row_line(cells, labels)
        if line:
            lines.append(line)
    return lines


def _row_number(cells: list[str]) -> str | None:
    """The marker a numbered row opens with (1. for a bare 1), None for a row without one."""
    first = next((c for c in cells if c), "")
    if CELL_NUMBER_RE.match(first):
        if first[0].isdigit():
            return f"{first.rstrip('.．、')}. "  # the space keeps 1 + 5万 from reading as 1.5万
        return first if first[-1] in "、）)" else f"{first}、"
    return "" if heading_style(first) else None


def row_line(cells: list[str], labels: list[str]) -> str:
    """A table row as a line. A numbered row (its number in a cell of its own, or a first cell
    opening with 1. or 一、) becomes a numbered item: its cells joined as sentences, the cells
    under a 责任单位 (or 牵头单位, 配合单位, …) column bracketed as in running text."""
    marker = _row_number(cells)
    filled = [(c, labels[i] if i < len(labels) else "") for i, c in enumerate(cells) if c]
    if marker is None:
        return " ".join(dict.fromkeys(c for c, _ in filled))
    if marker:
        filled = filled[1:]
    roles = [(label, c) for c, label in filled if _is_role(label)]
    roles.sort(key=lambda pair: pair[0] not in DEPT_LABELS)  # the bracket opens with its label
    sentences = ""
    for cell, label in filled:
        if _is_role(label):
            continue
        if sentences and sentences[-1] not in "。！？；：":
            sentences += "。"
        sentences += cell
    bracket = "；".join(f"{label}：{c}" for label, c in roles)
    return marker + sentences + (f"（{bracket}）" if bracket else "")


def _is_role(label: str) -> bool:
    return label in DEPT_LABELS or ROLE_LABEL_RE.match(label + "：") is not None


def read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    # pypdf logs what it repaired in a malformed file (EOF marker not found, …) as warnings,
    # which would reach stderr; the reader is told in Chinese when the file cannot be read.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("PDF 已加密，无法读取。请发送未加密的文件。")
        if len(reader.pages) > MAX_PAGES:
            raise FileBoundError(f"PDF 页数太多（{len(reader.pages)} 页），上限是 {MAX_PAGES} 页。")
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_CHARS:  # stop reading: the rest would be refused anyway
                check_chars("".join(pages))
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many kinds on malformed files
        raise IngestError(BROKEN_PDF) from exc
    text = "\n".join(pages)
    if len(re.sub(r"\s", "", text)) < 20:
        raise IngestError("PDF 没有文字层（可能是扫描件），无法读取。请发送文字版。")
    return text


def check_size(size: int) -> None:
    """Refuse a file over the limit (also before it is read or downloaded)."""
    if size > MAX_BYTES:
        raise IngestError(f"文件太大（{size / 1024 / 1024:.1f} MB），上限是 5 MB。")


def read_file(data: bytes) -> tuple[str, str]:
    """(kind, text) of an uploaded file, checked for size and type."""
    if not data:
        raise IngestError("文件是空的。")
    check_size(len(data))
    kind = sniff(data)
    text = check_chars({"pdf": read_pdf, "docx": read_docx, "text": check_text}[kind](data))
    if not text.strip():
        raise IngestError("文件里没有文字。")
    return kind, text


def check_code(code: str) -> str:
    """A 文号 given by hand (``--code``), its spaces taken out, when it looks like one:
    发文机关代字〔年份〕序号号 in any of the usual brackets (as a document's own 文号 is
    found), or a decree's 某令第N号; IngestError otherwise."""
    compact = re.sub(r"\s+", "", code)
    if DOC_CODE_RE.fullmatch(compact) or DECREE_CODE_RE.fullmatch(compact):
        return compact
    raise IngestError(
        f"“{code}”看起来不是文号。文号一般写作 发文机关代字〔年份〕序号号，"
        "例如 武工发〔2024〕3号；命令写作 国务院令第752号。"
    )


def safe_name(code: str) -> str:
    """A file name made from the 文号 (or title): no separators, no dots to climb with."""
    readable = re.sub(r"[^\w\u3400-\u9fff〔〕\-]+", "-", code).strip("-.")[:60] or "document"
    digest = hashlib.sha256(code.encode()).hexdigest()[:8]
    return f"{readable}-{digest}.txt"


# ---------------------------------------------------------------------- preview / add / remove


def preview(
    data: bytes,
    knowledge_dir: Path,
    filename: str = "",
    title: str | None = None,
    code: str | None = None,
) -> Preview:
    """Read and parse a file as it would be added; raises IngestError with the reason."""
    code = check_code(code) if code else None  # before the file is read
    kind, text = read_file(data)
    return preview_text(text, kind, knowledge_dir, filename, title, code)


def preview_text(
    text: str,
    kind: str,
    knowledge_dir: Path,
    filename: str = "",
    title: str | None = None,
    code: str | None = None,
) -> Preview:
    """Parse text already read from a file (``kind``: text, docx or pdf) as it would be added."""
    code = check_code(code) if code else None
    source = Path(filename or "upload").name
    try:
        document = parse_document(text, source=source, title=title, code=code)
    except DocumentError as exc:
        raise IngestError(f"没有从文件中找到条款：{exc}") from exc
    warnings: list[str] = []
    if not code and not DOC_CODE_RE.search(document.code):
        document = parse_document(text, source=source, title=title, code=document.title)
        warnings.append("未找到文号，暂以标题作为标识；可用 --code 指定。")
    numbered = [c for c in document.clauses if c.number]
    if not numbered:
        raise IngestError("没有找到编号的条款（如 一、（一）1. 第一条），无法作为政策文件加入。")
    if not any(c.departments for c in document.clauses):
        warnings.append("没有找到责任单位。")
    if len(numbered) < 3:
        warnings.append(f"只找到 {len(numbered)} 条编号条款，请核对文件格式。")
    if document.skipped:
        warnings.append(
            f"有 {len(document.skipped)} 行看起来像编号条款，但没有读成条款"
            "（编号格式不认识，如 1）或 1.1；或只有标题、没有内容），请核对："
        )
    existing = {d.code: d for d in _current_documents(knowledge_dir)}
    replaces = existing[document.code].title if document.code in existing else None
    return Preview(document, text, kind, replaces, warnings)


def _current_documents(knowledge_dir: Path) -> list[Document]:
    try:
        return load_knowledge(knowledge_dir)
    except DocumentError:
        return []


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _by_code(knowledge_dir: Path, code: str) -> list[str]:
    """Names of the files (with their sidecars) that hold the document with this 文号."""
    names: list[str] = []
    for path in knowledge_files(knowledge_dir):
        try:
            doc = load_document(path)
        except DocumentError:
            continue
        if doc.code == code:
            names += [path.name, path.name + SIDECAR]
    return names


def staged_files(knowledge_dir: Path, item: Preview) -> dict[str, str | None]:
    """The knowledge folder's changes for adding ``item``: file name → text (None: delete)."""
    doc = item.document
    changes: dict[str, str | None] = dict.fromkeys(_by_code(knowledge_dir, doc.code))
    name = safe_name(doc.code)
    changes[name] = item.text
    changes[name + SIDECAR] = json.dumps(
        {"title": doc.title, "code": doc.code, "source": doc.source}, ensure_ascii=False
    )
    return changes


def removal_files(knowledge_dir: Path, code: str) -> dict[str, str | None]:
    names = _by_code(knowledge_dir, code)
    if not names:
        raise IngestError(f"没有文号为 {code} 的文件。")
    return dict.fromkeys(names)


def clean_leftovers(knowledge_dir: Path) -> None:
    """Remove the partial writes a killed change left in the knowledge folder."""
    for pattern in (".incoming-*", ".restore-*"):
        for path in Path(knowledge_dir).glob(pattern):
            path.unlink(missing_ok=True)


def apply_files(knowledge_dir: Path, changes: dict[str, str | None]) -> None:
    """Write and delete files in the knowledge folder (each write atomic)."""
    for name, text in changes.items():
        path = Path(knowledge_dir) / Path(name).name  # never a path from outside
        if text is None:
            path.unlink(missing_ok=True)
        else:
            _atomic_write(path, text)
