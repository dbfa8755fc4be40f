"""Query understanding: which documents, clause numbers and departments a question names, and
what it asks for (search, who is responsible, what a department does, a clause or its parallel).

Everything here works from the documents themselves (their aliases, numbers and 责任单位) and
from general patterns of Chinese questions; nothing is keyed to particular questions.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from bot.core.documents import (
    CN_DIGITS,
    Clause,
    Document,
    number_key,
    strip_marker,
    top_heading,
)
from bot.core.tokens import sounds_alike

WHO_RE = re.compile(
    r"(哪个|哪些|哪几个|什么|何|啥|那些|边个)(部门|单位|科室|处室|机构)"
    r"|谁(来)?(负责|管|牵头|抓|落实|主管|承担)|归谁|由谁|找谁"
    r"|(哪个|边个)(来)?(负责|管(?![用理道]))|找哪个|有(没有)?人管"
    r"|(责任|牵头|负责|主管)(单位|部门)是"
)
# The question frame of a who-question, removed before searching for its topic.
WHO_FRAME_RE = re.compile(
    r"[，,]?\s*(这项|这件事|这个|这块|这些)?(工作)?[，,]?\s*"
    r"(湖北|省里|省总)?(是|都是|应该|应当|主要)?(由|归|找)?"
    r"(哪个|哪些|哪几个|什么|何|啥)(部门|单位|科室|处室|机构)"
    r"(来|去)?(负责|牵头|主管|管|抓|落实|承担|建立|推动|负责落实)?.{0,6}$"
    r"|[，,]?\s*(由|归)?(谁|哪个|边个)(来)?(负责|管|牵头|抓|落实|主管|承担).{0,6}$"
)
DUTY_RE = re.compile(
    r"负责|承担|职责|任务|分工|管(什么|哪|啥|些)|干(什么|啥)|做(什么|哪|啥)|"
    r"哪(几|些)(项|条|块)|牵扯|涉及|参与|分到|分配|承办|"
    # 工作, 事, 活 asked about (有哪些工作, 管的事, 的活是什么), not any word holding them (同事)
    r"(哪些|什么|啥|哪几[项件样]|几[项件样]|多少|的)(的)?(工作|事情?|活儿?)|"
    r"^(的)?(工作|事情?|活儿?)(是|有)?(什么|啥|哪些)?[？?。！!]*$"
)
# The last character of a unit's name (部, 室, 校, 会 …), and the characters of generic words
# for units; a short form must end like a unit and say something beyond the generic words.
CJK_NAME = re.compile(r"[\u3400-\u9fff]+")
# Characters of grammar, never a department's name mistyped (权益保障不到位, 办公的).
FUNCTION_CHARS = set(
    "不没的地得了着过是在有和与及或也都就还又要会能吗呢吧啊呀嘛哦么被把让给对为以将从到向于这那个"
)
# A department's name asked about is short (宣传布负责啥); a long question is searched.
MISTYPED_NAME_WITHIN = 16
UNIT_END = set("部室校会心协志处科社站所局团院队组")
GENERIC_UNIT_CHARS = set("工会部室处科中心委员办公作职各省市县区直属相关机关单位门")
CLAUSE_NO_RE = re.compile(
    rf"第\s*[（(]?\s*([{CN_DIGITS}]+|\d{{1,3}})\s*[）)]?\s*(条|项|款|点|部分)"
    rf"|(?<![\w{CN_DIGITS}])[（(]\s*([{CN_DIGITS}]+)\s*[）)](?=条|项|$|[，。？?、\s]|讲|说|提|规定|里|中|的)"
)
PARALLEL_RE = re.compile(
    r"对应|对照|依据|根据的|落实的?是|怎么(具体)?落实|如何(具体)?落实|相应|哪一条|哪条|哪一项|哪项"
    r"|第几(条|项)"
)
COMPARE_RE = re.compile(r"比")
# What may stand around a bare department name: 那, 呢, punctuation.
NAME_ONLY_RE = re.compile(r"^(那么?|还有|请问)?|(呢|吗|的)?[？?。！!，, ]*$")
# "X负责什么" where X ends like a unit (部, 处, 局, 委 …): a department's duties asked.
# (室 and 中心 are left out: 哺乳室干什么用 asks about a room, not a unit.)
UNKNOWN_UNIT_RE = re.compile(
    r"^(?:请问|那么?|我们|咱们|我想问一?下?)?"
    r"(?P<name>[\u4e00-\u9fff]{1,12}?(?:部|处|科|局|厅|委|办|协会))"
    r"(?:主要|都|具体|平时)?(?:负责|管|承担|干|做)些?(?:什么|哪些|啥|哪几)"
)
# ... or such a name alone (那财务部呢): short, no question word in it, never 怎么办.
UNIT_ALONE_RE = re.compile(
    r"^(?:请问|那么?)?(?P<name>[^\W\d_怎么咋谁哪什吗呢能]{1,8}?(?:部|处|科|局|厅|委|协会))"
    r"(?:呢|吗)?[？?。！!]*$"
)


@dataclass
class DocMention:
    code: str
    start: int
    end: int


@dataclass
class ClauseMention:
    number: str  # as written, e.g. （八） or 4
    doc_code: str | None  # the document named just before it, if any
    start: int
    part: bool = False  # 第五部分: a top-level part (五、…), whatever clauses stand under it
    unit: str = "条"  # as written: 条, 项, 款 or 点


@dataclass
class Intent:
    """What a question asks for."""

    kind: str  # search | who | dept | clause
    docs: list[str] = field(default_factory=list)  # 文号 in order of first mention
    clauses: list[ClauseMention] = field(default_factory=list)
    department: str | None = None
    wants_parallel: bool = False
    focus_doc: str | None = None  # in "A比B…" comparisons, A
    topic: str = ""  # the question with document names and clause numbers taken out


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def normalise_query(text: str) -> str:
    """A question as it is searched: format characters (zero-width and the like) removed,
    control characters as spaces, NFKC (full-width letters and digits), traditional characters
    as simplified (OpenCC), spaces collapsed; an undecodable byte (U+FFFD, or a lone surrogate
    smuggled in) as a space. The user's own text is what gets logged."""
    text = "".join(
        " " if ch == "\ufffd" or unicodedata.category(ch) == "Cs" else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    text = _to_simplified().convert(text)
    return re.sub(r"\s+", " ", text).strip()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class DepartmentDirectory:
    """Every department named in any 责任单位, with the short forms people use for it."""

    def __init__(self, docs: list[Document]) -> None:
        self.names: list[str] = []
        for doc in docs:
            for clause in doc.clauses:
                for dep in clause.departments:
                    if dep not in self.names:
                        self.names.append(dep)
        # The documents' own text (责任单位 are not part of it): a head or tail of a name that
        # the documents use in general (产业工会 in 省直各产业工会) is a word, not a name.
        body = "\n".join(c.text for d in docs for c in d.clauses)
        self.aliases: dict[str, str] = {}
        for name in self.names:
            whole = whole_forms(name)
            forms = whole | {f for f in short_forms(name) - whole if f not in body}
            for form in forms:
                # A short form shared by two departments is ambiguous: keep the full names only.
                if form in self.aliases and self.aliases[form] != name:
                    self.aliases[form] = ""
                else:
                    self.aliases.setdefault(form, name)
        self.aliases = {k: v for k, v in self.aliases.items() if v}
        # Exact full names always win over short forms.
        for name in self.names:
            self.aliases[name] = name
            self.aliases[_nfkc(name)] = name

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Departments named in the text: leftmost-longest, so 职工技协办公室 is not 办公室."""
        norm = _nfkc(text)
        found: list[tuple[str, int, int]] = []
        taken = [False] * len(norm)
        for alias in sorted(self.aliases, key=len, reverse=True):
            for m in re.finditer(re.escape(alias), norm):
                if any(taken[m.start() : m.end()]):
                    continue
                for i in range(m.start(), m.end()):
                    taken[i] = True
                found.append((self.aliases[alias], m.start(), m.end()))
        return sorted(found, key=lambda f: f[1])

    def resolve(self, text: str) -> str | None:
        """The department a name refers to, exactly or by a short form, else None."""
        text = normalise_query(text)
        if text in self.aliases:
            return self.aliases[text]
        hits = self.find(text)
        return hits[0][0] if len(hits) == 1 else None

    @cached_property
    def _masked(self) -> dict[str, list[tuple[str, int]]]:
        """Names and short forms of three or more characters, each with one character masked."""
        masked: dict[str, list[tuple[str, int]]] = {}
        for alias in self.aliases:
            if len(alias) >= 3 and CJK_NAME.fullmatch(alias):
                for i in range(len(alias)):
                    masked.setdefault(alias[:i] + "?" + alias[i + 1 :], []).append((alias, i))
        return masked

    def find_mistyped(self, text: str) -> list[tuple[str, int, int]]:
        """Departments named with one character mistyped as another of the same sound
        (宣传布 → 宣传部, 组织布), as a pinyin input method does; the character typed is no
        function word (权益保障不到位 names no 权益保障部). Leftmost first."""
        norm = _nfkc(text)
        lengths = sorted({len(a) for a in self.aliases if len(a) >= 3}, reverse=True)
        found: list[tuple[str, int, int]] = []
        for start in range(len(norm)):
            for n in lengths:
                window = norm[start : start + n]
                if len(window) < n:
                    continue
                for i, typed in enumerate(window):
                    for alias, _ in self._masked.get(window[:i] + "?" + window[i + 1 :], ()):
                        meant = alias[i]
                        if (
                            typed != meant
                            and typed not in FUNCTION_CHARS
                            and sounds_alike(typed, meant)
                        ):
                            found.append((self.aliases[alias], start, start + n))
                if found:
                    return found[:1]
        return found


def whole_forms(name: str) -> set[str]:
    """A department's name in full, either part of 甲（乙）, and without 各 (省直各产业工会 →
    省直产业工会)."""
    whole = {name, _nfkc(name)}
    m = re.match(r"^(.+?)[（(](.+)[）)]$", name)
    if m:
        whole.update({m.group(1), m.group(2)})
    return whole | {w.replace("各", "") for w in whole if "各" in w}


def short_forms(name: str) -> set[str]:
    """Distinctive parts of a department's name that still end like a unit, as people shorten
    it (经济技术劳动保护部 → 劳动保护部, 职工技协办公室 → 职工技协 or 技协, 省工会干校 → 干校)."""
    forms: set[str] = set()
    for w in (w for w in whole_forms(name) if not re.search(r"[（()）]", w)):
        for i in range(len(w)):
            for j in range(i + 2, len(w) + 1):
                part = w[i:j]
                if part[-1] in UNIT_END and set(part) - GENERIC_UNIT_CHARS:
                    forms.add(part)
    return forms


def find_docs(text: str, docs: list[Document]) -> list[DocMention]:
    """Documents a question names by 文号, short name or issuer; longest alias wins."""
    norm = _nfkc(text)
    spans: list[DocMention] = []
    taken = [False] * len(norm)
    aliases = sorted(
        ((_nfkc(a), d.code) for d in docs for a in d.aliases), key=lambda x: len(x[0]), reverse=True
    )
    for alias, code in aliases:
        for m in re.finditer(re.escape(alias), norm):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            spans.append(DocMention(code, m.start(), m.end()))
    return sorted(spans, key=lambda s: s.start)


# A level of the union named for a document (全国的呢, 省里怎么说, 全国第6条): the document issued
# there, known by the names the documents answer to.
NATIONAL_LEVEL_RE = re.compile(r"全国|国家|中央")
PROVINCIAL_LEVEL_RE = re.compile(r"省里|省总|省级|本省")
# ... said just before a clause number (全国第6条, 省里的第6项).
LEVEL_BEFORE = re.compile(rf"({NATIONAL_LEVEL_RE.pattern}|{PROVINCIAL_LEVEL_RE.pattern})的?\s*$")


def level_docs(text: str, docs: list[Document]) -> list[str]:
    """The documents a level named in ``text`` stands for: 全国 / 国家 the national union's,
    省里 a province's."""
    codes = []
    if NATIONAL_LEVEL_RE.search(text):
        codes += [d.code for d in docs if "全国总工会" in d.aliases]
    if PROVINCIAL_LEVEL_RE.search(text):
        codes += [d.code for d in docs if any(a.endswith("省") for a in d.aliases)]
    return codes


def parse_intent(text: str, docs: list[Document], departments: DepartmentDirectory) -> Intent:
    """Classify a question and pull out the documents, clause numbers and department it names."""
    q = normalise_query(text)
    mentions = find_docs(q, docs)
    doc_codes: list[str] = []
    for m in mentions:
        if m.code not in doc_codes:
            doc_codes.append(m.code)

    # Clause numbers, each attached to the nearest document named before it.
    masked = list(q)
    for m in mentions:
        for i in range(m.start, m.end):
            masked[i] = "　"
    masked_q = "".join(masked)
    clause_mentions: list[ClauseMention] = []
    for m in CLAUSE_NO_RE.finditer(masked_q):
        raw = m.group(1) or m.group(3)
        paren = "(" in m.group(0) or "（" in m.group(0)
        number = f"（{raw}）" if paren else raw
        before = [d for d in mentions if d.end <= m.start()]
        # 意见第3条 names its document even after another one (湖北方案第5项和意见第3条).
        owner = by_type(masked_q[: m.start()], docs) or (before[-1].code if before else None)
        part = m.group(2) == "部分" and not paren
        unit = m.group(2) if m.group(2) and m.group(2) != "部分" else "条"
        clause_mentions.append(ClauseMention(number, owner, m.start(), part, unit))

    topic = masked_q
    for m in CLAUSE_NO_RE.finditer(masked_q):
        topic = topic.replace(m.group(0), " ")
    topic = re.sub(r"\s+", " ", topic.replace("　", " ")).strip()

    focus = None
    if len(mentions) >= 2:
        for a, b in itertools.pairwise(mentions):
            if a.code != b.code and COMPARE_RE.search(q[a.end : b.start]):
                focus = a.code
                break

    wants_parallel = len(doc_codes) >= 2 and bool(PARALLEL_RE.search(q)) and focus is None
    intent = Intent(
        kind="search",
        docs=doc_codes,
        clauses=clause_mentions,
        wants_parallel=wants_parallel,
        focus_doc=focus,
        topic=topic or q,
    )
    if clause_mentions or wants_parallel:
        intent.kind = "clause"
        return intent
    found = departments.find(q)
    if not found and len(q) <= MISTYPED_NAME_WITHIN:
        found = departments.find_mistyped(q)
    if found and not WHO_RE.search(q) and DUTY_RE.search(q[found[0][2] :]):
        # The department is the subject and its duties are asked: "宣传部负责什么".
        intent.kind = "dept"
        intent.department = found[0][0]
        return intent
    if found and not NAME_ONLY_RE.sub("", q.replace(q[found[0][1] : found[0][2]], "", 1)):
        # Only a department's name (宣传部呢, 法律工作部？): what it is responsible for.
        intent.kind = "dept"
        intent.department = found[0][0]
        return intent
    unknown = UNKNOWN_UNIT_RE.match(q) or UNIT_ALONE_RE.match(q)
    if not found and unknown:
        # A unit's duties asked (财务部负责什么), but no document names it: say so, do not guess.
        intent.kind = "dept"
        intent.topic = unknown.group("name")
        return intent
    if WHO_RE.search(q):
        intent.kind = "who"
        stripped = WHO_FRAME_RE.sub("", intent.topic).strip(" ，,？?")
        intent.topic = stripped or intent.topic
    return intent


DOC_TYPE_BEFORE_RE = re.compile(r"(意见|方案|通知|办法|规定|条例|决定|计划|细则)\s*(?:的)?\s*$")


def by_type(before: str, docs: list[Document]) -> str | None:
    """The document a clause number belongs to when the text just before it names a kind of
    document (意见第3条, 方案第（二）项) and exactly one document is of that kind."""
    m = DOC_TYPE_BEFORE_RE.search(before)
    if not m:
        return None
    kind = m.group(1)
    of_kind = [d.code for d in docs if re.sub(r"[》>\s]+$", "", d.title).endswith(kind)]
    return of_kind[0] if len(of_kind) == 1 else None


def resolve_part(number: str, docs: list[Document], doc_code: str | None) -> list[Clause]:
    """第五部分: the clauses under the top-level heading so numbered (五、强化组织实施), or the
    top-level clause itself (湖北方案 一、总体要求), in the named document or in any."""
    value = number_key(number)[1]
    out = []
    for doc in (d for d in docs if doc_code is None or d.code == doc_code):
        for clause in doc.clauses:
            if not clause.number:
                continue
            if clause.section:
                top = strip_marker(top_heading(clause))[0]
                if top and number_key(top) == ("cn", value):
                    out.append(clause)
            elif number_key(clause.number) == ("cn", value):
                out.append(clause)
    return out


def resolve_clause_number(number: str, docs: list[Document], doc_code: str | None):
    """Clauses matching a number, in the named document or (if none named) in any document."""
    pool = [d for d in docs if doc_code is None or d.code == doc_code]
    out = []
    for doc in pool:
        clause = doc.clause_by_number(number)
        if clause is not None:
            out.append(clause)
    if not out:
        # 第4条 written for an item numbered 4. (or 第八条 for （八）): match by value alone; with
        # no document named, in each document that has such a number (第六条: both are shown).
        value = number_key(number)[1]
        for doc in pool:
            for clause in doc.clauses:
                if clause.number and number_key(clause.number)[1] == value:
                    out.append(clause)
                    break
    return out
