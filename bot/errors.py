"""Named exceptions of the core; the CLI and the bot translate them at the edge."""

from __future__ import annotations


class NiangjiaError(Exception):
    """Base class of every error the core raises on purpose."""


class DocumentError(NiangjiaError):
    """A source document cannot be read or yields no clauses."""


class ModelError(NiangjiaError):
    """The embedding model cannot be built or loaded."""


class IndexStateError(NiangjiaError):
    """The index on disk is missing, stale or corrupt."""


class IndexCorruptError(IndexStateError):
    """The index files exist but cannot be read back."""


class UnknownClauseError(NiangjiaError):
    """A clause reference names a document or number that does not exist."""


class GoldFileError(NiangjiaError):
    """A file of gold or labelled questions that cannot be read; the message says where."""


class ConfigError(NiangjiaError):
    """A setting in the environment that cannot be used."""


class IngestError(NiangjiaError):
    """A file that cannot become a document; the message says why, in Chinese."""


class FileBoundError(IngestError):
    """A file past a bound (inflated size, compression ratio, pages, characters), refused
    before it is parsed."""


class ChangeBusyError(NiangjiaError):
    """Another change to the knowledge held the lock for longer than we would wait."""


class StorageError(NiangjiaError):
    """The index or data folder cannot be written (disk full, read-only, no permission)."""
