"""The training-needs report (培训需求分析) from the query log: what people ask, what the
documents do not answer, whose duties draw the questions, what people ask next, and what to
train on.

``gather`` takes the figures from the log (``bot.querylog.queries``: SQL aggregates, fast at
100,000 rows), names the clauses and clusters the distinct unanswered questions by their
embeddings (FAISS k-means); ``to_html`` writes one self-contained page with matplotlib charts
as embedded PNGs, ``to_markdown`` the same figures as tables.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.core.answer import QA
from bot.core.dialogue import (
    COMPARE_RE,
    DUTIES_RE,
    DUTY_WORDS_RE,
    ELLIPSIS_RE,
    FRAME_RE,
    FULL_RE,
    GREETING_PREFIX_RE,
    MORE_RE,
    NEXT_RE,
    OTHER_DOCUMENT_RE,
    PREVIOUS_RE,
    REPEAT_RE,
    SEGMENT_RE,
    SIMPLER_RE,
    SOURCE_RE,
    WRONG_RE,
    Dialogue,
)
from bot.core.encoders import Encoder
from bot.core.intents import normalise_query
from bot.core.replies import shorten
from bot.core.tokens import segment
from bot.querylog import queries

MAX_CLUSTERED = 3000  # distinct unanswered questions embedded (the most asked first)
MAX_DISLIKED = 30  # answers marked 👎 listed (the latest first)
FONT_FILE = "NotoSansCJKsc-Regular.otf"  # shipped by the mplfonts package

# The kinds of follow-up (bot.core.dialogue), as the report names them.
FOLLOWUP_LABELS = {
    "who": "追问责任单位",
    "full": "要看全文",
    "more": "还有吗",
    "parallel": "问对应条款",
    "next": "上一条/下一条",
    "previous": "上一条/下一条",
    "ellipsis": "换个对象接着问",
    "alternative": "说“不对”",
    "compare": "问两份文件的区别",
    "source": "问出处",
    "duties": "问部门的其他职责",
    "repeat": "要求再说一遍",
    "simpler": "要求说简单点",
}
# The follow-ups that show where the documents leave people wanting more, with the training
# each suggests for the clauses that draw many of them.
WANTING_MORE = {
    "who": "答完后常被追问“谁负责”：建议在培训中讲清这些条款的责任单位和对接方式。",
    "full": "常被要求“详细说说”：条文写得较原则，建议培训时逐条展开讲解，并举出办理实例。",
    "more": "答完后常被问“还有吗”：建议把相关规定归纳成专题，在培训中一并讲解。",
    "simpler": "常被要求“说简单点”：条文对职工来说较难懂，建议培训时用大白话讲解并举例。",
}
MAX_WANTING_MORE = 5  # clauses listed for each of those kinds
MANY_FOLLOWUPS = 3  # follow-ups of one kind that make a clause worth a suggestion

Progress = Callable[[str, int, int], None]

# The dialogue's patterns for what follow-ups are made of (负责, 详细, 还有, 不对, 落实): such a
# word says how people ask, never what about.
FOLLOW_UP_WORDS = (
    FRAME_RE,
    NEXT_RE,
    PREVIOUS_RE,
    FULL_RE,
    MORE_RE,
    WRONG_RE,
    DUTY_WORDS_RE,
    OTHER_DOCUMENT_RE,
    SOURCE_RE,
    COMPARE_RE,
    DUTIES_RE,
    REPEAT_RE,
    SIMPLER_RE,
)


@dataclass
class Cluster:
    size: int  # questions (with repeats)
    examples: list[str]  # the most asked in the group


@dataclass
class Disliked:
    ts: str
    question: str
    clause: str


@dataclass
class ReportData:
    since: str
    until: str
    generated_at: str
    total: int
    answered: int
    weeks: list[tuple[str, int, int]]  # (monday, asked, answered)
    clauses: list[tuple[str, int]]
    topics: list[tuple[str, int]]
    departments: list[tuple[str, int]]
    clusters: list[Cluster]
    clustered_from: int  # distinct unanswered questions looked at
    unanswered_distinct: int
    disliked: list[Disliked]
    disliked_total: int
    followups: int = 0  # questions that followed up an answer (small talk left out)
    followup_kinds: list[tuple[str, int]] = field(default_factory=list)  # (label, follow-ups)
    wanting_more: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, context, n)
    suggestions: list[str] = field(default_factory=list)
    unreadable: int = 0  # messages of no letters (emoji, zero-width only), counted apart

    @property
    def unreadable_note(self) -> str:
        return (
            f"另有 {self.unreadable} 条无法理解的消息（只有表情、符号或不可见字符），不计入问题。"
        )

    @property
    def answered_share(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def followup_share(self) -> float:
        return self.followups / self.total if self.total else 0.0


def gather(
    log_path: Path,
    place: Callable[[str, str, str], str],
    encoder: Encoder | None = None,
    since: str | None = None,
    until: str | None = None,
    progress: Progress | None = None,
) -> ReportData:
    """Every figure of the report, for questions from ``since`` to ``until`` (dates, inclusive)."""
    report = progress or (lambda stage, done, total: None)
    report("统计", 0, 5)
    totals = queries.totals(log_path, since, until)
    weeks = queries.weekly(log_path, since, until)
    clauses = [
        (place(c.doc_code, c.number, c.title), c.count)
        for c in queries.top_clauses(log_path, since, until)
    ]
    departments = queries.top_departments(log_path, since, until)
    followups = queries.follow_ups(log_path, since, until, MAX_WANTING_MORE)
    report("话题", 1, 5)
    topics = queries.topic_words(log_path, since, until, words_of=asked_about)
    report("未回答的问题", 2, 5)
    unanswered = queries.unanswered(log_path, since, until)
    clusters = cluster_questions(unanswered[:MAX_CLUSTERED], encoder, progress)
    report("不满意的回答", 3, 5)
    disliked = queries.disliked(log_path, since, until)
    data = ReportData(
        since=since or totals.first[:10],
        until=until or totals.last[:10],
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        total=totals.asked,
        answered=totals.answered,
        unreadable=totals.unreadable,
        weeks=weeks,
        clauses=clauses,
        topics=topics,
        departments=departments,
        clusters=clusters,
        clustered_from=min(len(unanswered), MAX_CLUSTERED),
        unanswered_distinct=len(unanswered),
        disliked=[
            Disliked(
                d.ts[:10], d.text, place(d.doc_code, d.number, d.title) if d.title else "（未回答）"
            )
            for d in disliked[:MAX_DISLIKED]
        ],
        disliked_total=len(disliked),
        followups=followups.total,
        followup_kinds=followup_kinds(followups),
        wanting_more=[
            (kind, c.context or "（未记录）", c.count)
            for kind in WANTING_MORE
            for c in followups.drawn_by(kind)
        ],
    )
    data.suggestions = suggestions(data)
    report("完成", 5, 5)
    return data


def asked_about(text: str, segmented: str) -> list[str]:
    """The words of a question that may say what it is about. The small talk around it
    (你好，…，谢谢) is left out and a 那X呢 taken to its X, as the dialogue recognises them;
    then the words follow-ups are made of and chat words are left out."""
    parts = [p for p in SEGMENT_RE.split(normalise_query(text)) if p]
    kept = list(parts)
    if kept and GREETING_PREFIX_RE.match(kept[0]):  # 你好请问…
        kept[0] = GREETING_PREFIX_RE.sub("", kept[0])
    kept = [p for p in kept if not Dialogue.smalltalk_kind(p)]
    kept = [m["subject"] if (m := ELLIPSIS_RE.match(p)) else p for p in kept]
    words = segmented.split() if kept == parts else segment("，".join(kept))
    return [
        w
        for w in words
        if not Dialogue.smalltalk_kind(w) and not any(p.fullmatch(w) for p in FOLLOW_UP_WORDS)
    ]


def followup_kinds(followups: queries.FollowUps) -> list[tuple[str, int]]:
    """Follow-ups by their Chinese label (上一条 and 下一条 together), the most first (ties in
    the labels' order)."""
    counted = dict.fromkeys(FOLLOWUP_LABELS.values(), 0)
    for kind, n in followups.kinds:
        label = FOLLOWUP_LABELS.get(kind, kind)
        counted[label] = counted.get(label, 0) + n
    return sorted(((label, n) for label, n in counted.items() if n), key=lambda ln: -ln[1])


def cluster_questions(
    counted: list[tuple[str, int]], encoder: Encoder | None, progress: Progress | None = None
) -> list[Cluster]:
    """Group questions by meaning: k-means over their embeddings; biggest groups first."""
    if not counted:
        return []
    if encoder is None or len(counted) < 3:
        return [Cluster(sum(n for _, n in counted), [t for t, _ in counted[:3]])]
    import faiss

    texts = [t for t, _ in counted]
    vectors = []
    step = 64
    for start in range(0, len(texts), step):
        vectors.append(encoder.encode_queries(texts[start : start + step]))
        if progress:
            progress("向量", min(start + step, len(texts)), len(texts))
    matrix = np.ascontiguousarray(np.vstack(vectors), dtype=np.float32)
    k = max(2, min(12, round(math.sqrt(len(texts) / 2))))
    kmeans = faiss.Kmeans(
        matrix.shape[1], k, niter=25, seed=7, spherical=True, min_points_per_centroid=1
    )
    kmeans.train(matrix)
    _, labels = kmeans.index.search(matrix, 1)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels[:, 0]):
        groups.setdefault(int(label), []).append(i)
    clusters = [
        Cluster(sum(counted[i][1] for i in members), [texts[i] for i in members[:3]])
        for members in groups.values()  # members keep the most-asked-first order
    ]
    return sorted(clusters, key=lambda c: -c.size)


def suggestions(data: ReportData) -> list[str]:
    """Plain-Chinese training suggestions drawn from the figures."""
    out: list[str] = []
    if not data.total:
        return ["这段时间没有提问记录，暂无建议。"]
    if data.clauses:
        names = "、".join(f"{c}（{n} 次）" for c, n in data.clauses[:3])
        out.append(f"问得最多的是 {names}：建议围绕这些条款开展政策宣讲，并在培训中讲透办理流程。")
    if data.departments:
        names = "、".join(d for d, _ in data.departments[:3])
        out.append(
            f"问题最多落在 {names} 的职责范围："
            "建议这些部门的同志优先参加业务培训，并准备常见问题解答。"
        )
    unanswered = data.total - data.answered
    if unanswered:
        share = unanswered / data.total
        line = f"有 {unanswered} 个问题（{share:.0%}）现有文件没有直接规定"
        if data.clusters:
            examples = "；".join(f"“{c.examples[0]}”等 {c.size} 个" for c in data.clusters[:3])
            line += f"，集中在：{examples}"
        out.append(line + "。建议补充相关文件，或在培训中专门答疑。")
    for kind, advice in WANTING_MORE.items():
        many = [(c, n) for k, c, n in data.wanting_more if k == kind and n >= MANY_FOLLOWUPS]
        if many:
            out.append("、".join(f"{c}（{n} 次）" for c, n in many[:3]) + advice)
    if data.disliked_total:
        out.append(
            f"有 {data.disliked_total} 条回答被标为不满意（👎）："
            "建议逐条复核这些条款的答复是否准确、"
            "易懂。"
        )
    if len(data.weeks) >= 2 and data.weeks[-1][1] > 1.5 * max(1, data.weeks[-2][1]):
        out.append("最近一周提问明显增多，建议及时了解原因（新政策出台、单位集中宣传等）。")
    return out


# ---------------------------------------------------------------------- charts


def _font() -> str | None:
    """A CJK font for the charts (from the mplfonts package); None leaves matplotlib's default."""
    from importlib.resources import files

    from matplotlib import font_manager

    try:
        path = Path(str(files("mplfonts") / "fonts" / FONT_FILE))
    except ModuleNotFoundError:
        return None
    if not path.exists():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def charts(data: ReportData) -> dict[str, str]:
    """Base64 PNGs: weekly questions and share answered, top clauses, departments."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _font()
    style = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"]}
    out: dict[str, str] = {}
    with plt.rc_context(style):
        if data.weeks:
            fig, ax = plt.subplots(figsize=(8, 3.2))
            labels = [w[5:] for w, _, _ in data.weeks]
            asked = [a for _, a, _ in data.weeks]
            answered = [b for _, _, b in data.weeks]
            x = np.arange(len(labels))
            ax.bar(x, asked, color="#c9d6e8", label="提问")
            ax.bar(x, answered, color="#4a78b5", label="已回答")
            ax.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0, fontsize=8)
            ax.set_ylabel("问题数")
            ax.set_title("每周提问数与回答情况")
            share = ax.twinx()
            share.plot(
                x,
                [b / a if a else 0 for a, b in zip(asked, answered, strict=True)],
                "o-",
                color="#d0543c",
                label="回答率",
            )
            share.set_ylim(0, 1.05)
            share.set_ylabel("回答率")
            ax.legend(loc="upper left", fontsize=8)
            out["weeks"] = _png(fig)
            plt.close(fig)
        for key, rows, title, color in (
            ("clauses", data.clauses, "问得最多的条款", "#4a78b5"),
            ("departments", data.departments, "按责任单位统计的提问数", "#6a9e5b"),
        ):
            if not rows:
                continue
            fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1))
            names = [shorten(n, 30) for n, _ in rows][::-1]
            ax.barh(names, [c for _, c in rows][::-1], color=color)
            ax.set_title(title)
            ax.tick_params(axis="y", labelsize=8)
            out[key] = _png(fig)
            plt.close(fig)
    return out


# ---------------------------------------------------------------------- output


CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:960px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.6}
h1{font-size:1.6em}
h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.92em}
td,th{border:1px solid #ddd;padding:.3em .5em;
text-align:left}th{background:#f3f5f8}td.n{text-align:right;white-space:nowrap}
.summary{background:#f6f9f4;border-left:4px solid #6a9e5b;padding:.6em 1em}.muted{color:#777}
img{max-width:100%}
"""


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{html.escape(str(v))}</td>'
            if i in numeric
            else f"<td>{html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#~])")
LINK_START = re.compile(r"(?i)\b(https?|ftp|javascript|data|vbscript|file|mailto)\s*:|\bwww\.")


def md_text(value: object) -> str:
    """Text (a question, a clause, a word) as Markdown that says only what it says: HTML
    escaped, Markdown's marks backslashed, and what would start a link or autolink
    (``javascript:``, ``https:``, ``www.``) given a full-width colon or dot."""
    text = str(value).replace("\n", " ").replace("|", "｜")
    text = LINK_START.sub(
        lambda m: m.group(0)[:-1] + ("：" if m.group(0)[-1] == ":" else "．"), text
    )
    text = html.escape(text, quote=False)
    return MD_SPECIAL.sub(r"\\\1", text)


def _md_table(headers: list[str], rows: list[list]) -> list[str]:
    clean = [[md_text(v) for v in row] for row in rows]
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *["| " + " | ".join(row) + " |" for row in clean],
        "",
    ]


# ---------------------------------------------------------------------- the follow-ups section


WANTING_MORE_NOTE = (
    "答完下面这些条款后，大家最常追问谁负责、要看全文或问“还有吗”：文件在这些地方让人意犹未尽。"
)
NO_FOLLOWUPS = "这段时间没有追问。"
NO_WANTING_MORE = "没有人追问责任单位、要看全文或问“还有吗”。"


def _followups_summary(data: ReportData) -> str:
    share = f"{data.followup_share:.0%}"
    return f"有 {data.followups} 个问题是接着上一个回答追问的，占全部问题的 {share}。"


def _followup_rows(data: ReportData) -> tuple[list[list], list[list]]:
    """The section's two tables: follow-ups by kind, and the clauses that left people wanting
    more."""
    kinds = [[label, n, f"{n / data.followups:.0%}"] for label, n in data.followup_kinds]
    clauses = [[FOLLOWUP_LABELS.get(k, k), c, n] for k, c, n in data.wanting_more]
    return kinds, clauses


def _followups_html(data: ReportData) -> list[str]:
    if not data.followups:
        return [f"<p class='muted'>{NO_FOLLOWUPS}</p>"]
    kinds, clauses = _followup_rows(data)
    return [
        f"<p>{html.escape(_followups_summary(data))}</p>",
        _table(["追问方式", "次数", "占追问"], kinds, {1, 2}),
        f"<p class='muted'>{html.escape(WANTING_MORE_NOTE)}</p>",
        _table(["追问", "条款", "次数"], clauses, {2})
        if clauses
        else f"<p class='muted'>{html.escape(NO_WANTING_MORE)}</p>",
    ]


def _followups_markdown(data: ReportData) -> list[str]:
    if not data.followups:
        return [NO_FOLLOWUPS, ""]
    kinds, clauses = _followup_rows(data)
    return [
        _followups_summary(data),
        "",
        *_md_table(["追问方式", "次数", "占追问"], kinds),
        WANTING_MORE_NOTE,
        "",
        *(_md_table(["追问", "条款", "次数"], clauses) if clauses else [NO_WANTING_MORE, ""]),
    ]


# ---------------------------------------------------------------------- the report


def to_html(data: ReportData, with_charts: bool = True) -> str:
    images = charts(data) if with_charts and data.total else {}
    esc = html.escape

    def img(key: str, alt: str) -> str:
        if key not in images:
            return ""
        return f'<p><img alt="{esc(alt)}" src="data:image/png;base64,{images[key]}"></p>'

    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<title>娘家人 培训需求分析</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>娘家人 · 培训需求分析</h1>",
        f"<p class='muted'>时间范围：{esc(data.since)} 至 {esc(data.until)}；"
        f"生成于 {esc(data.generated_at)}</p>",
        f"<p>共 <b>{data.total}</b> 个问题，"
        f"已回答 <b>{data.answered}</b> 个（{data.answered_share:.0%}），"
        f"未能回答 <b>{data.total - data.answered}</b> 个。</p>",
        f"<p class='muted'>{esc(data.unreadable_note)}</p>" if data.unreadable else "",
        "<h2>建议的培训重点</h2><div class='summary'><ol>",
        *[f"<li>{esc(s)}</li>" for s in data.suggestions],
        "</ol></div>",
        "<h2>每周提问与回答率</h2>",
        img("weeks", "每周提问数与回答情况"),
        _table(
            ["周（周一）", "提问", "已回答", "回答率"],
            [[w, a, b, f"{b / a:.0%}" if a else "—"] for w, a, b in data.weeks],
            {1, 2, 3},
        )
        if data.weeks
        else "<p class='muted'>没有记录。</p>",
        "<h2>问得最多的条款</h2>",
        img("clauses", "问得最多的条款"),
        _table(["条款", "次数"], [list(r) for r in data.clauses], {1})
        if data.clauses
        else "<p class='muted'>没有已回答的问题。</p>",
        "<h2>提问中的常见话题</h2>",
        "<p>" + "、".join(f"{esc(w)}（{n}）" for w, n in data.topics) + "</p>"
        if data.topics
        else "<p class='muted'>没有记录。</p>",
        "<h2>按责任单位</h2><p class='muted'>已回答的问题所在条款列出的责任单位；"
        "一个问题可计入多个部门。</p>",
        img("departments", "按责任单位统计的提问数"),
        _table(["责任单位", "问题数"], [list(r) for r in data.departments], {1})
        if data.departments
        else "<p class='muted'>没有涉及责任单位的问题。</p>",
        "<h2>追问：大家接着问什么</h2>",
        *_followups_html(data),
        "<h2>文件没有回答的问题（按意思归组）</h2>",
    ]
    if data.clusters:
        note = (
            f"（共 {data.unanswered_distinct} 种不同的问题，"
            f"按提问次数取前 {data.clustered_from} 种归组）"
            if data.clustered_from < data.unanswered_distinct
            else ""
        )
        parts.append(f"<p class='muted'>这些是文件的空白，或大家容易误解的地方{esc(note)}。</p>")
        parts.append(
            _table(
                ["组", "问题数", "代表性问题"],
                [[i + 1, c.size, "；".join(c.examples)] for i, c in enumerate(data.clusters)],
                {0, 1},
            )
        )
    else:
        parts.append("<p class='muted'>没有未回答的问题。</p>")
    parts.append("<h2>被标为不满意（👎）的回答</h2>")
    if data.disliked:
        parts.append(
            _table(
                ["日期", "问题", "给出的条款"],
                [[d.ts, d.question, d.clause] for d in data.disliked],
            )
        )
        if data.disliked_total > len(data.disliked):
            parts.append(
                f"<p class='muted'>仅列出最近 {len(data.disliked)} 条，"
                f"共 {data.disliked_total} 条。</p>"
            )
    else:
        parts.append("<p class='muted'>没有。</p>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def to_markdown(data: ReportData) -> str:
    lines = [
        "# 娘家人 · 培训需求分析",
        "",
        f"时间范围：{data.since} 至 {data.until}；生成于 {data.generated_at}",
        "",
        f"共 **{data.total}** 个问题，已回答 **{data.answered}** 个（{data.answered_share:.0%}），"
        f"未能回答 **{data.total - data.answered}** 个。",
        "",
        *([data.unreadable_note, ""] if data.unreadable else []),
        "## 建议的培训重点",
        "",
        *[f"{i}. {md_text(s)}" for i, s in enumerate(data.suggestions, 1)],
        "",
        "## 每周提问与回答率",
        "",
        *_md_table(
            ["周（周一）", "提问", "已回答", "回答率"],
            [[w, a, b, f"{b / a:.0%}" if a else "—"] for w, a, b in data.weeks],
        ),
        "## 问得最多的条款",
        "",
        *_md_table(["条款", "次数"], [list(r) for r in data.clauses]),
        "## 提问中的常见话题",
        "",
        "、".join(f"{md_text(w)}（{n}）" for w, n in data.topics) or "没有记录。",
        "",
        "## 按责任单位",
        "",
        *_md_table(["责任单位", "问题数"], [list(r) for r in data.departments]),
        "## 追问：大家接着问什么",
        "",
        *_followups_markdown(data),
        "## 文件没有回答的问题（按意思归组）",
        "",
        *_md_table(
            ["组", "问题数", "代表性问题"],
            [[i + 1, c.size, "；".join(c.examples)] for i, c in enumerate(data.clusters)],
        ),
        "## 被标为不满意（👎）的回答",
        "",
        *_md_table(
            ["日期", "问题", "给出的条款"], [[d.ts, d.question, d.clause] for d in data.disliked]
        ),
    ]
    return "\n".join(lines)


def build_report(
    log_path: Path,
    qa: QA,
    fmt: str = "html",
    since: str | None = None,
    until: str | None = None,
    progress: bool = False,
) -> str:
    """The whole report as text, with a progress bar on the terminal when asked."""
    from tqdm import tqdm

    bar = tqdm(total=5, desc="报告", unit="步", disable=None if progress else True, leave=False)

    def report(stage: str, done: int, total: int) -> None:
        bar.set_description(stage)
        if stage == "向量":  # the long step: embedding unanswered questions
            bar.set_postfix_str(f"{done}/{total}")
        else:
            bar.n = done
            bar.refresh()

    try:
        data = gather(log_path, qa.place, qa.retriever.encoder, since, until, report)
        return to_html(data) if fmt == "html" else to_markdown(data)
    finally:
        bar.close()
