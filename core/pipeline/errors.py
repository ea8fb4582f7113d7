"""Errors the pipeline stages raise for things a user can fix (missing data, an unsafe checkpoint).

They derive from `core.ArtifactsError`, so `artifacts-tui run` prints them as one line and exits 1. Invalid stage or
model configs raise `core.ValidationError` and missing inputs `core.NotFoundError`, as the rest of `core` does.
"""

from __future__ import annotations

from core.errors import ArtifactsError

__all__ = ["DatasetUnavailableError", "PipelineError", "UnsafeCheckpointError"]


class PipelineError(ArtifactsError):
    """A pipeline stage could not run for a reason the message explains."""


class DatasetUnavailableError(PipelineError):
    """The dataset's files are not on disk and could not be downloaded."""


class UnsafeCheckpointError(PipelineError):
    """A `.pt`/`.pth` file of an input artifact is not plain tensors (e.g. a pickle that would run code)."""
