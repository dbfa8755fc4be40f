"""What the user gets: the answer and its clauses as dataclasses, and their plain-text form.

``asdict`` of an ``Answer`` is the JSON contract of ``niangjia ask --json``; ``render_text`` is
the one plain-text rendering (the CLI prints it, and it is the JSON ``message``). The Telegram
shell renders the same dataclass as HTML (``bot.telegram_bot.render``), never re-reading text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from bot.core.documents import ClauseRef

# How an answer shows its clauses.
VIEWS = (
    "none",  # the lead only (a decline, a question that could not be read)
    "quote",  # the lead, then the first clause with the sentences that answer
    "quotes",  # the lead, then the first two clauses with the sentences that answer
    "full",  # the lead, then every clause in full
    "list",  # the lead, then one line naming each clause
)


@dataclass
class Hit:
    """One clause in an answer."""

    doc_code: str
    doc_title: str
    number: str
    title: str
    place: str  # 全总意见 第（八）条「加强工会女职工组织机构建设」
    quote: str
    text: str
    departments: list[str]
    parallel: ClauseRef | None
    score: float
    sentence: int = 0  # the clause's sentence the quote starts at


@dataclass
class Answer:
    """What the user gets; ``asdict`` of it is the JSON contract."""

    query: str
    intent: str
    answered: bool
    message: str
    hits: list[Hit] = field(default_factory=list)
    lead: str = ""  # what is said before the clauses (or instead of them)
    view: str = "quote"
    context: str | None = None  # what a follow-up was resolved against (None: a fresh question)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @property
    def shown(self) -> list[Hit]:
        """The hits the answer shows, in order."""
        if self.view == "none":
            return []
        if self.view in ("quote", "quotes"):
            return self.hits[: 1 if self.view == "quote" else 2]
        return list(self.hits)


def departments_said(hit: Hit, lead: str) -> bool:
    """Whether the lead already names the clause's 责任单位 (这项工作的责任单位是：…), which the
    clause then does not list again."""
    return bool(hit.departments) and "、".join(hit.departments) in lead


def hit_text(hit: Hit, full: bool = False, said: bool = False) -> str:
    """One clause: where it stands, the quote (or the whole text), 责任单位 (unless ``said``
    before it), its parallel."""
    lines = [f"【{hit.place}】", f"“{hit.text if full else hit.quote}”"]
    if hit.departments and not said:
        lines.append("责任单位：" + "、".join(hit.departments))
    if hit.parallel:
        lines.append("对应条款：" + hit.parallel.place)
    return "\n".join(lines)


def render_text(answer: Answer) -> str:
    """The answer as plain text: the CLI's output and the JSON ``message``."""
    shown = answer.shown
    if answer.view == "list":
        body = "\n".join(f"· {h.place}" for h in shown)
        return "\n".join(part for part in (answer.lead, body) if part)
    body = "\n\n".join(
        hit_text(h, answer.view == "full", departments_said(h, answer.lead)) for h in shown
    )
    return "\n\n".join(part for part in (answer.lead, body) if part)


def reply(
    query: str,
    intent: str,
    answered: bool,
    lead: str = "",
    hits: list[Hit] | None = None,
    view: str = "quote",
    context: str | None = None,
) -> Answer:
    """An answer with its message rendered from the same fields."""
    answer = Answer(query, intent, answered, "", list(hits or []), lead, view, context)
    answer.message = render_text(answer)
    return answer


def relead(answer: Answer, lead: str, query: str | None = None) -> Answer:
    """The same answer with another lead (help or comfort said first), its message rendered
    again; ``query`` is the message asked when it is not the answer's own."""
    return reply(
        answer.query if query is None else query,
        answer.intent,
        answer.answered,
        lead,
        answer.hits,
        answer.view,
        answer.context,
    )


def book_title(title: str) -> str:
    """A document's title in 书名号, as print nests them: 《…〈…〉…》. The marks inside the
    title become the inner ones, and a title that already comes wrapped whole is not wrapped
    again."""
    inner = title.strip()
    if inner.startswith("《") and inner.endswith("》") and _closes_at_end(inner):
        inner = inner[1:-1]
    return "《" + inner.replace("《", "〈").replace("》", "〉") + "》"


def _closes_at_end(text: str) -> bool:
    """Whether the 《 that opens ``text`` is closed by its last character."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "《") - (ch == "》")
        if depth == 0:
            return i == len(text) - 1
    return False


def shorten(text: str, width: int) -> str:
    """At most ``width`` characters, an ellipsis marking a cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
