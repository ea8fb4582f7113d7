"""`--wandb ENTITY[/PROJECT]`: open a W&B server's artifacts (wandb.ai, or the self-hosted server named by
WANDB_BASE_URL) instead of the embedded store, in the TUI or for `artifacts-tui run`.

Opening touches no network: the SDK is built inside the store's first call, which the TUI makes in a worker, so a
slow or unreachable server shows as a loading indicator and then one clear message, never a frozen screen. Fetched
files go into the local store (`--store`, else the default home), keyed by digest.
"""

from __future__ import annotations

import re
from typing import Any

import core
from core import names
from core.errors import ValidationError
from core.wandb_backend.store import WandbStore

_ENTITY = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """"ENTITY" or "ENTITY/PROJECT" -> (entity, project or None)."""
    parts = spec.strip().strip("/").split("/") if isinstance(spec, str) else []
    if not parts or len(parts) > 2 or not _ENTITY.match(parts[0]):
        raise ValidationError(f"--wandb takes ENTITY or ENTITY/PROJECT (e.g. my-team/artifacts-example), got {spec!r}")
    project = parts[1] if len(parts) == 2 else None
    if project is not None:
        names.check_project(project)
    return parts[0], project


def open_wandb_store(spec: str, local: Any = None) -> Any:
    """The W&B store for `spec`; `local`: the store that keeps fetched files (default: `core.open_store()`)."""
    entity, project = parse_spec(spec)
    return WandbStore(entity, project, local=local if local is not None else core.open_store())
