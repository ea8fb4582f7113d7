"""artifacts-tui's core: an embedded, W&B-compatible artifact store and the wandb.init-style run API.

Importing `core` imports no textual, rich, torch or wandb; those load lazily inside the functions that need them.
"""

from core.artifact import Artifact
from core.errors import (
    ArtifactsError, IntegrityError, NotFoundError, StoreBusyError, StoreDamagedError, StoreFullError, ValidationError,
)
from core.media import Image
from core.values import ArtifactVersion, Collection, FileEntry, FileState, LineageEdge, Problem, RunInfo
from core.run import Config, Run, Summary, init
from core.store import Store, default_home, open_store

__all__ = [
    "Artifact", "ArtifactVersion", "ArtifactsError", "Collection", "Config", "FileEntry", "FileState", "Image",
    "IntegrityError", "LineageEdge", "NotFoundError", "Problem", "Run", "RunInfo", "Store", "StoreBusyError",
    "StoreDamagedError", "StoreFullError", "Summary", "ValidationError", "default_home", "init", "open_store",
]
