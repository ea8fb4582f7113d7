"""Reading one file of a version from its blob, bounded: what a preview shows.

A preview needs the first bytes of a file, not a copy of it: `read_file` returns at most `limit` bytes. Read whole,
the bytes are re-hashed and a mismatch is an `IntegrityError` (a corrupt blob is never shown as the file); a cut
read cannot be checked and says so (`FileBytes.verified` is False). Both stores call it once the blob is local.
"""

from __future__ import annotations

import os
import stat

from core import names
from core.errors import IntegrityError, NotFoundError, ValidationError
from core.hashing import b64, new_hasher
from core.values import FileBytes, FileEntry

_CHUNK = 1 << 20


def find_entry(version, path: str) -> FileEntry:
    """The manifest entry of `path` in `version`, or a NotFoundError naming both."""
    path = names.check_path(path)
    for entry in version.files():
        if entry.path == path:
            return entry
    raise NotFoundError(f"{version.full_name} has no file {path!r}")


def read_file(blobs, version, path: str, limit: int | None = None) -> FileBytes:
    """The first `limit` bytes (None: all) of the file at `path` of `version`, from the blob store `blobs`."""
    if limit is not None and limit < 0:
        raise ValidationError(f"limit must be 0 or more, not {limit}")
    entry = find_entry(version, path)
    where = f"{version.full_name}: {entry.path}"
    try:
        fd = os.open(blobs.path(version.alg, entry.digest), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise IntegrityError(f"{where}: blob missing from the store; run `artifacts-tui verify`") from None
    except OSError as exc:  # ELOOP: a symlink in the blob's place
        raise IntegrityError(f"{where}: blob unreadable ({exc.strerror}); run `artifacts-tui verify`") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
            raise IntegrityError(f"{where}: blob corrupt (expected {entry.size} bytes, found "
                                 f"{st.st_size if stat.S_ISREG(st.st_mode) else 'no regular file'}); "
                                 "run `artifacts-tui verify`")
        want = entry.size if limit is None else min(limit, entry.size)
        whole = want == entry.size
        hasher = new_hasher(version.alg) if whole else None
        chunks, got = [], 0
        while got < want:
            chunk = os.read(fd, min(_CHUNK, want - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if hasher is not None:
                hasher.update(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if got < want:
        raise IntegrityError(f"{where}: blob shorter than recorded; run `artifacts-tui verify`")
    if hasher is not None:
        actual = b64(hasher.digest())
        if actual != entry.digest:
            raise IntegrityError(f"{where}: blob corrupt (expected digest {entry.digest}, found {actual}); "
                                 "run `artifacts-tui verify`")
    return FileBytes(entry.path, entry.digest, entry.size, data, verified=whole)
