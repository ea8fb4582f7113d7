"""The errors `core` raises. Every message names the thing and says what to do."""


class ArtifactsError(Exception):
    """Base of every error this package raises on purpose."""


class ValidationError(ArtifactsError, ValueError):
    """Bad input (a name, alias, type, project, path or metadata); nothing was written."""


class NotFoundError(ArtifactsError, LookupError):
    """An unknown project, artifact, alias, version or run."""


class IntegrityError(ArtifactsError):
    """A blob is missing, or does not re-hash to its recorded digest."""


class StoreBusyError(ArtifactsError):
    """The store stayed locked by another writer past the timeout."""


class StoreFullError(ArtifactsError):
    """The disk (or a file size limit) refused a write; nothing was logged and the store is intact."""


class StoreDamagedError(ArtifactsError):
    """The store's database is missing, empty, unreadable or not a store database. Nothing is written or deleted
    until it is restored: blobs are only ever removed when a readable database proves them unreferenced."""


class TargetExistsError(ArtifactsError, FileExistsError):
    """Saving a file would replace one already at the chosen path; nothing was written (save again with
    `overwrite=True` to replace it)."""
