"""The one atomic-write helper: temp file in the same directory, flush, fsync, `os.replace`, temp removed on error.

Files `core` writes outside the blob store's own copy loop and outside downloads go through `atomic_write` (model
weights, media), so a crash leaves the old file or the new one, never half of one. Downloads (`core.download`) use
their own exclusive temp-and-rename relative to directory fds, because they must never follow a symlink planted in
a download root; they skip the fsync, as a download can always be made again from the store.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, fsync: bool = True, perm: int = 0o644) -> Iterator[IO]:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=f".{os.getpid()}.tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(tmp, perm)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename inside `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
