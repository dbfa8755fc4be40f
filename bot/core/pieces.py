"""The embedding model's word pieces: its tokenizer, lean enough for a small server.

multilingual-e5-small cuts text as XLM-R does: NFKC, spaces as "▁" (one prepended), then the
unigram model's best segmentation (Viterbi over the pieces' scores). Hugging Face's
``tokenizers`` holds that vocabulary of 250,002 pieces in about 290 MB of memory and takes
0.6 s to load; the same algorithm in plain Python over a dict takes about 35 MB and loads in
a tenth of the time from a compact copy of the vocabulary written beside ``tokenizer.json``
(``unigram.npz``, made at set-up or on first use). A real-model test checks that both give the
same ids. A tokenizer of any other kind (WordPiece, BPE) is loaded through ``tokenizers``.
"""

from __future__ import annotations

import json
import os
import secrets
import unicodedata
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import ModelError

COMPACT_FILE = "unigram.npz"
SPACE = "▁"
UNK_PENALTY = 10.0  # what tokenizers' Unigram subtracts from the lowest score for an unknown


class PieceTokenizer(Protocol):
    """Text to the model's input ids, special tokens included, truncated to ``max_length``."""

    def encode(self, text: str) -> list[int]: ...


class UnigramPieces:
    """An XLM-R style unigram tokenizer (NFKC, Metaspace, Viterbi), as tokenizers runs it."""

    def __init__(
        self,
        pieces: list[str],
        scores: list[float],
        unk_id: int,
        bos_id: int,
        eos_id: int,
        specials: list[str],
        replaces: list[tuple[str, str]] = (),
        max_length: int = 512,
    ) -> None:
        self.ids = {piece: i for i, piece in enumerate(pieces)}
        self.scores = scores
        self.unk_id, self.bos_id, self.eos_id = unk_id, bos_id, eos_id
        self.unk_score = min(scores) - UNK_PENALTY
        self.longest: dict[str, int] = {}  # the longest piece starting with each character
        for p in pieces:
            if p and len(p) > self.longest.get(p[0], 0):
                self.longest[p[0]] = len(p)
        self.specials = [s for s in specials if s]
        self.replaces = [tuple(r) for r in replaces]  # the normaliser's literal replacements
        self.max_length = max_length
        self._fallback: PieceTokenizer | None = None
        self._folder: Path | None = None

    # ------------------------------------------------------------------ files

    @staticmethod
    def supported(spec: dict) -> bool:
        """True when ``tokenizer.json`` describes exactly what this class reproduces."""
        model = spec.get("model") or {}
        normalizer = spec.get("normalizer") or {}
        steps = normalizer.get("normalizers", [normalizer])
        pre = spec.get("pre_tokenizer") or {}
        post = spec.get("post_processor") or {}
        single = [next(iter(p)) for p in post.get("single", [])]
        return (
            model.get("type") == "Unigram"
            and not model.get("byte_fallback")
            and model.get("unk_id") is not None
            and [s.get("type") for s in steps][:1] == ["NFKC"]
            and all(
                s.get("type") == "Replace" and "String" in (s.get("pattern") or {})
                for s in steps[1:]
            )
            and pre.get("type") == "Metaspace"
            and pre.get("replacement") == SPACE
            and pre.get("prepend_scheme", "always") == "always"
            and pre.get("split", True)
            and post.get("type") == "TemplateProcessing"
            and single == ["SpecialToken", "Sequence", "SpecialToken"]
        )

    @classmethod
    def compile(cls, tokenizer_json: Path, target: Path) -> None:
        """Write the compact copy of a supported ``tokenizer.json`` (atomically)."""
        spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
        if not cls.supported(spec):
            raise ModelError(f"{tokenizer_json} is not an XLM-R style unigram tokenizer")
        vocab = spec["model"]["vocab"]
        pieces = [p for p, _ in vocab]
        if any("\n" in p for p in pieces):
            raise ModelError(f"{tokenizer_json} has a piece with a line break")
        post = spec["post_processor"]
        bos = post["single"][0]["SpecialToken"]["id"]
        eos = post["single"][2]["SpecialToken"]["id"]
        replaces = [
            (s["pattern"]["String"], s["content"])
            for s in spec["normalizer"].get("normalizers", [])[1:]
        ]
        meta = {
            "unk_id": spec["model"]["unk_id"],
            "bos_id": post["special_tokens"][bos]["ids"][0],
            "eos_id": post["special_tokens"][eos]["ids"][0],
            "specials": [t["content"] for t in spec.get("added_tokens", [])],
            "replaces": replaces,
        }
        blob = "\n".join(pieces).encode("utf-8")
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.npz")
        np.savez(
            tmp,
            pieces=np.frombuffer(blob, dtype=np.uint8),
            scores=np.array([s for _, s in vocab], dtype=np.float64),
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        )
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: Path, max_length: int = 512) -> UnigramPieces:
        try:
            with np.load(path, allow_pickle=False) as data:
                pieces = data["pieces"].tobytes().decode("utf-8").split("\n")
                scores = data["scores"].tolist()
                meta = json.loads(data["meta"].tobytes().decode("utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        out = cls(
            pieces,
            scores,
            meta["unk_id"],
            meta["bos_id"],
            meta["eos_id"],
            meta["specials"],
            meta.get("replaces", []),
            max_length,
        )
        out._folder = Path(path).parent
        return out

    # ------------------------------------------------------------------ encoding

    def encode(self, text: str) -> list[int]:
        if any(s in text for s in self.specials):
            # tokenizers cuts special tokens out first; rare enough to hand over.
            return self._hand_over().encode(text)
        text = unicodedata.normalize("NFKC", text)
        for pattern, content in self.replaces:
            text = text.replace(pattern, content)
        text = text.replace(" ", SPACE)
        if text and not text.startswith(SPACE):
            text = SPACE + text
        ids: list[int] = []
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or text[i] == SPACE:  # each "▁" begins a word
                ids.extend(self._viterbi(text[start:i]))
                start = i
        ids = ids[: self.max_length - 2]
        return [self.bos_id, *ids, self.eos_id]

    def _viterbi(self, word: str) -> list[int]:
        """The best segmentation of one word, as tokenizers' ``encode_optimized`` finds it:
        a piece replaces a path only when strictly better; a character no piece starts with is
        unknown, and runs of unknowns fuse into one."""
        n = len(word)
        best = [0.0] * (n + 1)
        start = [-1] * (n + 1)
        piece = [0] * (n + 1)
        start[0] = 0
        ids, scores, longest = self.ids, self.scores, self.longest
        for i in range(n):
            here = best[i]
            single = False
            for end in range(i + 1, min(n, i + longest.get(word[i], 0)) + 1):
                pid = ids.get(word[i:end])
                if pid is None:
                    continue
                score = scores[pid] + here
                if start[end] < 0 or score > best[end]:
                    best[end], start[end], piece[end] = score, i, pid
                if end == i + 1:
                    single = True
            if not single:
                score = self.unk_score + here
                if start[i + 1] < 0 or score > best[i + 1]:
                    best[i + 1], start[i + 1], piece[i + 1] = score, i, self.unk_id
        out: list[int] = []
        end = n
        unknown = False
        while end > 0:
            pid = piece[end]
            if pid == self.unk_id:
                if not unknown:
                    out.append(self.unk_id)  # fused with the unknowns before it
                unknown = True
            else:
                out.append(pid)
                unknown = False
            end = start[end]
        out.reverse()
        return out

    def _hand_over(self) -> PieceTokenizer:
        if self._fallback is None:
            if self._folder is None:
                raise ModelError("special tokens in the text and no tokenizer.json to hand over")
            self._fallback = HuggingFacePieces(self._folder / "tokenizer.json", self.max_length)
        return self._fallback


class HuggingFacePieces:
    """Any tokenizer ``tokenizers`` reads (the general case, heavier)."""

    def __init__(self, path: Path, max_length: int = 512) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("tokenizers is not installed") from exc
        try:
            self._tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:
            raise ModelError(f"cannot load the tokenizer {path}: {exc}") from exc
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text).ids)


def prepare_pieces(folder: Path) -> Path | None:
    """Write the compact copy of the folder's tokenizer when it is a supported unigram one."""
    source, compact = Path(folder) / "tokenizer.json", Path(folder) / COMPACT_FILE
    if not source.exists():
        return None
    try:
        UnigramPieces.compile(source, compact)
    except ModelError:
        return None
    return compact


def load_pieces(folder: Path, max_length: int = 512) -> PieceTokenizer:
    """The lean unigram tokenizer when the folder's tokenizer is one (the compact copy made
    now if missing or older than ``tokenizer.json``), ``tokenizers`` otherwise."""
    folder = Path(folder)
    source, compact = folder / "tokenizer.json", folder / COMPACT_FILE
    fresh = compact.exists() and (
        not source.exists() or compact.stat().st_mtime >= source.stat().st_mtime
    )
    if not fresh and source.exists():
        try:
            prepare = prepare_pieces(folder)
        except OSError:  # a read-only model folder: use tokenizers
            prepare = None
        fresh = prepare is not None
    if fresh:
        return UnigramPieces.load(compact, max_length)
    return HuggingFacePieces(source, max_length)
