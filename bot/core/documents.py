"""Chinese official documents: clean the text, find title and 文号, split into clauses.

A clause is a numbered item (一、/（一）/1./3、/（1）/第X条 at any nesting) that carries text of
its own: a heading with a sentence (。) or a 责任单位, or text under the heading. Its title is its
heading sentence (the text before the first 。/；/（责任单位…）, or the whole line). Unnumbered
text before the first heading is the 前言; a notice that issues an attached plan (关于印发《X》的
通知) becomes its own clause, 通知. 责任单位 are read from [ ], 【 】 or （ ） in a clause and split
on 、 exactly as written. Lines that look numbered but are not taken, in a style the parser does
not know (1）X, 1.1 X, 第一部分) or a bare heading with nothing under it, are kept in
``Document.skipped`` for the admin's preview.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import DocumentError

CN_DIGITS = "零一二三四五六七八九十百"
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")}

CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】〔〕—…·「」『』"

# 文号: issuer abbreviation + 〔year〕 + number + 号, in any of the usual brackets.
DOC_CODE_RE = re.compile(
    rf"[{CJK}]{{1,12}}[〔\[［(（]\s*(?:19|20)\d\d\s*[〕\]］)）]\s*\d{{1,4}}\s*号"
)

# Heading markers, each its own style; nesting follows their order of first appearance.
HEADING_STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"^第[{CN_DIGITS}\d]+章\s*")),
    ("article", re.compile(rf"^第[{CN_DIGITS}\d]+条\s*")),
    ("cn", re.compile(rf"^[{CN_DIGITS}]+\s*、\s*")),
    ("paren_cn", re.compile(rf"^[（(]\s*[{CN_DIGITS}]+\s*[）)]\s*")),
    ("arabic", re.compile(r"^\d{1,3}\s*[.．、](?!\d)\s*")),
    ("paren_arabic", re.compile(r"^[（(]\s*\d{1,3}\s*[）)]\s*")),
    ("circled", re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]\s*")),
]

DOC_TYPES = (
    "实施方案",
    "工作方案",
    "实施意见",
    "指导意见",
    "实施办法",
    "管理办法",
    "实施细则",
    "方案",
    "意见",
    "通知",
    "办法",
    "规定",
    "条例",
    "细则",
    "规划",
    "纲要",
    "决定",
    "通报",
    "要点",
    "计划",
)
# Raise when the same text parses into other clauses or clause texts: an index records it and
# one built by another version is rebuilt where it lies. 2: numbered headings with their
# 责任单位 on the line, docx tables read in place. 3: a notice without its addressees.
PARSER_VERSION = 3
# A notice's addressees (主送机关): units separated by 、 or ，, ending in a colon, no sentence
# (现将有关事项通知如下： is not one).
ADDRESSEES_RE = re.compile(
    r"(?!.*(?:如下|现将|特此))(?:各[^。！？；]{1,300}|[^。！？；]{2,300}[、，][^。！？；]{1,300})[：:]"
)
DEPT_LABELS = ("责任单位", "牵头单位", "责任部门", "负责单位", "责任处室")
# Where a heading's title ends: a sentence end or a bracket opening its 责任单位.
TITLE_END_RE = re.compile(rf"[。！？；]|[\[【（(［]\s*(?:{'|'.join(DEPT_LABELS)})\s*[:：]")
# The opening of a numbered item in a style the parser does not take: 1）X, 1 X, 一．X, 1.1 X,
# （a）X, 第一部分 X. Decimals (1.5万) are not numbers of items, so 1.1X without a space is not one.
# What follows a number that counts something (10 万元, 3 个方面, 5 月 8 日), not an item's.
QUANTITY_WORDS = "[个家万千百亿年月日号名人次项条元岁天周%倍所座批期届]"
NUMBERED_LOOK_RE = re.compile(
    rf"^(?:(?:\d{{1,3}}|[{CN_DIGITS}]{{1,4}})\s*(?:[)）:：,，]|[.．、](?!\d)|\s+(?!{QUANTITY_WORDS}))"
    rf"|\d{{1,3}}(?:[.．]\d{{1,3}})+(?:[.．、]|\s+)"
    rf"|[（(]\s*[a-zA-Z]\s*[）)]"
    rf"|第[{CN_DIGITS}\d]+(?:节|部分|项|款)\s*)"
)
ROLE_LABEL_RE = re.compile(r"^(?:配合|协办|参与|牵头|责任|主办)(?:单位|部门)\s*[:：]")
BARE_MARKER_RE = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+条|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）"
    r"|\d+[.．、]|（\d+）)$"
)
OPEN_BRACKETS = {"[": "]", "【": "】", "（": "）", "(": ")", "［": "］"}
TERMINAL = "。！？；：…”’」』）)】]］"
DATE_LINE_RE = re.compile(r"^\s*(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,6}$")

PROVINCE_ABBR = {
    "北京": "京",
    "天津": "津",
    "河北": "冀",
    "山西": "晋",
    "内蒙古": "蒙",
    "辽宁": "辽",
    "吉林": "吉",
    "黑龙江": "黑",
    "上海": "沪",
    "江苏": "苏",
    "浙江": "浙",
    "安徽": "皖",
    "福建": "闽",
    "江西": "赣",
    "山东": "鲁",
    "河南": "豫",
    "湖北": "鄂",
    "湖南": "湘",
    "广东": "粤",
    "广西": "桂",
    "海南": "琼",
    "重庆": "渝",
    "四川": "川",
    "贵州": "黔",
    "云南": "滇",
    "西藏": "藏",
    "陕西": "陕",
    "甘肃": "甘",
    "青海": "青",
    "宁夏": "宁",
    "新疆": "新",
}


def place_of(doc_name: str, number: str, title: str) -> str:
    """Where a clause stands, as people name it: 全总意见 第（八）条「…」, 湖北方案 第4项「…」."""
    if not number:
        return f"{doc_name}「{title}」"
    return f"{doc_name} {number_named(number)}「{title}」"


def number_named(number: str) -> str:
    """A clause number as people say it: 第（八）条, 第4项, 一、."""
    if number.startswith("（"):
        return f"第{number}条"
    if number.isdigit():
        return f"第{number}项"
    return f"{number}、"


@dataclass(frozen=True)
class ClauseRef:
    """A pointer to a clause: enough to find it again and to name it in an answer."""

    doc_code: str
    number: str
    title: str
    place: str = field(default="", compare=False)


@dataclass
class Clause:
    """One numbered item of a document (or its 前言 / 通知)."""

    doc_code: str
    order: int
    number: str
    title: str
    text: str
    departments: list[str] = field(default_factory=list)
    section: str = ""
    parallel: ClauseRef | None = None
    doc_name: str = ""  # the document's short name

    @property
    def id(self) -> str:
        return f"{self.doc_code}#{self.order}"

    @property
    def place(self) -> str:
        return place_of(self.doc_name or self.doc_code, self.number, self.title)

    @property
    def ref(self) -> ClauseRef:
        return ClauseRef(self.doc_code, self.number, self.title, self.place)

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)


@dataclass
class Document:
    """A parsed source document."""

    code: str
    title: str
    short_name: str
    issuer: str
    source: str
    checksum: str
    clauses: list[Clause]
    aliases: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # 文号 of documents it cites
    skipped: list[str] = field(default_factory=list)  # lines that look numbered, not taken

    def clause_by_number(self, number: str) -> Clause | None:
        """Find a clause by its number, as written or by value within a style (（八） = (八))."""
        want = number_key(number)
        for clause in self.clauses:
            if clause.number and number_key(clause.number) == want:
                return clause
        return None

    def numbering(self) -> str:
        """The numbers its clauses run through, each run of one style as a range: 第一部分、
        第1项至第11项、第（一）条至第（三）条 ("" when none is numbered)."""
        runs: list[list[Clause]] = []
        for clause in (c for c in self.clauses if c.number):
            style, value = number_key(clause.number)
            if runs and value is not None:
                last_style, last_value = number_key(runs[-1][-1].number)
                if style == last_style and last_value is not None and value == last_value + 1:
                    runs[-1].append(clause)
                    continue
            runs.append([clause])

        def said(number: str) -> str:
            return f"第{number}部分" if number_key(number)[0] == "cn" else number_named(number)

        named = [
            said(run[0].number) + (f"至{said(run[-1].number)}" if len(run) > 1 else "")
            for run in runs
        ]
        return "、".join(named)


# --------------------------------------------------------------------------- text helpers


def cn_to_int(text: str) -> int | None:
    """一 → 1, 十六 → 16, 二十三 → 23, 16 → 16."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_DIGITS for c in text):
        return None
    if "百" in text:
        head, _, rest = text.partition("百")
        hundreds = _CN_VALUE.get(head, 1) if head else 1
        tail = cn_to_int(rest.lstrip("零")) if rest else 0
        return hundreds * 100 + (tail or 0)
    if "十" in text:
        head, _, rest = text.partition("十")
        tens = _CN_VALUE.get(head, 1) if head else 1
        ones = _CN_VALUE.get(rest, 0) if rest else 0
        return tens * 10 + ones
    if len(text) == 1:
        return _CN_VALUE.get(text)
    return None


def number_key(number: str) -> tuple[str, int | None]:
    """Normalise a clause number so that （八）, (八) and 八 compare equal but 8 does not."""
    core = number.strip().strip("（()）第条项、.． ")
    paren = number.strip().startswith(("（", "("))
    if core.isdigit():
        return ("arabic", int(core))
    return ("paren_cn" if paren else "cn", cn_to_int(core))


def clean_line(line: str) -> str:
    """Strip indentation and the spaces PDF extraction leaves between Chinese characters."""
    line = line.replace("\u3000", " ").replace("\xa0", " ").replace("\t", " ").strip()
    line = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\ufeff]", "", line)
    between = rf"[{CJK}{CJK_PUNCT}]"
    return re.sub(rf"(?<={between})\s+(?={between})", "", line)


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？； (kept), and line breaks; empty pieces dropped."""
    out: list[str] = []
    for para in text.split("\n"):
        for piece in re.findall(r"[^。！？；]+[。！？；]?", para):
            piece = piece.strip()
            if piece:
                out.append(piece)
    return out


def heading_style(line: str) -> tuple[str, re.Match[str]] | None:
    for name, pattern in HEADING_STYLES:
        m = pattern.match(line)
        if m and len(line) > m.end():
            return name, m
    return None


def looks_numbered(line: str) -> bool:
    """A line that opens like a numbered item but in none of the heading styles."""
    m = NUMBERED_LOOK_RE.match(line)
    return m is not None and len(line) > m.end() and heading_style(line) is None


def is_title_line(line: str) -> bool:
    """A document title: no sentence end, ends with a document type (通知, 方案, 意见, …)."""
    if "。" in line or len(line) < 6 or heading_style(line):
        return False
    return line.endswith(DOC_TYPES) or line.endswith("文件")


def is_standalone(line: str) -> bool:
    """Lines that never continue onto the next one: headings, titles, 文号, dates, sign-offs."""
    if heading_style(line) and "。" not in line and len(line) <= 60:
        return True
    if is_title_line(line) or DATE_LINE_RE.match(line):
        return True
    if DOC_CODE_RE.fullmatch(line):
        return True
    return len(line) <= 14 and not re.search(r"[，。、；：]", line)


def join_broken_lines(lines: list[str]) -> list[str]:
    """Undo line breaks that PDF extraction put inside sentences or words, and after a bare
    number ("第三条" alone on its line, its text on the next)."""
    out: list[str] = []
    for line in lines:
        if out and BARE_MARKER_RE.match(out[-1]) and not heading_style(line):
            out[-1] += (" " if out[-1].endswith("条") else "") + line
        elif (
            out
            and out[-1][-1] not in TERMINAL
            and not is_standalone(out[-1])
            and not heading_style(line)
            and not line.startswith("——")
            and not DATE_LINE_RE.match(line)
        ):
            out[-1] += line
        else:
            out.append(line)
    return out


def extract_departments(text: str) -> tuple[str, list[str]]:
    """Split a trailing [责任单位：A、B（C）] off a clause; any bracket style, nesting kept."""
    label = "|".join(DEPT_LABELS)
    for m in reversed(list(re.finditer(rf"({label})\s*[:：]", text))):
        start = m.start() - 1
        while start >= 0 and text[start] == " ":
            start -= 1
        if start < 0 or text[start] not in OPEN_BRACKETS:
            continue
        depth, end = 0, None
        for i in range(start, len(text)):
            ch = text[i]
            if ch in OPEN_BRACKETS:
                depth += 1
            elif ch in OPEN_BRACKETS.values():
                depth -= 1
                if depth == 0:
                    end = i
                    break
        if end is None:
            continue
        inner = text[m.end() : end]
        names: list[str] = []
        depth, current = 0, ""
        for ch in inner:
            if ch in OPEN_BRACKETS:
                depth += 1
            elif ch in OPEN_BRACKETS.values():
                depth -= 1
            if ch in "、，,；;" and depth == 0:
                names.append(current.strip())
                current = ""
            else:
                current += ch
        names.append(current.strip())
        rest = (text[:start] + text[end + 1 :]).strip()
        # "牵头单位：A；配合单位：B" lists both; each name without its label.
        names = [ROLE_LABEL_RE.sub("", n).strip() for n in names]
        return rest, [n for n in names if n]
    return text, []


def heading_title(body: str) -> str:
    """The heading sentence: the first line up to its first 。！？； or the bracket of its
    责任单位 (the whole line when it has neither)."""
    first = body.split("\n", 1)[0]
    title = TITLE_END_RE.split(first, maxsplit=1)[0]
    return title.strip().rstrip("：:")


def has_departments(text: str) -> bool:
    """Whether the text carries a bracketed 责任单位 (or 牵头单位, 责任部门, …)."""
    return bool(extract_departments(text)[1])


def strip_marker(line: str) -> tuple[str, str]:
    """('（八）', rest) for a heading line."""
    found = heading_style(line)
    if not found:
        return "", line
    _, m = found
    number = re.sub(r"\s+", "", m.group(0))
    number = number.rstrip("、.．").replace("(", "（").replace(")", "）")
    return number, line[m.end() :]


def top_heading(clause: Clause) -> str:
    """The outermost heading a clause stands under, as written (五、强化组织实施), or ""."""
    return clause.section.split(" / ")[0].strip()


def section_names(clause: Clause) -> list[str]:
    """The headings a clause stands under, outermost first, without their numbers
    (二、主要任务 / （一）聚焦基本职责… → 主要任务, 聚焦基本职责…)."""
    return [strip_marker(part.strip())[1] for part in clause.section.split(" / ") if part.strip()]


def heading_forms(heading: str) -> list[str]:
    """How a text may name a heading: a part of it between commas, whole or without its
    leading verb (总体要求 for 把握总体要求, 组织基础 for 夯实组织基础), four characters or more."""
    forms = []
    for part in (p.strip() for p in re.split(r"[，,；;]", heading)):
        forms += [f for f in ([part, part[2:]] if len(part) >= 6 else [part]) if len(f) >= 4]
    return forms


def names_heading(text: str, heading: str) -> bool:
    """Whether ``text`` names a heading (``heading_forms``); a word that merely starts like one
    (创新工作室 for 创新工作方式) does not."""
    return any(form in text for form in heading_forms(heading))


def issuer_of(title: str) -> str:
    m = re.match(
        r"^(中华全国总工会|全国总工会|中国[\u4e00-\u9fff]{1,8}工会|"
        r"[\u4e00-\u9fff]{2,9}?(?:省|自治区|市|州|县|区)(?:总工会|人民政府|委员会|妇联|妇女联合会)"
        r"(?:办公室|办公厅)?)",
        title,
    )
    return m.group(1) if m else ""


def short_name_of(title: str, issuer: str) -> str:
    """全总意见, 湖北方案: the issuer's common short form plus the document type."""
    kind = next((t for t in DOC_TYPES if title.endswith(t)), "")
    kind = {"实施方案": "方案", "工作方案": "方案", "实施意见": "意见", "指导意见": "意见"}.get(
        kind, kind
    )
    abbr = issuer_abbreviation(issuer)
    return (abbr + kind) if (abbr or kind) else title[:12]


def issuer_abbreviation(issuer: str) -> str:
    if issuer in ("中华全国总工会", "全国总工会"):
        return "全总"
    m = re.match(r"^([\u4e00-\u9fff]{2,9}?)(?:省|自治区|市|州|县|区)", issuer)
    return m.group(1) if m else issuer


def aliases_of(code: str, title: str, issuer: str, short: str) -> list[str]:
    """Names a user may call the document by (文号, short name, issuer and its common forms)."""
    names = {code, short}
    if issuer:
        names.add(issuer)
        abbr = issuer_abbreviation(issuer)
        if abbr:
            names.add(abbr)
        if issuer == "中华全国总工会":
            names.update({"全国总工会", "全总"})
        for province, letter in PROVINCE_ABBR.items():
            if issuer.startswith(province):
                names.update({province, province + "省", letter})
        m = re.match(r"^([\u4e00-\u9fff]{2,9}?(?:省|自治区|市))", issuer)
        if m:
            names.add(m.group(1))
    kind = short[len(issuer_abbreviation(issuer)) :] if issuer else ""
    if kind:
        names.add(f"{issuer_abbreviation(issuer)}{kind}")
    # The single-character province letter only counts as part of a 文号 (鄂工办发), never alone.
    return sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True)


# --------------------------------------------------------------------------- parsing


@dataclass
class _Node:
    style: str
    number: str
    heading: str  # the heading line without its marker
    body: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None
    line: str = ""  # the heading line as written


def _own_text(node: _Node) -> list[str]:
    """The lines that are the node's own clause text. The heading counts when it says more than
    a section name: a sentence (。) or a 责任单位."""
    heading_counts = "。" in node.heading or has_departments(node.heading)
    return [node.heading, *node.body] if heading_counts else node.body


def _normalise_title(text: str) -> str:
    return re.sub(r"[《》〈〉<>\s“”\"]", "", text)


def parse_document(
    text: str, source: str = "", title: str | None = None, code: str | None = None
) -> Document:
    """Parse a Chinese official document into clauses. Raises DocumentError when none are found."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = [line for line in (clean_line(line) for line in raw.split("\n")) if line]
    lines = join_broken_lines(cleaned)
    # After joining: a PDF line that merely wraps (100 家爱心母婴室，并于 / 5 月 8 日前…) is part of
    # a sentence, not an item that was missed.
    skipped = [line for line in lines if looks_numbered(line)]
    if not lines:
        raise DocumentError("文件为空")

    first_heading = next((i for i, ln in enumerate(lines) if heading_style(ln)), len(lines))
    preamble, body = lines[:first_heading], lines[first_heading:]

    found_code = ""
    for line in preamble[:6]:
        m = DOC_CODE_RE.search(line)
        if m and len(line) <= len(m.group(0)) + 8:
            found_code = re.sub(r"\s+", "", m.group(0))
            break
    code = code or found_code

    # Header block: red-head, 文号 and titles up to the first running text.
    titles: list[int] = [i for i, ln in enumerate(preamble) if is_title_line(ln)]
    notice_title = next(
        (preamble[i] for i in titles if re.search(r"^.{0,20}关于印发.*《", preamble[i])),
        None,
    )
    plan_title_idx = None
    if notice_title:
        start, end = notice_title.index("《") + 1, notice_title.rfind("》")
        # (a PDF may have broken the title line before its closing 》)
        inner = _normalise_title(notice_title[start : end if end > start else None])
        for i in titles:
            if _normalise_title(preamble[i]) == inner:
                plan_title_idx = i
    doc_title = title
    if not doc_title:
        if plan_title_idx is not None:
            doc_title = preamble[plan_title_idx]
        elif titles:
            doc_title = next(
                (preamble[i] for i in titles if not preamble[i].endswith("文件")),
                preamble[titles[0]],
            )
        else:
            doc_title = Path(source).stem if source else "未命名文件"

    def is_header(line: str) -> bool:
        return (
            is_title_line(line)
            or DOC_CODE_RE.fullmatch(line) is not None
            or (len(line) <= 14 and not re.search(r"[，。；]", line))
        )

    clauses: list[Clause] = []

    def add(number: str, ctitle: str, text_lines: list[str], section: str) -> bool:
        text_body = "\n".join(text_lines).strip()
        text_body, depts = extract_departments(text_body)
        if not text_body:
            return False
        clauses.append(
            Clause(
                doc_code=code,
                order=len(clauses),
                number=number,
                title=ctitle,
                text=text_body,
                departments=depts,
                section=section,
            )
        )
        return True

    if plan_title_idx is not None:
        notice = [ln for ln in preamble[:plan_title_idx] if not is_header(ln)]
        if notice and ADDRESSEES_RE.fullmatch(notice[0]):
            notice = notice[1:]  # 各市、州…总工会：: whom it is sent to, not what it says
        opening = [ln for ln in preamble[plan_title_idx + 1 :] if not is_header(ln)]
        add("", "通知", notice, "")
        add("", "前言", opening, "")
    else:
        add("", "前言", [ln for ln in preamble if not is_header(ln)], "")

    # Trailing sign-off: issuer line and date after the last clause.
    while (
        body
        and (DATE_LINE_RE.match(body[-1]) or is_standalone(body[-1]))
        and not heading_style(body[-1])
    ):
        body.pop()

    root = _Node("root", "", "")
    stack: list[_Node] = [root]
    for line in body:
        found = heading_style(line)
        if not found:
            stack[-1].body.append(line)
            continue
        style, _m = found
        number, rest = strip_marker(line)
        styles = [n.style for n in stack[1:]]
        if style in styles:
            stack = stack[: styles.index(style) + 1]
        node = _Node(style, number, rest, parent=stack[-1], line=line)
        stack[-1].children.append(node)
        stack.append(node)

    def walk(node: _Node, path: list[str]) -> None:
        for child in node.children:
            own_text = _own_text(child)
            ctitle = heading_title(child.heading)
            label = f"{child.number}{'、' if child.style == 'cn' else ''}{ctitle}"
            if (own_text or not child.children) and not add(
                child.number, ctitle, own_text, " / ".join(path)
            ):
                skipped.append(child.line)
            if child.children:
                walk(child, [*path, label])

    walk(root, [])
    if not any(c.number for c in clauses):
        raise DocumentError(_no_clauses(skipped))

    issuer = issuer_of(doc_title) or (issuer_of(notice_title) if notice_title else "")
    short = short_name_of(doc_title, issuer)
    references = sorted(
        {re.sub(r"\s+", "", m.group(0)) for m in DOC_CODE_RE.finditer(raw)} - {code}
    )
    return Document(
        code=code or short,
        title=doc_title,
        short_name=short,
        issuer=issuer,
        source=source,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        clauses=[_in_document(c, code or short, short) for c in clauses],
        aliases=aliases_of(code or short, doc_title, issuer, short),
        references=references,
        skipped=skipped,
    )


def _no_clauses(skipped: list[str]) -> str:
    """Why a text has no clause, naming the first lines that looked numbered."""
    message = "没有找到编号条款（一、（一）1. 或 第X条）"
    if skipped:
        named = "、".join(f"「{line[:30]}」" for line in skipped[:3])
        message += f"；像编号但没有读成条款的行：{named}"
    return message


def _in_document(clause: Clause, code: str, name: str) -> Clause:
    clause.doc_code, clause.doc_name = code, name
    return clause


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which includes GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("无法识别文件的文字编码（支持 UTF-8 和 GB18030/GBK）。")


def load_document(path: Path) -> Document:
    """Read a UTF-8 (or GB18030) text file and parse it."""
    try:
        text = decode_text(Path(path).read_bytes())
    except DocumentError as exc:
        raise DocumentError(f"{Path(path).name}: {exc}") from exc
    meta = read_sidecar(Path(path))
    return parse_document(
        text, source=Path(path).name, title=meta.get("title"), code=meta.get("code")
    )


SIDECAR = ".meta.json"


def read_sidecar(path: Path) -> dict:
    """Title and 文号 given when the document was added (they win over what is parsed)."""
    side = path.with_name(path.name + SIDECAR)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
