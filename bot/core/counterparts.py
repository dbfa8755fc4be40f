"""Parallel clauses: a document that implements another (it cites its 文号) is linked to it
clause by clause, by the similarity of titles and texts, one to one."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.documents import Clause, Document, names_heading, section_names

MIN_SIMILARITY = 0.35
# A clause's phrases (cut at ，；。：) of four or more characters are what is compared; a phrase
# whose character bigrams the other clause holds for the most part (SAID_SHARE) says nothing new.
PHRASE_RE = re.compile(r"[，,；;。！!？?：:]")
MIN_PHRASE_CHARS = 4
LIST_FRAME_CHARS = 5  # the verb before a list's first item or the words after its last
SAID_SHARE = 0.6


def _letters(text: str) -> str:
    """The text's characters and letters, punctuation and spaces left out."""
    return re.sub(r"[^\u3400-\u9fff\w]", "", text)


def _bigrams(text: str) -> Counter[str]:
    chars = _letters(text)
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def _tfidf(clauses: list[Clause]) -> list[dict[str, float]]:
    bags = [_bigrams(c.title + c.title + c.text) for c in clauses]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(bags)
    vectors = []
    for bag in bags:
        vec = {t: (1 + math.log(f)) * math.log(1 + n / df[t]) for t, f in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({t: v / norm for t, v in vec.items()})
    return vectors


def similarity_matrix(a: list[Clause], b: list[Clause]) -> list[list[float]]:
    """Cosine of TF-IDF character-bigram vectors (title counted twice), +0.2 for equal titles."""
    vectors = _tfidf(a + b)
    va, vb = vectors[: len(a)], vectors[len(a) :]
    out = []
    for ca, x in zip(a, va, strict=True):
        row = []
        for cb, y in zip(b, vb, strict=True):
            small, large = (x, y) if len(x) < len(y) else (y, x)
            cos = sum(v * large.get(t, 0.0) for t, v in small.items())
            row.append(cos + (0.2 if ca.title == cb.title else 0.0))
        out.append(row)
    return out


def implements(doc: Document, other: Document) -> bool:
    """True when ``doc`` cites ``other`` by 文号 or by its full title."""
    if other.code in doc.references:
        return True
    body = "".join(c.text for c in doc.clauses[:3])
    return other.title in body


def link_parallel_clauses(docs: list[Document], threshold: float = MIN_SIMILARITY) -> None:
    """Set ``clause.parallel`` both ways for each implementing pair, greedy one to one.

    Only numbered clauses take part: a 前言 or 通知 has no counterpart item. A clause left
    without one points (one way) to a clause of the other document that names its heading.
    """
    for doc in docs:
        for other in docs:
            if doc is other or not implements(doc, other):
                continue
            a = [c for c in doc.clauses if c.number]
            b = [c for c in other.clauses if c.number]
            sims = similarity_matrix(a, b)
            pairs = sorted(
                ((sims[i][j], i, j) for i in range(len(a)) for j in range(len(b))), reverse=True
            )
            used_a: set[int] = set()
            used_b: set[int] = set()
            for score, i, j in pairs:
                if score < threshold:
                    break
                if i in used_a or j in used_b:
                    continue
                used_a.add(i)
                used_b.add(j)
                a[i].parallel = b[j].ref
                b[j].parallel = a[i].ref
            # A clause left over whose heading the other document sums up in one clause
            # (全总意见 一、把握总体要求 has two clauses, 湖北方案 一、总体要求 is one): that one.
            for ours, theirs in ((a, b), (b, a)):
                for clause in (c for c in ours if c.parallel is None):
                    heads = section_names(clause)
                    whole = [c for c in theirs if any(names_heading(c.title, h) for h in heads)]
                    if len(whole) == 1:
                        clause.parallel = whole[0].ref


@dataclass
class Differences:
    """What each of two counterpart clauses says that the other does not, phrase by phrase,
    in the order each says it."""

    only_first: list[str]
    only_second: list[str]


def phrases(text: str) -> list[str]:
    """A clause's phrases, cut at ，；。：, of ``MIN_PHRASE_CHARS`` characters or more."""
    cut = (p.strip(' —-“”"') for p in PHRASE_RE.split(text))
    return [p for p in cut if len(_letters(p)) >= MIN_PHRASE_CHARS]


def _unsaid(text: str, other: str) -> list[str]:
    """The phrases of ``text`` that ``other`` does not say; of a list (A、B、C) only the items
    it does not say, when the others it does."""
    said = set(_bigrams(other))

    def new(part: str) -> bool:
        grams = set(_bigrams(part))
        return bool(grams) and len(grams & said) / len(grams) < SAID_SHARE

    def new_item(item: str, first: bool, last: bool) -> bool:
        """An item of a list, the first with the verb that opens the list (精心打造玫瑰书香) and
        the last with the words that close it (…等特色品牌): said when what is left once up to
        ``LIST_FRAME_CHARS`` of those are taken off is said."""
        cuts = [item]
        for n in range(1, LIST_FRAME_CHARS + 1):
            cuts += [item[n:]] if first else []
            cuts += [item[:-n]] if last else []
        cuts = [c for c in cuts if len(_letters(c)) >= MIN_PHRASE_CHARS]
        return all(new(c) for c in cuts)

    out = []
    for phrase in phrases(text):
        parts = phrase.split("、")
        items = [
            (i, n == 0, n == len(parts) - 1)
            for n, i in enumerate(parts)
            if len(_letters(i)) >= MIN_PHRASE_CHARS
        ]
        fresh = [i for i, first, last in items if new_item(i, first, last)]
        if len(items) > 1 and fresh and len(fresh) < len(items):
            out.append("、".join(fresh))  # 常态化做好维权典型案例评选, not the items it shares
        elif new(phrase) and (fresh or len(items) <= 1):
            out.append(phrase)
    return out


def _body(clause: Clause) -> str:
    """A clause's text without its title in front (基本原则。坚持… says 坚持…)."""
    text = clause.text
    return text[len(clause.title) :].lstrip("。．. ") if text.startswith(clause.title) else text


def differences(first: Clause | Sequence[Clause], second: Clause | Sequence[Clause]) -> Differences:
    """How two clauses on the same work differ: the phrases of each the other does not say.
    Either side may be several clauses that share one counterpart (全总意见 (一) and (二) are
    湖北方案's 一、总体要求), read as one text."""

    def text(side: Clause | Sequence[Clause]) -> str:
        return "".join(_body(c) for c in ([side] if isinstance(side, Clause) else side))

    a, b = text(first), text(second)
    return Differences(_unsaid(a, b), _unsaid(b, a))


def unsaid_in(text: str, clause: Clause) -> list[str]:
    """The phrases of ``text`` that ``clause`` does not say (as ``differences`` reads them)."""
    return _unsaid(text, _body(clause))


def sharing(clause: Clause, counterpart: Clause, doc: Document) -> list[Clause]:
    """The clauses of ``doc`` (``clause``'s document) whose counterpart is ``counterpart``, in
    order: ``clause`` and its siblings when several clauses answer to one (全总意见 (一) and (二)
    to 湖北方案 一、); ``clause`` alone when none does (its counterpart is another's)."""
    ref = (counterpart.doc_code, counterpart.number, counterpart.title)
    same = [
        c
        for c in doc.clauses
        if c.parallel and (c.parallel.doc_code, c.parallel.number, c.parallel.title) == ref
    ]
    return same if clause in same else [clause]
