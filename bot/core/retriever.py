"""Hybrid retrieval over clauses: BM25 on jieba words and on character bigrams (of clauses, and
of sentences for short questions), FAISS over clause and sentence vectors, fused by reciprocal
rank. Builds, saves, loads and checks the index (one manifest: model, document checksums, build
time)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.core.dense_index import DenseIndex
from bot.core.documents import PARSER_VERSION, Clause, Document
from bot.core.encoders import Encoder
from bot.core.fusion import min_max_fusion, reciprocal_rank_fusion
from bot.core.keyword_index import KeywordIndex
from bot.core.tokens import Tokenizer, bigrams, document_terms, tokens_fingerprint
from bot.errors import IndexCorruptError, IndexStateError

# 2: sentences have a BM25 index over their words too (format 1 lacks it and is rebuilt).
INDEX_FORMAT = 2
# A question of at most this many words (after stopwords) names a topic rather than telling a
# need: its keyword channels score a clause by its best sentence, where the term is the point,
# not by the whole clause (a brand list naming 哺乳室 in passing loses to 加强哺乳室建设).
SHORT_QUESTION_WORDS = 2
# The raw channel scores a ScoredClause keeps (``_clause_bigrams``: for the decline evidence).
CHANNELS = ("words", "bigrams", "dense", "_clause_bigrams")
METHODS = ("bm25", "dense", "hybrid")
# BM25's term-frequency saturation (the usual value; the length normalisation is fitted).
BM25_K1 = 1.2
# What ``bot.core.tuning`` fitted by cross-validation: the fusion below and the decline model.
TUNING_FILE = Path(__file__).resolve().parent / "data" / "tuning.json"


@dataclass(frozen=True)
class Fusion:
    """How the channels are combined; the values in use are fitted (``TUNING_FILE``)."""

    words: float = 1.0  # weight of BM25 over jieba words
    bigrams: float = 1.0  # weight of BM25 over character bigrams
    dense: float = 0.75  # weight of the dense channel
    rrf_k: float = 10.0  # the reciprocal-rank constant
    scores: float = 0.0  # weight of the channels' scaled scores beside their ranks
    focus: float = 0.0  # share of a long question's dense score taken from its key words alone
    focus_length: int = 40  # characters from which a question counts as long
    # BM25's length normalisation in the keyword channels (0: none, 1: full). A clause here is
    # a list of tasks; full normalisation counts a word once in a long clause as less about it.
    bm25_b: float = 0.75

    @property
    def weights(self) -> dict[str, float]:
        return {"words": self.words, "bigrams": self.bigrams, "dense": self.dense}

    @property
    def keywords(self) -> str:
        """How the keyword indexes score, as the manifest records it."""
        return f"bm25 k1={float(BM25_K1)} b={float(self.bm25_b)}"

    @classmethod
    def load(cls, path: Path = TUNING_FILE) -> Fusion:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8")).get("fusion", {})
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Manifest:
    """What an index was built from; a mismatch with the present makes it stale."""

    format: int
    model: str
    dim: int
    documents: dict[str, str]  # 文号 -> sha256 of the source text
    built_at: str
    build_seconds: float
    clauses: int
    sentences: int
    # How the words were cut (synonyms, stopwords); "" in an index from before it was recorded,
    # which is then stale and rebuilt where it lies.
    tokens: str = ""
    # How the passages were embedded (onnx-int8, onnx-fp32, torch); "" likewise.
    encoder: str = ""
    # How the keyword indexes score (``Fusion.keywords``); "" likewise.
    keywords: str = ""

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = Path(directory) / "manifest.json"
        if not path.exists():
            raise IndexStateError(f"no index at {directory}")
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"index manifest is unreadable: {exc}") from exc


@dataclass
class ScoredClause:
    """One clause with its fused score and each channel's raw score."""

    clause: Clause
    score: float
    channels: dict[str, float] = field(default_factory=dict)
    best_sentence: int = 0  # index into clause.sentences


def cut_fingerprint() -> str:
    """How documents are cut into clauses (the parser's version) and clauses into words (the
    tokens' fingerprint): an index built another way is stale, though its sources are not."""
    return f"{tokens_fingerprint()}-p{PARSER_VERSION}"


def fingerprint(docs: list[Document]) -> dict[str, str]:
    return {d.code: d.checksum for d in docs}


def clause_text(clause: Clause) -> str:
    return (
        f"{clause.title}。{clause.text}"
        if not clause.text.startswith(clause.title)
        else clause.text
    )


def sentence_text(clause: Clause, sentence: str) -> str:
    """A sentence with its clause title in front, so the vector knows the topic."""
    return sentence if sentence.startswith(clause.title) else f"{clause.title}：{sentence}"


def staleness(
    manifest: Manifest,
    docs: list[Document],
    model: str,
    variant: str,
    dim: int | None = None,
    keywords: str | None = None,
) -> str | None:
    """Why an index built as ``manifest`` does not fit these documents and this model run this
    way (``variant``), with keyword indexes scoring as ``keywords`` (default: the fitted
    fusion's), or None."""
    if manifest.format != INDEX_FORMAT:
        return f"index format {manifest.format} is not {INDEX_FORMAT}"
    if manifest.model != model:
        return f"index was built with {manifest.model}, not {model}"
    if manifest.encoder != variant:
        return f"passages were embedded by {manifest.encoder or 'an older encoder'}, not {variant}"
    if manifest.documents != fingerprint(docs):
        return "documents changed since the index was built"
    if manifest.tokens != cut_fingerprint():
        return (
            "the way text is cut (clauses, synonyms, stopwords) changed since the index was built"
        )
    if dim is not None and manifest.dim != dim:
        return "embedding dimension changed"
    keywords = Fusion.load().keywords if keywords is None else keywords
    if manifest.keywords != keywords:
        return f"keyword scoring is {keywords}, not {manifest.keywords or 'as before'}"
    return None


def tokenizer_for(docs: list[Document]) -> Tokenizer:
    """A tokenizer that knows the documents' own terms, department names and short titles."""
    clauses = [c for d in docs for c in d.clauses]
    terms = document_terms(c.text for c in clauses)
    terms |= {dep for c in clauses for dep in c.departments}
    terms |= {c.title for c in clauses if len(c.title) <= 12}
    return Tokenizer(terms, texts=[c.text for c in clauses])


class Retriever:
    """The composed hybrid index over the clauses of some documents."""

    def __init__(
        self,
        docs: list[Document],
        encoder: Encoder,
        tokenizer: Tokenizer | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self.docs = docs
        self.encoder = encoder
        self._fusion = fusion or Fusion.load()
        self.clauses: list[Clause] = [c for d in docs for c in d.clauses]
        self.sentence_owner: list[int] = []
        self.sentence_pos: list[int] = []
        for ci, clause in enumerate(self.clauses):
            for si, _ in enumerate(clause.sentences):
                self.sentence_owner.append(ci)
                self.sentence_pos.append(si)
        self.sentence_owner_arr = np.asarray(self.sentence_owner, dtype=np.int64)
        self.tokenizer = tokenizer or tokenizer_for(docs)
        self.words: KeywordIndex | None = None
        self.bigrams: KeywordIndex | None = None
        self.sentence_bigrams: KeywordIndex | None = None
        self.sentence_words: KeywordIndex | None = None
        # Keyword indexes scored with another length normalisation, kept when the fusion changed.
        self._keyword_sets: dict[float, tuple[KeywordIndex, ...]] = {}
        self.dense_clauses: DenseIndex | None = None
        self.dense_sentences: DenseIndex | None = None
        self.manifest: Manifest | None = None

    # ------------------------------------------------------------------ build / save / load

    def build(
        self,
        progress: Callable[[str, int, int], None] | None = None,
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> Retriever:
        """Tokenise and embed every clause and sentence; ``embed`` (default: the encoder's
        passages) may answer from a cache."""
        started = time.perf_counter()
        report = progress or (lambda stage, done, total: None)
        clause_texts, sentence_texts = self.texts()
        report("关键词索引", 0, 3)
        self._keyword_sets.clear()
        self.build_keywords(clause_texts, sentence_texts)
        report("条款向量", 1, 3)
        embed = embed or self.encoder.encode_passages
        self.dense_clauses = DenseIndex("dense_clauses").build(embed(clause_texts))
        report("句子向量", 2, 3)
        self.dense_sentences = DenseIndex("dense_sentences").build(embed(sentence_texts))
        report("完成", 3, 3)
        self.manifest = Manifest(
            format=INDEX_FORMAT,
            model=self.encoder.name,
            dim=self.dense_clauses.dim,
            documents=fingerprint(self.docs),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 2),
            clauses=len(self.clauses),
            sentences=len(self.sentence_owner),
            tokens=cut_fingerprint(),
            encoder=self.encoder.variant,
            keywords=self.fusion.keywords,
        )
        return self

    def texts(self) -> tuple[list[str], list[str]]:
        """The text of each clause and of each sentence, as indexed."""
        return [clause_text(c) for c in self.clauses], [
            sentence_text(self.clauses[ci], self.clauses[ci].sentences[si])
            for ci, si in zip(self.sentence_owner, self.sentence_pos, strict=True)
        ]

    def build_keywords(
        self, clause_texts: list[str] | None = None, sentence_texts: list[str] | None = None
    ) -> None:
        """The four BM25 indexes (words and bigrams, of clauses and of sentences), scoring as
        the fusion says."""
        if clause_texts is None or sentence_texts is None:
            clause_texts, sentence_texts = self.texts()
        k1, b = BM25_K1, self.fusion.bm25_b
        self.words = KeywordIndex("bm25_words", k1, b).build(
            [self.tokenizer.words(t) for t in clause_texts]
        )
        self.bigrams = KeywordIndex("bm25_bigrams", k1, b).build([bigrams(t) for t in clause_texts])
        self.sentence_bigrams = KeywordIndex("bm25_sentence_bigrams", k1, b).build(
            [bigrams(t) for t in sentence_texts]
        )
        self.sentence_words = KeywordIndex("bm25_sentence_words", k1, b).build(
            [self.tokenizer.words(t) for t in sentence_texts]
        )

    @property
    def fusion(self) -> Fusion:
        """How the channels are scored and combined (the fitted one unless set)."""
        return self._fusion

    @fusion.setter
    def fusion(self, value: Fusion) -> None:
        """Set another fusion; keyword indexes already built are rebuilt in memory when it
        scores keywords otherwise, and kept for when it comes back (the tuning tries several,
        the fusion benchmark alternates two)."""
        rescore = value.bm25_b != self._fusion.bm25_b and self.words is not None
        if rescore:
            self._keyword_sets[self._fusion.bm25_b] = self._keyword_indexes
        self._fusion = value
        if rescore:
            kept = self._keyword_sets.get(value.bm25_b)
            if kept is None:
                self.build_keywords()
            else:
                self.words, self.bigrams, self.sentence_bigrams, self.sentence_words = kept
            if self.manifest is not None:  # saved now, the index says how it scores
                self.manifest = replace(self.manifest, keywords=value.keywords)

    @property
    def _keyword_indexes(self) -> tuple[KeywordIndex, ...]:
        return (self.words, self.bigrams, self.sentence_bigrams, self.sentence_words)

    def save(self, directory: Path) -> None:
        """Write every component and the manifest into ``directory`` (which must exist)."""
        directory = Path(directory)
        for part in self._keyword_indexes:
            part.save(directory)
        for part in (self.dense_clauses, self.dense_sentences):
            part.save(directory)
        (directory / "manifest.json").write_text(
            json.dumps(asdict(self.manifest), ensure_ascii=False, indent=2), encoding="utf-8"
        )

    def load(self, directory: Path) -> Retriever:
        """Read an index written by ``save``; raises IndexStateError when missing or stale,
        IndexCorruptError when broken."""
        directory = Path(directory)
        manifest = Manifest.read(directory)
        problem = staleness(
            manifest,
            self.docs,
            self.encoder.name,
            self.encoder.variant,
            self.encoder.dim,
            self.fusion.keywords,
        )
        if problem:
            raise IndexStateError(problem)
        self._keyword_sets.clear()
        self.words = KeywordIndex.load(directory, "bm25_words")
        self.bigrams = KeywordIndex.load(directory, "bm25_bigrams")
        self.sentence_bigrams = KeywordIndex.load(directory, "bm25_sentence_bigrams")
        self.sentence_words = KeywordIndex.load(directory, "bm25_sentence_words")
        self.dense_clauses = DenseIndex.load(directory, "dense_clauses")
        self.dense_sentences = DenseIndex.load(directory, "dense_sentences")
        sizes = (
            (self.words.size, len(self.clauses)),
            (self.bigrams.size, len(self.clauses)),
            (self.dense_clauses.size, len(self.clauses)),
            (self.sentence_bigrams.size, len(self.sentence_owner)),
            (self.sentence_words.size, len(self.sentence_owner)),
            (self.dense_sentences.size, len(self.sentence_owner)),
        )
        if any(a != b for a, b in sizes) or self.dense_clauses.dim != manifest.dim:
            raise IndexCorruptError("index files disagree with the manifest")
        self.manifest = manifest
        return self

    # ------------------------------------------------------------------ search

    @cached_property
    def clause_words(self) -> list[frozenset[str]]:
        """The jieba words of each clause (for coverage and key words)."""
        return [frozenset(self.tokenizer.words(clause_text(c))) for c in self.clauses]

    @cached_property
    def _document_frequency(self) -> Counter[str]:
        return Counter(w for words in self.clause_words for w in words)

    def key_words(self, query: str) -> list[str]:
        """The question's words that say something here: words of two or more characters that
        the documents use, in fewer than half of the clauses, most distinctive first (filler and
        story drop out)."""
        df = self._document_frequency
        n = max(1, len(self.clauses))
        seen = [
            w
            for w in dict.fromkeys(self.tokenizer.words(query))
            if len(w) >= 2 and 0 < df[w] <= n / 2
        ]
        return sorted(seen, key=lambda w: df[w])

    def _dense(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-clause dense score (best of clause and its sentences) and per-sentence scores."""
        qvec = self.encoder.encode_queries([text])[0]
        dense_c = self.dense_clauses.scores(qvec)
        dense_s = self.dense_sentences.scores(qvec)
        return np.maximum(dense_c, self.best_of_sentences(dense_s, floor=-1.0)), dense_s

    def best_of_sentences(self, scores: np.ndarray, floor: float = 0.0) -> np.ndarray:
        """Per clause, the best score of its sentences (``floor`` for a clause without one:
        0 for BM25, -1 for a cosine)."""
        best = np.full(len(self.clauses), floor, dtype=np.float32)
        np.maximum.at(best, self.sentence_owner_arr, scores)
        return best

    def channel_scores(self, query: str) -> dict[str, np.ndarray]:
        """Raw per-clause scores of each channel (dense: best of clause and its sentences;
        for a long question, partly from its key words alone; keywords of a short question:
        its best sentence's)."""
        expansions = self.tokenizer.expand(query)
        words = self.tokenizer.query_words(query, expansions)
        grams = self.tokenizer.query_bigrams(query, expansions)
        share = self.fusion.focus
        key = self.key_words(query) if share > 0 and len(query) >= self.fusion.focus_length else []
        if key and share >= 1:  # the key words alone: one encoding, of a shorter text
            dense, dense_s = self._dense(" ".join([*key, *expansions]))
        else:
            dense, dense_s = self._dense(" ".join([query, *expansions]))
            if key:
                focused, focused_s = self._dense(" ".join([*key, *expansions]))
                dense = (1 - share) * dense + share * focused
                dense_s = (1 - share) * dense_s + share * focused_s
        sentence_grams = self.sentence_bigrams.scores(grams)
        clause_grams = self.bigrams.scores(grams)
        if len(self.tokenizer.words(query)) <= SHORT_QUESTION_WORDS:
            by_words = self.best_of_sentences(self.sentence_words.scores(words))
            by_grams = self.best_of_sentences(sentence_grams)
        else:
            by_words, by_grams = self.words.scores(words), clause_grams
        return {
            "words": by_words,
            "bigrams": by_grams,
            "dense": dense,
            "_dense_sentences": dense_s,
            "_sentence_bigrams": sentence_grams,
            # What the decline model reads, on one scale for every question: the whole clause's.
            "_clause_bigrams": clause_grams,
        }

    def search(
        self,
        query: str,
        k: int = 5,
        method: str = "hybrid",
        mask: np.ndarray | None = None,
        boost: np.ndarray | None = None,
        channels: dict[str, np.ndarray] | None = None,
    ) -> list[ScoredClause]:
        """Clauses ranked for the query. ``mask`` keeps only some clauses; ``boost`` multiplies."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method}")
        ch = channels if channels is not None else self.channel_scores(query)
        if method == "bm25":
            use = {"words": ch["words"], "bigrams": ch["bigrams"]}
        elif method == "dense":
            use = {"dense": ch["dense"]}
        else:
            use = {"words": ch["words"], "bigrams": ch["bigrams"], "dense": ch["dense"]}
        if mask is not None:
            use = {name: np.where(mask, s, -np.inf) for name, s in use.items()}
        fused = reciprocal_rank_fusion(
            use,
            self.fusion.weights,
            k=self.fusion.rrf_k,
            floors={"words": 0.0, "bigrams": 0.0, "dense": -np.inf},
        )
        if self.fusion.scores:
            # Ranks lose how far a channel's first clause leads; scaled scores keep it.
            share = self.fusion.scores / (self.fusion.rrf_k + 1)
            fused = fused + share * min_max_fusion(use, self.fusion.weights)
        if boost is not None:
            fused = fused * boost
        if mask is not None:
            fused = np.where(mask, fused, -1.0)
        order = np.argsort(-fused, kind="stable")
        out: list[ScoredClause] = []
        for ci in order[:k]:
            if fused[ci] <= 0:
                break
            out.append(
                ScoredClause(
                    clause=self.clauses[ci],
                    score=float(fused[ci]),
                    channels={name: float(ch[name][ci]) for name in CHANNELS if name in ch},
                    best_sentence=self.best_sentence(int(ci), ch),
                )
            )
        return out

    def best_sentence(self, clause_index: int, ch: dict[str, np.ndarray]) -> int:
        """The sentence of a clause that best answers: dense and bigram evidence, rank-fused."""
        idx = np.flatnonzero(self.sentence_owner_arr == clause_index)
        if len(idx) == 0:
            return 0
        dense = ch["_dense_sentences"][idx]
        lex = ch["_sentence_bigrams"][idx]
        fused = reciprocal_rank_fusion({"d": dense, "l": lex}, k=5.0, floors={"l": 0.0})
        return int(self.sentence_pos[idx[int(np.argmax(fused))]])
