"""Copy a version's files out of the store to a download root (W&B's `./artifacts/name:vN` by default).

Nothing is written outside the root, whatever the root already holds. Every directory below the root is opened
relative to its parent with `O_NOFOLLOW` (a symlinked directory is refused, never followed); every file is first
written to a temporary file with a random name created with `O_EXCL | O_NOFOLLOW` inside that directory, then
renamed over the final name, and a rename replaces a symlink planted there rather than writing through it.

`save_file` copies one file to a path the user chose, the same way: below its root (the current directory for a
relative path, the deepest directory that already exists for an absolute one) nothing is followed, and a file already
at the path is kept unless `overwrite=True` (then a planted symlink is replaced, never written through).

Corrupt bytes are never handed out: a reflink (no bytes copied, no shared inode) is re-hashed afterwards, a copy is
hashed while it is made, and a mismatch raises `IntegrityError` with the temporary file removed. Files already
present with the right digest are skipped.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from pathlib import Path

from core import names
from core.blobs import copy_hashing
from core.errors import IntegrityError, NotFoundError, TargetExistsError, ValidationError
from core.hashing import CHUNK, PROCESS_CACHE, StatKey, b64, new_hasher

_FICLONE = 0x40049409
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _reflink(src_fd: int, dst_fd: int) -> bool:
    try:
        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        return True
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF, errno.EPERM):
            return False
        raise


def _copy_verified(src_fd: int, dst_fd: int, alg: str) -> str:
    """Copy a blob out while re-hashing it (big files hash in one thread while another writes) -> its digest."""
    return copy_hashing(src_fd, dst_fd, alg, durable=False)[0]


def _hash_fd(fd: int, alg: str) -> str:
    """The digest of what `fd` holds, read from its start (a reflinked copy is re-hashed through it)."""
    hasher = new_hasher(alg)
    offset = 0
    while chunk := os.pread(fd, CHUNK, offset):
        hasher.update(chunk)
        offset += len(chunk)
    return b64(hasher.digest())


class _Dirs:
    """Directory fds below the download root, opened component by component without following symlinks."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.fds: dict[tuple[str, ...], int] = {(): os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)}

    def open(self, parts: tuple[str, ...]) -> int:
        fd = self.fds.get(parts)
        if fd is not None:
            return fd
        parent = self.open(parts[:-1])
        name = parts[-1]
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=parent)
            fd = self._open_existing(parent, parts)
        except OSError:
            fd = self._open_existing(parent, parts)
        self.fds[parts] = fd
        return fd

    def _open_existing(self, parent: int, parts: tuple[str, ...]) -> int:
        where = self.base.joinpath(*parts)
        try:
            return os.open(parts[-1], _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            try:
                st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
            except OSError:
                raise exc from None
            if stat.S_ISLNK(st.st_mode):
                raise ValidationError(f"{where} is a symlink and could lead outside the download root {self.base}; "
                                      "refusing to write through it (remove it, or download to another root)") from None
            raise ValidationError(f"{where} is in the way: the download needs a directory there (move it away, "
                                  "or download to another root)") from None

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _present(dir_fd: int, name: str, entry, alg: str, where: Path) -> bool:
    """Whether `name` already holds this entry's bytes (a regular file, not a symlink, with the right digest)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        raise ValidationError(f"{where} is a directory: the download needs a file there (move it away, or download "
                              "to another root)")
    if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
        return False
    key = StatKey.of(where, st)
    digest = PROCESS_CACHE.get(key, alg)
    if digest is None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return False
        try:
            digest = _hash_fd(fd, alg)
        finally:
            os.close(fd)
        PROCESS_CACHE.put(key, alg, digest)
    return digest == entry.digest


def _temp_name() -> str:
    return f".artifacts-tui-{os.urandom(8).hex()}.part"  # short: a 255-byte name still has a temp name that fits


def _create_temp(dir_fd: int) -> tuple[str, int]:
    """A new temporary file in `dir_fd`, created exclusively: whatever already stands at a name is never used."""
    for _attempt in range(8):
        tmp = _temp_name()
        try:
            return tmp, os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                                dir_fd=dir_fd)
        except FileExistsError:
            continue
    raise ValidationError("could not create a temporary file in the download root (eight names taken); "
                          "clear the directory's .artifacts-tui-*.part files and download again")


def _fill_temp(src: int, dir_fd: int, name: str, version, entry, replace: bool = True) -> os.stat_result:
    """Copy (or reflink) the blob to a new temporary file, check its digest, rename it over `name` (with
    `replace=False`, link it there only if nothing stands at `name`: TargetExistsError otherwise)."""
    tmp, fd = _create_temp(dir_fd)
    try:
        try:
            if _reflink(src, fd):
                got = _hash_fd(fd, version.alg)  # a reflink shares the blob's bytes: re-hash them all the same
            else:
                got = _copy_verified(src, fd, version.alg)
            if got != entry.digest:
                raise IntegrityError(f"{version.full_name}: {entry.path}: blob corrupt (expected digest "
                                     f"{entry.digest}, found {got}); run `artifacts-tui verify`")
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)  # replaces a symlink there, never follows it
        else:
            _link_new(dir_fd, tmp, name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    return st


def _link_new(dir_fd: int, tmp: str, name: str) -> None:
    """Put `tmp` at `name` only if nothing is there (a hard link fails on any existing name, a symlink included),
    then drop the temporary name."""
    try:
        os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        raise TargetExistsError(f"{name} already exists") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # no hard links on this file system: check, then rename (a race leaves the newer file, never a followed link)
        if _lstat(dir_fd, name) is not None:
            raise TargetExistsError(f"{name} already exists") from None
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    os.unlink(tmp, dir_fd=dir_fd)


def _lstat(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _write_one(blobs, version, entry, dir_fd: int, name: str, where: Path, replace: bool = True) -> None:
    blob = blobs.path(version.alg, entry.digest)
    try:
        src = os.open(blob, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise IntegrityError(f"{version.full_name}: {entry.path}: blob missing from the store; run "
                             "`artifacts-tui verify`") from None
    try:
        st = _fill_temp(src, dir_fd, name, version, entry, replace)
    finally:
        os.close(src)
    PROCESS_CACHE.put(StatKey.of(where, st), version.alg, entry.digest)  # a second download reads nothing


def download(blobs, version, root: str | os.PathLike | None = None, paths=None) -> Path:
    """Copy `version`'s files from the blob store `blobs` (a `core.blobs.BlobStore`) to `root`; -> the root.
    `paths`: only the files at these paths inside the version (an unknown path is a NotFoundError)."""
    base = Path(root) if root is not None else version.default_root()
    entries = version.files()
    if paths is not None:
        wanted = set(paths)
        entries = [e for e in entries if e.path in wanted]
        missing = wanted - {e.path for e in entries}
        if missing:
            raise NotFoundError(f"{version.full_name} has no file {sorted(missing)[0]!r}")
    base.mkdir(parents=True, exist_ok=True)
    dirs = _Dirs(base)
    try:
        for entry in entries:
            names.check_path(entry.path)  # validated when logged; checked again before any filesystem call
            parts = tuple(entry.path.split("/"))
            where = base.joinpath(*parts)
            dir_fd = dirs.open(parts[:-1])
            if not _present(dir_fd, parts[-1], entry, version.alg, where):
                _write_one(blobs, version, entry, dir_fd, parts[-1], where)
    finally:
        dirs.close()
    return base


def _save_root(target: Path) -> tuple[Path, tuple[str, ...]]:
    """(root, parts below it) of a save target: a relative path lies below the current directory, an absolute one
    below its deepest directory that already exists (the user's own path, as it stands)."""
    if not target.parts or target.name in ("", ".", ".."):
        raise ValidationError(f"{str(target)!r} does not name a file; give a path ending in a file name")
    if ".." in target.parts:
        raise ValidationError(f"{target}: write the path without '..' (an absolute path for somewhere else)")
    if not target.is_absolute():
        return Path("."), target.parts
    root = target.parent
    while not root.exists() and root != root.parent:
        root = root.parent
    return root, target.relative_to(root).parts


def save_file(blobs, version, path: str, target: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Copy the file at `path` of `version` from `blobs` to `target`; -> `target`. Directories below its root are
    created and opened without following symlinks (a symlinked directory is refused); a file, or anything else,
    already at `target` raises TargetExistsError unless `overwrite` (which replaces it, a symlink included, by a
    rename: nothing is written through a link). The bytes are checked against the file's digest on the way."""
    from core.file_bytes import find_entry  # core.file_bytes reads; this module writes

    entry = find_entry(version, path)
    target = Path(target).expanduser()
    root, parts = _save_root(target)
    where = root.joinpath(*parts) if root != Path(".") else target
    try:
        dirs = _Dirs(root)
    except NotADirectoryError:
        raise ValidationError(f"{root} is not a directory: choose a path inside a directory") from None
    try:
        dir_fd = dirs.open(parts[:-1])
        found = _lstat(dir_fd, parts[-1])
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise ValidationError(f"{where} is a directory: give the path of a file (e.g. {where}/{Path(path).name})")
        if found is not None and not overwrite:
            kind = "a symlink" if stat.S_ISLNK(found.st_mode) else "a file"
            raise TargetExistsError(f"{where} already exists ({kind}); replace it, or choose another path")
        try:
            _write_one(blobs, version, entry, dir_fd, parts[-1], where, replace=overwrite)
        except TargetExistsError:
            raise TargetExistsError(f"{where} already exists; replace it, or choose another path") from None
    finally:
        dirs.close()
    return where
