"""artifacts-tui's front door: the Textual app (`tui.ArtifactsApp`) and the `artifacts-tui` command.

`import tui` stays light (the CLI imports it before it knows whether the app will open): `ArtifactsApp` is loaded
on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.app import ArtifactsApp

__all__ = ["ArtifactsApp"]


def __getattr__(name: str) -> Any:
    if name == "ArtifactsApp":
        from tui.app import ArtifactsApp

        return ArtifactsApp
    raise AttributeError(f"module 'tui' has no attribute {name!r}")
