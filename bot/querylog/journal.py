"""Where the bot reports what happens: questions, feedback, refused admin commands.

The bot shell calls a ``Journal``; it never sees who asked beyond a pseudonymous key, made
here by HMAC-SHA256 of the Telegram user id with ``NIANGJIA_LOG_SECRET``. ``LogJournal`` writes
to the Python log; the SQLite query log plugs in behind the same three methods.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.answer import Answer

log = logging.getLogger("niangjia.journal")


def user_key(user_id: int | None, secret: str | None) -> str:
    """A stable pseudonym for a user id; never the id itself."""
    if user_id is None:
        return ""
    key = (secret or _PROCESS_SECRET).encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


# Without a configured secret, pseudonyms are stable only within one run (and cannot be
# reversed by anyone who later reads the logs).
_PROCESS_SECRET = secrets.token_hex(16)


@dataclass
class QueryRecord:
    ref: str  # the answer's token, which feedback refers to
    channel: str  # telegram | cli
    chat_type: str
    user: str  # user_key(...), never a raw id
    text: str
    intent: str
    answered: bool
    hits: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0
    model: str = ""
    index_version: str = ""
    ts: str = ""  # UTC; empty: when it is written

    @classmethod
    def of(
        cls,
        answer: Answer,
        *,
        ref: str,
        channel: str,
        chat_type: str,
        user: str,
        text: str,
        latency_ms: float,
        model: str = "",
        index_version: str = "",
    ) -> QueryRecord:
        """The record of one answered (or declined) question."""
        hits = [
            {
                "doc_code": h.doc_code,
                "number": h.number,
                "title": h.title,
                "departments": h.departments,
                "score": h.score,
            }
            for h in answer.hits
        ]
        return cls(
            ref=ref,
            channel=channel,
            chat_type=chat_type,
            user=user,
            text=text,
            intent=answer.intent,
            answered=answer.answered,
            hits=hits,
            latency_ms=round(latency_ms, 1),
            model=model,
            index_version=index_version,
        )


class Journal(Protocol):
    """Methods must return at once (queue the work); they are called on the event loop."""

    def record_query(self, record: QueryRecord) -> None: ...

    def record_feedback(self, ref: str, value: int, user: str) -> None: ...

    def record_event(self, kind: str, user: str, detail: str) -> None: ...


class LogJournal:
    """Writes one log line per event (no question text, no ids)."""

    def record_query(self, record: QueryRecord) -> None:
        log.info(
            "query ref=%s intent=%s answered=%s latency_ms=%.1f",
            record.ref,
            record.intent,
            record.answered,
            record.latency_ms,
        )

    def record_feedback(self, ref: str, value: int, user: str) -> None:
        log.info("feedback ref=%s value=%+d", ref, value)

    def record_event(self, kind: str, user: str, detail: str) -> None:
        log.warning("event %s user=%s %s", kind, user[:8], detail)
