"""The local side of the W&B store: manifests and file bytes fetched from the server, kept in the local store.

File bytes go into the local store's blob store (`objects/<alg>/..`, keyed by digest), the same one local versions
use, so content shared with a local version is stored once and a version fetched once is copied out again without
the server (the SDK's own `download()` asks the server for URLs even when every file is cached: wandb issue #7006).
A version's manifest (its paths, digests and sizes) is kept under `remote/manifests/<alg>/<artifact digest>.json`;
an artifact digest names its manifest exactly, so these files never go stale. Every blob the cache keeps is pinned in
the local store (`pin_blobs`, owner "wandb-cache"), so the local store's `gc` keeps it without knowing this layout.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.blobs import BlobBatch
from core.errors import IntegrityError, ValidationError
from core.values import FileEntry


PIN_OWNER = "wandb-cache"


class RemoteCache:
    def __init__(self, local_store: Any) -> None:
        self.local = local_store
        self.blobs = local_store.blobs
        self.base = Path(local_store.root) / "remote"

    # -- manifests ----------------------------------------------------------------------------------------------
    def _manifest_path(self, alg: str, digest: str) -> Path | None:
        if not digest or not all(ch in "0123456789abcdef" for ch in digest.lower()) or len(digest) > 128:
            return None  # not a digest we can name a file by: keep it in memory only
        return self.base / "manifests" / alg / f"{digest.lower()}.json"

    def manifest(self, alg: str, digest: str) -> list[FileEntry] | None:
        path = self._manifest_path(alg, digest)
        if path is None:
            return None
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["files"]
            return [FileEntry(str(p), str(d), int(s)) for p, d, s in rows]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save_manifest(self, alg: str, digest: str, files: list[FileEntry]) -> None:
        path = self._manifest_path(alg, digest)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.local.pin_blobs(PIN_OWNER, [(alg, f.digest) for f in files])  # before any of them is fetched
        with atomic_write(path, "w", fsync=False) as handle:  # a cache: losing it costs one refetch
            json.dump({"files": [[f.path, f.digest, f.size] for f in files]}, handle)

    # -- blobs --------------------------------------------------------------------------------------------------
    def blob_state(self, alg: str, entry: FileEntry, budget: list[int] | None = None) -> str:
        """"remote" (only on the server so far), else what the local blob store says of it (BlobStore.state)."""
        try:
            state = self.blobs.state(alg, entry.digest, entry.size, budget)
        except ValueError:  # a digest that is not one of ours cannot be here
            return "remote"
        return "remote" if state == "missing" else state

    def missing(self, alg: str, files: list[FileEntry]) -> list[FileEntry]:
        return [f for f in files if self.blob_state(alg, f) not in ("ok", "unverified")]

    def fetch(self, alg: str, files: list[FileEntry], download_to, label: str) -> None:
        """Have `download_to(dir)` write the version's files under a private directory, then move each missing
        one into the blob store after checking it re-hashes to its manifest digest."""
        wanted = self.missing(alg, files)
        if not wanted:
            return
        scratch = self.base / "downloads" / f"{os.getpid()}-{secrets.token_hex(6)}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            download_to(scratch)
            self.store_files(alg, wanted, {f.path: scratch / f.path for f in wanted}, label)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def store_files(self, alg: str, files: list[FileEntry], sources: dict[str, Path], label: str) -> None:
        batch = BlobBatch(self.blobs)
        try:
            for entry in files:
                src = sources[entry.path]
                if not src.is_file():
                    raise IntegrityError(f"{label}: the W&B server sent no file for {entry.path!r}; try again, or "
                                         "check that the artifact holds no external references")
                blob = batch.add_file(src, alg)
                if blob.digest != entry.digest:
                    raise IntegrityError(f"{label}: {entry.path}: the bytes from the W&B server hash to {blob.digest}, "
                                         f"not the manifest's {entry.digest}; nothing was kept, try again")
            self.local.pin_blobs(PIN_OWNER, [(alg, f.digest) for f in files])
            batch.publish()
        finally:
            batch.close()

    def keep_logged(self, alg: str, sources: dict[str, Path]) -> list[FileEntry]:
        """Copy files just logged to the server into the blob store too (a later stage reads them offline)."""
        batch = BlobBatch(self.blobs)
        try:
            entries = []
            for path, src in sorted(sources.items()):
                blob = batch.add_file(src, alg)
                entries.append(FileEntry(path, blob.digest, blob.size))
            self.local.pin_blobs(PIN_OWNER, [(alg, e.digest) for e in entries])
            batch.publish()
            return entries
        finally:
            batch.close()

    def media_dir(self, host: str, entity: str, project: str, run_id: str) -> Path:
        slug = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in host.split("://")[-1])[:100]
        if not run_id.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(f"run id {run_id!r} is not valid")
        return self.base / "media" / slug / entity / project / run_id
