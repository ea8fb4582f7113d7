"""The content-addressed blob store: `objects/<alg>/<2 hex>/<rest>`, read-only files, written atomically.

A file is hashed while it is copied in (one pass over the bytes) to a temporary file under `tmp/`, named with the
writer's pid. A `BlobBatch` collects the blobs of one artifact and publishes them together: one sync of the data,
the renames into `objects/`, one sync of the directories. Only then may a version row that references them be
committed, so a crash at any point leaves either no version or a version whose blobs are all durable.

Writers hold a shared lock on `gc.lock` from their first blob until their version is committed; `gc` takes it
exclusively, so it never removes a blob (or a temporary file) that a live writer is about to commit.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.atomic import fsync_dir
from core.errors import ArtifactsError, StoreBusyError
from core.hashing import CHUNK, b64, b64_to_hex, new_hasher

_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_write = os.write  # a seam for tests that simulate a full disk


class StoreFullError(ArtifactsError):
    """The disk (or a file size limit) refused a blob write; nothing was logged."""


def _syncfs_fn():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs_fn()


@dataclass
class StagedBlob:
    alg: str
    digest: str          # base64, as in the manifest
    size: int
    tmp: Path | None     # None when the blob already exists


@dataclass
class BlobBatch:
    """The blobs of one artifact being logged; `publish()` makes them durable and visible, `discard()` drops them."""

    blobs: "BlobStore"
    staged: list[StagedBlob] = field(default_factory=list)
    _lock_fd: int | None = None

    def __post_init__(self) -> None:
        self._lock_fd = self.blobs.lock_shared()

    def add_file(self, src: str | os.PathLike, alg: str, known: tuple[str, int] | None = None) -> StagedBlob:
        """Stage `src`. `known` = (digest, size) from the checksum cache: when that blob exists nothing is read."""
        if known is not None and self.blobs.exists(alg, known[0], known[1]):
            blob = StagedBlob(alg, known[0], known[1], None)
        else:
            blob = self.blobs.copy_in(src, alg)
            if self.blobs.exists(alg, blob.digest, blob.size):
                os.unlink(blob.tmp)
                blob.tmp = None
        self.staged.append(blob)
        return blob

    def publish(self) -> None:
        pending = [b for b in self.staged if b.tmp is not None]
        if not pending:
            return
        self.blobs.sync([b.tmp for b in pending])
        dirs = set()
        for blob in pending:
            final = self.blobs.path(blob.alg, blob.digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(blob.tmp, 0o444)
            os.replace(blob.tmp, final)
            blob.tmp = None
            dirs.add(final.parent)
        self.blobs.sync_dirs(sorted(dirs))

    def discard(self) -> None:
        for blob in self.staged:
            if blob.tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(blob.tmp)
                blob.tmp = None

    def close(self) -> None:
        self.discard()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the shared lock
            self._lock_fd = None


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"
        self.lock_path = root / "gc.lock"
        for d in (self.objects, self.tmp):
            d.mkdir(parents=True, exist_ok=True)

    # -- naming -----------------------------------------------------------------------------------------------
    def path(self, alg: str, digest: str) -> Path:
        hexkey = b64_to_hex(digest)
        return self.objects / alg / hexkey[:2] / hexkey[2:]

    def exists(self, alg: str, digest: str, size: int) -> bool:
        try:
            return os.stat(self.path(alg, digest)).st_size == size
        except FileNotFoundError:
            return False

    # -- writing ----------------------------------------------------------------------------------------------
    def copy_in(self, src: str | os.PathLike, alg: str) -> StagedBlob:
        """Copy `src` to a temp file while hashing it; the caller publishes or discards it."""
        tmp = self.tmp / f"{os.getpid()}-{secrets.token_hex(6)}.tmp"
        hasher = new_hasher(alg)
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        size = 0
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with open(src, "rb", buffering=0) as handle:
                while n := handle.readinto(buf):
                    chunk = view[:n]
                    hasher.update(chunk)
                    written = 0
                    while written < n:
                        written += _write(out, chunk[written:])
                    size += n
        except OSError as exc:
            os.close(out)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if exc.errno in _FULL:
                raise StoreFullError(
                    f"cannot store {os.fspath(src)!r}: {os.strerror(exc.errno)} in {self.root}; "
                    "free some space (or raise the file size limit) and log again; nothing was logged"
                ) from exc
            raise
        except BaseException:
            os.close(out)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        os.close(out)
        return StagedBlob(alg, b64(hasher.digest()), size, tmp)

    def sync(self, files: list[Path]) -> None:
        """Make the data of `files` durable: one syncfs where Linux has it, else one fsync each."""
        if _SYNCFS is not None:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                if _SYNCFS(fd) == 0:
                    return
            finally:
                os.close(fd)
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def sync_dirs(self, dirs: list[Path]) -> None:
        if _SYNCFS is not None:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                if _SYNCFS(fd) == 0:
                    return
            finally:
                os.close(fd)
        for d in {*dirs, *(p.parent for p in dirs)}:
            fsync_dir(d)

    # -- the gc lock ------------------------------------------------------------------------------------------
    def lock_shared(self) -> int:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)  # only gc takes it exclusively, briefly
        return fd

    @contextlib.contextmanager
    def lock_exclusive(self, timeout: float):
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusyError(
                            f"gc waited {timeout:.0f} s for writers of {self.root} to finish; run it again later"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)

    # -- reading and maintenance ------------------------------------------------------------------------------
    def rehash(self, alg: str, digest: str) -> str | None:
        """The digest the blob's bytes have now, or None when it is missing."""
        path = self.path(alg, digest)
        hasher = new_hasher(alg)
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            with open(path, "rb", buffering=0) as handle:
                while n := handle.readinto(buf):
                    hasher.update(view[:n])
        except FileNotFoundError:
            return None
        return b64(hasher.digest())

    def iter_blobs(self):
        """(alg, digest, path) of every blob on disk."""
        import base64

        for alg_dir in self.objects.iterdir() if self.objects.exists() else ():
            for sub in alg_dir.iterdir():
                for blob in sub.iterdir():
                    try:
                        raw = bytes.fromhex(sub.name + blob.name)
                    except ValueError:
                        continue
                    yield alg_dir.name, base64.b64encode(raw).decode("ascii"), blob
