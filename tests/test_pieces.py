"""The lean unigram tokenizer against tokenizers' own Unigram, on a small vocabulary built
here (the real vocabulary is compared in test_real_model)."""

from __future__ import annotations

import json
import random

import pytest
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from bot.core.pieces import COMPACT_FILE, HuggingFacePieces, UnigramPieces, load_pieces
from bot.errors import ModelError

PIECES = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    ("单位", -3.0),
    ("单", -6.0),
    ("位", -6.0),
    ("▁单位", -3.5),
    ("哺乳", -4.0),
    ("哺", -7.0),
    ("乳", -7.0),
    ("室", -5.0),
    ("哺乳室", -7.5),
    ("乳室", -4.0),
    ("有", -4.0),
    ("没有", -4.5),
    ("没", -6.0),
    ("▁a", -5.0),
    ("a", -6.0),
    ("b", -6.0),
    ("ab", -5.5),
    ("▁ab", -8.0),
    ("1", -6.0),
    ("23", -6.0),
    ("▁query", -5.0),
    (":", -4.0),
    ("<mask>", 0.0),
]


def reference(folder, max_length: int = 512) -> Tokenizer:
    """A tokenizers Unigram set up as multilingual-e5-small's is, saved as tokenizer.json."""
    tokenizer = Tokenizer(Unigram(PIECES, unk_id=3, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(" {2,}", " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokenizer.save(str(folder / "tokenizer.json"))
    return tokenizer


def texts() -> list[str]:
    rng = random.Random(12)
    alphabet = "单位哺乳室有没ab123:：Ａ１ 　\t\nq€😀"
    out = [
        "",
        " ",
        "  ",
        "单位有没有哺乳室",
        "query: 单位 有没有  哺乳室",
        "ab ab  abab",
        "ＡＢ１２３",
    ]
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(400)]
    return out


def test_the_same_ids_as_tokenizers(tmp_path):
    ref = reference(tmp_path)
    ref.enable_truncation(512)
    ours = load_pieces(tmp_path)
    assert isinstance(ours, UnigramPieces) and (tmp_path / COMPACT_FILE).exists()
    for text in texts():
        assert ours.encode(text) == ref.encode(text).ids, text


def test_truncation_keeps_the_special_tokens(tmp_path):
    ref = reference(tmp_path)
    ref.enable_truncation(8)
    ours = load_pieces(tmp_path, max_length=8)
    text = "单位 " * 20
    assert ours.encode(text) == ref.encode(text).ids
    assert len(ours.encode(text)) == 8 and ours.encode(text)[-1] == 2


def test_unknown_characters_fuse_into_one(tmp_path):
    reference(tmp_path)
    ours = load_pieces(tmp_path)
    assert ours.encode("单位€€€室") == [0, 8, 3, 12, 2]


def test_a_special_token_in_the_text_is_handed_to_tokenizers(tmp_path):
    ref = reference(tmp_path)
    ours = load_pieces(tmp_path)
    assert ours.encode("单位<mask>室") == ref.encode("单位<mask>室").ids


def test_the_compact_copy_is_remade_when_the_tokenizer_changes(tmp_path):
    reference(tmp_path)
    load_pieces(tmp_path)
    spec = json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))
    spec["model"]["vocab"].append(["乳室有", 0.0])
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    compact = tmp_path / COMPACT_FILE
    stamp = compact.stat().st_mtime_ns
    import os

    os.utime(tmp_path / "tokenizer.json", ns=(stamp + 10**9, stamp + 10**9))
    assert load_pieces(tmp_path).encode("乳室有") == [0, 4, len(PIECES), 2]


def test_other_tokenizers_go_through_tokenizers(tmp_path):
    from tokenizers.models import WordLevel

    other = Tokenizer(WordLevel({"[UNK]": 0, "单位": 1}, unk_token="[UNK]"))
    other.pre_tokenizer = pre_tokenizers.Whitespace()
    other.save(str(tmp_path / "tokenizer.json"))
    assert isinstance(load_pieces(tmp_path), HuggingFacePieces)
    assert not (tmp_path / COMPACT_FILE).exists()
    with pytest.raises(ModelError):
        UnigramPieces.compile(tmp_path / "tokenizer.json", tmp_path / COMPACT_FILE)
