"""wandb SDK objects (`Artifact`, `Run`, manifest entries) turned into the value objects `core` hands out.

The W&B store returns the same frozen `ArtifactVersion` / `RunInfo` as the local store, so every screen and command
works on either. The one difference is where a version's bytes live: the store's `download_version()` first
fetches what the local blob store lacks, then copies out exactly as a local version does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from core.hashing import MD5, algorithm_from_wandb
from core.values import ArtifactVersion, FileEntry, RunInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# W&B run states -> ours ("killed" is W&B's word for a stopped run; preemption ends a run without finishing it)
RUN_STATES = {
    "running": "running", "pending": "running", "preempting": "running", "finished": "finished",
    "failed": "failed", "crashed": "crashed", "killed": "cancelled", "preempted": "crashed",
}
_VERSION = re.compile(r"^v(\d+)$")


def parse_time(value: Any) -> datetime:
    """W&B timestamps ("2024-05-01T12:00:00", with or without a zone; UTC when none) -> aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return EPOCH
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return EPOCH


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON value for config, summary, metadata and history (the SDK hands out dict-likes and numpy scalars)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if depth > 32:
        return str(value)
    if isinstance(value, Mapping) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return {str(key): plain(value[key], depth + 1) for key in value.keys()}
    if isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value]
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", 1) == 0:
        return plain(item(), depth + 1)
    return str(value)


def _without_bookkeeping(data: Any) -> dict[str, Any]:
    """W&B adds `_runtime`, `_timestamp`, `_wandb` (and `_step` to summaries); the local store has none of them."""
    return {k: v for k, v in data.items() if not k.startswith("_")} if isinstance(data, dict) else {}


def summary_of(run: Any) -> dict[str, Any]:
    summary = getattr(run, "summary", None) or {}
    raw = getattr(summary, "_json_dict", None)  # the SDK's HTTPSummary: read its JSON, never lazy-load media
    return _without_bookkeeping(plain(raw if isinstance(raw, dict) else summary))


def version_key(art: Any) -> tuple[str, str, int]:
    """(project, collection name, version index) of an SDK artifact; its `name` is "collection:alias"."""
    match = _VERSION.match(str(art.version))
    if match is None:
        raise ValueError(f"W&B artifact {art.name!r} has no version number (got {art.version!r})")
    return str(art.project), str(art.name).split(":", 1)[0], int(match.group(1))


def alg_of(art: Any) -> str:
    try:
        return algorithm_from_wandb(getattr(art, "digest_algorithm", None) or "MD5")
    except Exception:  # an algorithm we do not know: files() still lists, download() says what is wrong
        return MD5


def ordered_aliases(aliases: Any) -> list[str]:
    seen = [str(a) for a in dict.fromkeys(aliases or []) if not _VERSION.match(str(a))]
    return (["latest"] if "latest" in seen else []) + sorted(a for a in seen if a != "latest")


def to_version(art: Any, store: Any, vid: int) -> ArtifactVersion:
    project, name, index = version_key(art)
    metadata = plain(getattr(art, "metadata", None) or {})
    return ArtifactVersion(
        project=project, name=name, type=str(art.type), index=index, aliases=ordered_aliases(art.aliases),
        digest=str(art.digest), size=int(art.size or 0), file_count=int(getattr(art, "file_count", 0) or 0),
        metadata=metadata if isinstance(metadata, dict) else {"value": metadata},
        description=getattr(art, "description", None), created_at=parse_time(getattr(art, "created_at", None)),
        alg=alg_of(art), id=vid, _store=store,
    )


def to_run(run: Any, project: str, store: Any, pk: int) -> RunInfo:
    created = parse_time(getattr(run, "created_at", None))
    heartbeat = parse_time(getattr(run, "heartbeat_at", None)) if getattr(run, "heartbeat_at", None) else created
    state = str(getattr(run, "state", "") or "").lower()
    config = plain(getattr(run, "config", None) or {})
    return RunInfo(
        id=str(run.id), name=str(getattr(run, "name", None) or run.id), project=project,
        job_type=getattr(run, "job_type", None) or None, state=RUN_STATES.get(state, state or "crashed"),
        config=config if isinstance(config, dict) else {}, summary=summary_of(run),
        created_at=created, updated_at=max(created, heartbeat), heartbeat_at=heartbeat,
        host=str(getattr(run, "host", "") or ""), pid=0, tags=[str(t) for t in (getattr(run, "tags", None) or [])],
        notes=getattr(run, "notes", None) or None, group=getattr(run, "group", None) or None, error=None,
        _pk=pk, _store=store,
    )


def manifest_files(art: Any) -> list[FileEntry]:
    """The version's files from its manifest (`artifact.manifest.entries`: path -> entry with digest and size)."""
    entries = art.manifest.entries
    items = entries.values() if hasattr(entries, "values") else entries
    files = [FileEntry(str(e.path), str(e.digest), int(getattr(e, "size", 0) or 0)) for e in items]
    return sorted(files, key=lambda f: f.path)


def history_row(row: Mapping[str, Any]) -> dict[str, Any]:
    data = plain(row)
    return {"_step": int(data.get("_step") or 0), **_without_bookkeeping(data)}
