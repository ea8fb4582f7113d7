"""Copy a version's files out of the store to a download root (W&B's `./artifacts/name:vN` by default).

Reflinks where the filesystem can (no bytes copied, no shared inode), else copies while re-hashing so a corrupt
blob is caught here rather than handed out. Files already present with the right digest are skipped. Nothing is
written outside the root: every path was validated when logged, and a symlinked directory inside the root that
leads elsewhere is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from core.blobs import copy_hashing
from core.errors import IntegrityError, ValidationError
from core.hashing import PROCESS_CACHE, StatKey, cached_file_digest

_FICLONE = 0x40049409


def _reflink(src: Path, dst_fd: int) -> bool:
    try:
        with open(src, "rb") as handle:
            fcntl.ioctl(dst_fd, _FICLONE, handle.fileno())
        return True
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF, errno.EPERM):
            return False
        raise


def _copy_verified(src: Path, dst_fd: int, alg: str) -> str:
    """Copy a blob out while re-hashing it (big files hash in one thread while another writes) -> its digest."""
    fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return copy_hashing(fd, dst_fd, alg, durable=False)[0]
    finally:
        os.close(fd)


def _check_inside(root: Path, directory: Path) -> None:
    """Refuse when the deepest existing ancestor of `directory` resolves outside `root` (a symlinked directory
    inside the root leading elsewhere); checked before any directory is created."""
    real_root = os.path.realpath(root)
    probe = directory
    while not probe.exists() and probe != root:
        probe = probe.parent
    real = os.path.realpath(probe)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise ValidationError(f"{directory} leads outside the download root {root} (through a symlink); "
                              "refusing to write there")


def download(store, version, root: str | os.PathLike | None = None) -> Path:
    base = Path(root) if root is not None else version.default_root()
    base.mkdir(parents=True, exist_ok=True)
    for entry in version.files():
        dest = base / entry.path
        _check_inside(base, dest.parent)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink():
            dest.unlink()
        elif dest.is_file() and dest.stat().st_size == entry.size:
            if cached_file_digest(dest, version.alg) == entry.digest:
                continue
        blob = store.blobs.path(version.alg, entry.digest)
        if not blob.exists():
            raise IntegrityError(f"{version.full_name}: {entry.path}: blob missing from the store; run "
                                 "`artifacts-tui verify`")
        tmp = dest.parent / f".{dest.name}.{os.getpid()}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            if not _reflink(blob, fd):
                got = _copy_verified(blob, fd, version.alg)
                if got != entry.digest:
                    raise IntegrityError(f"{version.full_name}: {entry.path}: blob corrupt (expected digest "
                                         f"{entry.digest}, found {got}); run `artifacts-tui verify`")
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, dest)
        PROCESS_CACHE.put(StatKey.of(dest), version.alg, entry.digest)  # a second download reads nothing
    return base
