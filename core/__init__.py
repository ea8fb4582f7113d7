"""artifacts-tui's core: an embedded, W&B-compatible artifact store and the wandb.init-style run API.

Importing `core` imports no textual, rich, torch or wandb; those load lazily inside the functions that need them.
The names below load with their module on first use (PEP 562): `core.open_store` reads a store without importing
the run API (`core.init`, its writers and system sampler), which the TUI's first screen does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from core.errors import (
    ArtifactsError, IntegrityError, NotFoundError, StoreBusyError, StoreDamagedError, StoreFullError, ValidationError,
)

_HOMES = {
    "Artifact": "core.artifact",
    "Image": "core.media",
    **dict.fromkeys(("ArtifactVersion", "Collection", "FileEntry", "FileState", "LineageEdge", "Problem", "RunInfo"),
                    "core.values"),
    **dict.fromkeys(("Config", "Run", "Summary", "init"), "core.run"),
    **dict.fromkeys(("Store", "default_home", "open_store"), "core.store"),
}

__all__ = [
    "Artifact", "ArtifactVersion", "ArtifactsError", "Collection", "Config", "FileEntry", "FileState", "Image",
    "IntegrityError", "LineageEdge", "NotFoundError", "Problem", "Run", "RunInfo", "Store", "StoreBusyError",
    "StoreDamagedError", "StoreFullError", "Summary", "ValidationError", "default_home", "init", "open_store",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from core.artifact import Artifact
    from core.media import Image
    from core.run import Config, Run, Summary, init
    from core.store import Store, default_home, open_store
    from core.values import ArtifactVersion, Collection, FileEntry, FileState, LineageEdge, Problem, RunInfo
