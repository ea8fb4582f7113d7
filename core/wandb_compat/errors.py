"""The errors `core.wandb_compat` raises, and `wandb.errors` as scripts spell it (`except wandb.errors.CommError`).

Where the wandb SDK raises one of its own classes (a missing artifact is `wandb.errors.CommError`, a property read
before logging `ArtifactNotLoggedError`), the error raised here is an instance of that class, made when first
needed so that importing `core.wandb_compat` loads no wandb, and also of the store's own error (`NotFoundError`,
`ValidationError`), so that both `except` spellings catch it.
"""

from __future__ import annotations

import functools
from typing import Any

from core.errors import ArtifactsError, NotFoundError, ValidationError

SURFACE = ("init, run, config, summary, log, save, finish, Artifact (new_file, add_file, add_dir, add, get, link, "
           "save), Table, Image, use_artifact, log_artifact, log_model, use_model, link_model, link_artifact and "
           "Api() reads")


class Error(ArtifactsError):
    """Base of the errors wandb_compat raises; stands in for `wandb.Error`."""


class UsageError(Error):
    """Called in the wrong order, e.g. `wandb.log` before `wandb.init` (as the wandb SDK's own UsageError)."""


class NotAvailableOfflineError(Error, AttributeError):
    """A part of the wandb SDK that the offline store does not provide. An AttributeError too, so that
    `hasattr(wandb, "plot")` answers False instead of raising."""


def unavailable(feature: str) -> NotAvailableOfflineError:
    return NotAvailableOfflineError(
        f"{feature} is not available offline: artifacts-tui's wandb_compat provides {SURFACE}. "
        "Use the wandb SDK with a W&B server for it, or leave it out of the script.")


def reject_unknown(owner: str, name: str) -> NotAvailableOfflineError | AttributeError:
    if name.startswith("_"):  # protocol probes (copy, pickle, inspect) and private names stay plain
        return AttributeError(f"{owner} has no attribute {name!r}")
    return unavailable(f"{owner}.{name}")


@functools.cache
def _both(sdk_module: str, sdk_name: str, ours: type) -> type:
    import importlib

    sdk_class = getattr(importlib.import_module(sdk_module), sdk_name)
    bases = (sdk_class, ours) if issubclass(ours, Error) else (sdk_class, ours, Error)
    return type(sdk_name, bases, {"__module__": __name__})


def comm_error(message: str, *, not_found: bool = True) -> Exception:
    """W&B's `wandb.errors.CommError` (what the SDK raises for a missing artifact, or an artifact of another type
    than asked), that is also `core.NotFoundError` (or `core.ValidationError`)."""
    cls = _both("wandb.errors", "CommError", NotFoundError if not_found else ValidationError)
    return cls(message)


def not_logged(feature: str, artifact: Any) -> AttributeError:
    """W&B's `ArtifactNotLoggedError`, with its wording: a logged-only property read on a draft artifact."""
    cls = _both("wandb.sdk.artifacts.exceptions", "ArtifactNotLoggedError", Error)
    return cls(feature, artifact)


def finalized(feature: str, artifact: Any) -> AttributeError:
    """W&B's `ArtifactFinalizedError`: a draft-only method called on a logged artifact."""
    cls = _both("wandb.sdk.artifacts.exceptions", "ArtifactFinalizedError", Error)
    return cls(feature, artifact)


def __getattr__(name: str) -> Any:
    """`wandb.errors.X`: the SDK's own class (CommError, AuthenticationError, ...), loaded when first named."""
    if name.startswith("__"):
        raise AttributeError(name)
    import wandb.errors

    try:
        return getattr(wandb.errors, name)
    except AttributeError:
        raise AttributeError(f"module 'wandb.errors' has no attribute {name!r}") from None
