"""The content-addressed blob store: `objects/<alg>/<2 hex>/<rest>`, read-only files, written atomically.

A file is hashed while it is copied in (one pass over the bytes) to a temporary file under `tmp/`, named with the
writer's pid. Big files are hashed in the calling thread while a second thread writes the same buffers straight to
the disk (O_DIRECT), so logging a big file costs about what hashing it does. A `BlobBatch` collects the blobs of one
artifact and publishes them together: the data made durable (an fsync per file for a few files, one `syncfs` for
many), the renames into `objects/`, the directories made durable. Only then may a version row that references
them be committed, so a crash at any point leaves either no version or a version whose blobs are all durable.

Writers hold a shared lock on `gc.lock` from their first blob until their version is committed; `gc` takes it
exclusively, so it never removes a blob (or a temporary file) that a live writer is about to commit.
"""

from __future__ import annotations

import contextlib
import functools
import errno
import fcntl
import itertools
import mmap
import os
import queue
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.atomic import fsync_dir
from core.errors import StoreBusyError, StoreFullError, ValidationError
from core.hashing import CHUNK, PROCESS_CACHE, StatKey, b64, b64_to_hex, new_hasher
from core.names import is_within

_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_write = os.write  # a seam for tests that simulate a full disk


SMALL_FILE = 1 << 20        # read in one go; bigger files go through the two-thread pipeline
_BUFFERS = 4                # buffers in flight between the hashing and the writing thread
FEW_FILES = 32              # up to this many new blobs: fsync each; more: one syncfs for the filesystem
_SYNC_FILE_RANGE_WRITE = 2
_VERIFY_CHUNK = 1 << 20      # verify's read size: big enough to stream, small enough for 3,000 tiny blobs


_OPEN_SRC = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK  # a fifo swapped in for a file must not block
_OPEN_SRC_HERE = _OPEN_SRC | os.O_NOFOLLOW  # in a directory already checked: no symlink followed
_CREATE_TMP = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_pid = [os.getpid()]  # in temp names (gc tells a live writer's by it); os.getpid() is a syscall per file otherwise
os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))


@functools.cache
def _libc_fn(name: str):
    """libc's `syncfs` or `sync_file_range` (None where there is none), looked up at first use: ctypes is not
    imported by a process that only reads the store."""
    import ctypes

    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    if name == "sync_file_range":
        fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    return fn


def _write_all(fd: int, view: memoryview, direct: "_Direct | None" = None) -> None:
    written, n = 0, len(view)
    while written < n:
        try:
            written += _write(fd, view[written:])
        except OSError as exc:
            if direct is None or not direct.on or exc.errno != errno.EINVAL:
                raise
            direct.off()  # the device wants another alignment (or a short write broke ours): write buffered


class _Direct:
    """O_DIRECT on a blob being written: its bytes go from our buffers to the disk with no copy into the page
    cache and no writeback to wait for, which leaves the CPU to hashing. Switched off for good at the first write
    that is not 4 KiB-aligned (the tail of the file) or that the filesystem refuses."""

    ALIGN = 4096

    def __init__(self, fd: int, enable: bool) -> None:
        self.fd = fd
        self.on = False
        if enable and hasattr(os, "O_DIRECT"):
            try:
                fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_DIRECT)
                self.on = True
            except OSError:  # tmpfs and friends: buffered writes, with early writeback
                pass

    def fits(self, offset: int, n: int) -> bool:
        if self.on and (offset % self.ALIGN or n % self.ALIGN):
            self.off()
        return self.on

    def off(self) -> None:
        if self.on:
            fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~os.O_DIRECT)
            self.on = False


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing these bytes to disk now, so the final fsync has little left to wait for."""
    sync_file_range = _libc_fn("sync_file_range")
    if sync_file_range is not None:
        sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def _copy_small(src_fd: int, out: int, hasher, size_hint: int) -> int:
    size = 0
    want = size_hint + 1  # one byte more than fstat said: a short read that reaches that size is the end
    while chunk := os.read(src_fd, want):
        hasher.update(chunk)
        _write_all(out, memoryview(chunk))
        size += len(chunk)
        if len(chunk) < want and size >= size_hint:
            break
        want = 1 << 16  # the file grew while we read it, or the read came back short: go on to its end
    return size


def _read_small(src_fd: int, size_hint: int) -> bytes:
    """The whole of a small file, in one read when it has the size fstat said (it is hashed, then written, from
    memory: one pass over the source, and its digest is known before any temp file is made)."""
    want = size_hint + 1  # one byte more than fstat said: a short read that reaches that size is the end
    chunk = os.read(src_fd, want)
    if size_hint <= len(chunk) < want:
        return chunk
    parts = [chunk]  # the file grew while we read it, or the read came back short: go on to its end
    while chunk := os.read(src_fd, 1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def copy_hashing(src_fd: int, out: int, alg: str, *, durable: bool, size_hint: int | None = None) -> tuple[str, int]:
    """Copy `src_fd` to `out` while hashing the bytes, one pass -> (base64 digest, size). `durable`: the caller
    will fsync `out`; big files are then written with O_DIRECT (or their writeback started chunk by chunk), so
    that the fsync has little left to wait for."""
    hasher = new_hasher(alg)
    hint = os.fstat(src_fd).st_size if size_hint is None else size_hint
    if hint <= SMALL_FILE:
        size = _copy_small(src_fd, out, hasher, hint)
    else:
        size = _copy_pipelined(src_fd, out, hasher, durable)
    return b64(hasher.digest()), size


def _copy_pipelined(src_fd: int, out: int, hasher, durable: bool) -> int:
    """Hash in this thread while a writer thread writes the same buffers (hashlib and os.write drop the GIL)."""
    free: queue.SimpleQueue = queue.SimpleQueue()
    full: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(_BUFFERS):
        free.put(mmap.mmap(-1, CHUNK))  # page-aligned, as O_DIRECT needs
    failure: list[BaseException] = []
    direct = _Direct(out, durable)

    def writer() -> None:
        offset = 0
        try:
            while (item := full.get()) is not None:
                buf, n = item
                direct.fits(offset, n)
                with memoryview(buf) as view:
                    _write_all(out, view[:n], direct)
                if durable and not direct.on:
                    _start_writeback(out, offset, n)
                offset += n
                free.put(buf)
        except BaseException as exc:  # handed to the hashing thread, which raises it
            failure.append(exc)
            free.put(None)

    thread = threading.Thread(target=writer, name="blob-writer", daemon=True)
    thread.start()
    size = 0
    try:
        while (buf := free.get()) is not None:
            n = os.readv(src_fd, [buf])
            if not n:
                break
            full.put((buf, n))
            with memoryview(buf) as view:
                hasher.update(view[:n])  # the writer only reads this buffer too
            size += n
    finally:
        full.put(None)
        thread.join()
    if failure:
        raise failure[0]
    return size


@dataclass(slots=True)
class StagedBlob:
    alg: str
    digest: str          # base64, as in the manifest
    size: int
    tmp: str | None      # the temp file; None when the blob already exists
    source: os.stat_result | None = None  # the fstat of the source as it was read (None when nothing was read)


@dataclass
class BlobBatch:
    """The blobs of one artifact being logged; `publish()` makes them durable and visible, `discard()` drops them.

    `expected`: how many files the caller will add. For more than FEW_FILES, the fan-out directories of
    objects/<alg> are listed once (after the shared gc lock is taken, so gc removes none of them meanwhile): a blob
    whose fan-out directory was not there cannot exist, so it costs no stat, and publishing makes only the fan-out
    directories that were missing. A blob another writer stores meanwhile is then only stored twice (the same bytes,
    renamed over each other), never lost."""

    blobs: "BlobStore"
    staged: list[StagedBlob] = field(default_factory=list)
    expected: int = 0
    _lock_fd: int | None = None
    _pending: set = field(default_factory=set)
    _fanout: dict = field(default_factory=dict)  # alg -> names of the fan-out directories there (big batches)
    _dir: tuple | None = None  # (directory, confine, its fd or None) of the last confined source

    def __post_init__(self) -> None:
        self._lock_fd = self.blobs.lock_shared()

    def add_file(self, src: str | os.PathLike, alg: str, known: tuple[str, int] | None = None,
                 confine: str | None = None) -> StagedBlob:
        """Stage `src`. `known` = (digest, size) from the checksum cache: when that blob exists nothing is read.
        `confine`: a directory the opened file must really lie in."""
        if known is not None and self._stored(alg, known[0], known[1]):
            blob = StagedBlob(alg, known[0], known[1], None)
        else:
            dir_fd = None if confine is None else self._source_dir(os.fspath(src).rpartition("/")[0], confine)
            blob = self.blobs.copy_in(src, alg, confine, self._have, dir_fd)
            if blob.tmp is not None:
                self._pending.add((alg, blob.digest))
        self.staged.append(blob)
        return blob

    def _source_dir(self, directory: str, confine: str) -> int | None:
        """An fd of `directory` once it is found inside `confine` (kept while the files come from it: the files of
        one directory come together), so its files need no check each; None where it cannot be so opened (each
        file is then checked as it is opened, which names what is wrong)."""
        if self._dir is not None and self._dir[:2] == (directory, confine):
            return self._dir[2]
        self._close_dir()
        fd = None
        if directory.startswith("/"):
            try:
                fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                pass
            if fd is not None and not is_within(_real_path(fd, directory), confine):
                os.close(fd)
                fd = None
        self._dir = (directory, confine, fd)
        return fd

    def _close_dir(self) -> None:
        if self._dir is not None and self._dir[2] is not None:
            os.close(self._dir[2])
        self._dir = None

    def _have(self, alg: str, digest: str, size: int) -> bool:
        """Whether this blob needs no new copy: stored already, or staged earlier in this batch."""
        return (alg, digest) in self._pending or self._stored(alg, digest, size)

    def _stored(self, alg: str, digest: str, size: int) -> bool:
        hexkey = b64_to_hex(digest)
        if self.expected > FEW_FILES and hexkey[:2] not in self._fanout_of(alg):
            return False
        return self.blobs.exists_hex(alg, hexkey, size)

    def _fanout_of(self, alg: str) -> set[str]:
        names = self._fanout.get(alg)
        if names is None:
            names = self._fanout[alg] = {e.name for e in _listdir(f"{self.blobs._objects_str}/{alg}")}
        return names

    def publish(self) -> None:
        pending = [b for b in self.staged if b.tmp is not None]
        if not pending:
            return
        use_syncfs = len(pending) > FEW_FILES
        self.blobs.sync([b.tmp for b in pending], use_syncfs)
        dirs: set[str] = set()
        made: set[str] = set()
        for blob in pending:
            final = self.blobs.path_str(blob.alg, blob.digest)
            parent = final.rpartition("/")[0]
            if parent not in made:
                listed = self._fanout.get(blob.alg)
                if listed is None or parent[-2:] not in listed:
                    _make_dir(parent)
                made.add(parent)
            os.replace(blob.tmp, final)  # the temp file was created read-only (0444)
            blob.tmp = None
            dirs.add(parent)
        self.blobs.sync_dirs(sorted(dirs), use_syncfs)

    def discard(self) -> None:
        for blob in self.staged:
            if blob.tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(blob.tmp)
                blob.tmp = None

    def close(self) -> None:
        self._close_dir()
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
        self._objects_str = os.fspath(self.objects)
        self._tmp_str = os.fspath(self.tmp)
        self._nonce = os.urandom(4).hex()  # with the pid and a counter: unique temp names, one getrandom in all
        self._count = itertools.count()

    # -- naming -----------------------------------------------------------------------------------------------
    def path(self, alg: str, digest: str) -> Path:
        return Path(self.path_str(alg, digest))

    def path_str(self, alg: str, digest: str) -> str:
        hexkey = b64_to_hex(digest)
        return f"{self._objects_str}/{alg}/{hexkey[:2]}/{hexkey[2:]}"

    def exists(self, alg: str, digest: str, size: int) -> bool:
        return self.exists_hex(alg, b64_to_hex(digest), size)

    def exists_hex(self, alg: str, hexkey: str, size: int) -> bool:
        try:
            return os.stat(f"{self._objects_str}/{alg}/{hexkey[:2]}/{hexkey[2:]}").st_size == size
        except (FileNotFoundError, NotADirectoryError):
            return False

    # -- writing ----------------------------------------------------------------------------------------------
    def copy_in(self, src: str | os.PathLike, alg: str, confine: str | None = None, have=None,
                dir_fd: int | None = None) -> StagedBlob:
        """Copy `src` to a read-only temp file while hashing it; the caller publishes or discards it. The file is
        checked once open (what is read is what was checked): a regular file, inside `confine` when given.
        `dir_fd`: its directory, open and already found inside `confine`; the file is then opened in it without
        following a symlink, which needs no check of its own (a symlink there is followed and checked as above).
        `have(alg, digest, size)`: whether the blob needs no copy (then no temp file is left: `tmp` is None). A
        small file is read whole and hashed first, so its temp file is only made when it is needed."""
        src_fd = None
        if dir_fd is not None:
            try:
                src_fd = os.open(os.fspath(src).rpartition("/")[2], _OPEN_SRC_HERE, dir_fd=dir_fd)
                confine = None
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    raise FileNotFoundError(exc.errno, exc.strerror, os.fspath(src)) from None
                if exc.errno != errno.ELOOP:
                    raise
        if src_fd is None:
            src_fd = os.open(src, _OPEN_SRC)
        try:
            st = _check_opened(src_fd, src, confine)
            if st.st_size <= SMALL_FILE:
                data = _read_small(src_fd, st.st_size)
                hasher = new_hasher(alg)
                hasher.update(data)
                digest, size = b64(hasher.digest()), len(data)
                if have is not None and have(alg, digest, size):
                    return StagedBlob(alg, digest, size, None, st)
                tmp = self._write_tmp(src, data)
            else:
                got: list = []
                tmp = self._write_tmp(src, lambda out: got.extend(
                    copy_hashing(src_fd, out, alg, durable=True, size_hint=st.st_size)))
                digest, size = got
                if have is not None and have(alg, digest, size):
                    os.unlink(tmp)  # stored already, or staged earlier in this batch
                    tmp = None
        finally:
            os.close(src_fd)
        return StagedBlob(alg, digest, size, tmp, st)

    def _write_tmp(self, src, fill) -> str:
        """A new read-only temp file holding `fill` (bytes), or filled by `fill(fd)` -> its path (removed again
        when filling fails)."""
        tmp = f"{self._tmp_str}/{_pid[0]}-{self._nonce}-{next(self._count)}.tmp"
        out = os.open(tmp, _CREATE_TMP, 0o444)
        try:
            if isinstance(fill, bytes):
                written = _write(out, fill)
                if written < len(fill):  # a short write: the rest
                    _write_all(out, memoryview(fill)[written:])
            else:
                fill(out)
        except BaseException as exc:
            os.close(out)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and exc.errno in _FULL:
                raise StoreFullError(
                    f"cannot store {os.fspath(src)!r}: {os.strerror(exc.errno)} in {self.root}; "
                    "free some space (or raise the file size limit) and log again; nothing was logged"
                ) from exc
            raise
        os.close(out)
        return tmp

    def sync(self, files: list[str], use_syncfs: bool = True) -> None:
        """Make the data of `files` durable: one syncfs (when asked and Linux has it), else one fsync each."""
        if use_syncfs and self._syncfs():
            return
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def sync_dirs(self, dirs: list[str], use_syncfs: bool = True) -> None:
        """Make the renames into `dirs` durable (and the creation of new fan-out directories)."""
        if use_syncfs and self._syncfs():
            return
        for d in sorted({*dirs, *(os.path.dirname(d) for d in dirs), self._objects_str}, reverse=True):
            fsync_dir(d)  # the fan-out dirs, then objects/<alg> and objects/ that may have gained them

    def _syncfs(self) -> bool:
        syncfs = _libc_fn("syncfs")
        if syncfs is None:
            return False
        fd = os.open(self.root, os.O_RDONLY)
        try:
            return syncfs(fd) == 0
        finally:
            os.close(fd)

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
        """The digest the blob's bytes have now; None when it is missing, "" when something that is not a regular
        file (a directory, a symlink, a fifo) stands in its place."""
        path = self.path_str(alg, digest)
        hasher = new_hasher(alg)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError:  # ELOOP: a symlink in the blob's place
            return ""
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return ""
            want = min(_VERIFY_CHUNK, st.st_size + 1)  # a 1 KB blob costs a 1 KB buffer, not a chunk's worth
            while chunk := os.read(fd, want):
                hasher.update(chunk)
        finally:
            os.close(fd)
        return b64(hasher.digest())

    def state(self, alg: str, digest: str, size: int, budget: list[int] | None = None) -> str:
        """What `verify` would say of one blob, as cheaply as allowed: "missing"; "corrupt" (wrong size, not a
        regular file, or re-hashed to another digest); "ok" (re-hashed to its digest); "unverified" (right size,
        not re-hashed: `budget`, a one-item list of the bytes still allowed to be read, was spent; None: no limit).

        Re-hash results are kept in the process's checksum cache under the blob's (size, mtime, inode, ctime): a
        blob rewritten in place (a flipped byte) changes its ctime and is read again. `verify` never uses it."""
        path = self.path_str(alg, digest)
        try:
            st = os.stat(path, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return "missing"
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return "corrupt"
        key = StatKey.of(path, st)
        known = PROCESS_CACHE.get(key, alg)
        if known is None:
            if budget is not None:
                if budget[0] < size:
                    return "unverified"
                budget[0] -= size
            known = self.rehash(alg, digest)
            if known is None:
                return "missing"
            PROCESS_CACHE.put(key, alg, known)
        return "ok" if known == digest else "corrupt"

    def any_blob(self) -> bool:
        """Whether objects/ holds at least one blob (stops at the first)."""
        for _ in self.iter_blobs():
            return True
        return False

    def iter_blobs(self, strays: list[str] | None = None):
        """(alg, digest, path) of every blob on disk. Anything else under objects/ (a `.DS_Store`, a directory
        where a blob should be, a name that is not hex) is skipped, and named in `strays` when given."""
        import base64

        def stray(path) -> None:
            if strays is not None:
                strays.append(os.fspath(path))

        for alg_dir in _listdir(self.objects):
            if not alg_dir.is_dir(follow_symlinks=False):
                stray(alg_dir.path)
                continue
            for sub in _listdir(alg_dir.path):
                if not sub.is_dir(follow_symlinks=False):
                    stray(sub.path)
                    continue
                for blob in _listdir(sub.path):
                    try:
                        raw = bytes.fromhex(sub.name + blob.name)
                    except ValueError:
                        stray(blob.path)
                        continue
                    if not blob.is_file(follow_symlinks=False) or len(raw) != 16:
                        stray(blob.path)
                        continue
                    yield alg_dir.name, base64.b64encode(raw).decode("ascii"), Path(blob.path)


def _check_opened(fd: int, src, confine: str | None) -> os.stat_result:
    """Check an opened source (see copy_in) -> its fstat."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise ValidationError(f"{os.fspath(src)!r} is no longer a regular file; nothing was logged")
    if confine is not None:
        real = _real_path(fd, src)
        if not is_within(real, confine):
            raise ValidationError(f"{os.fspath(src)!r} now leads outside {confine} ({real}): it was changed into a "
                                  "symlink after it was added; nothing was logged")
    return st


def _make_dir(path: str) -> None:
    """mkdir, and its parents only when they are missing (objects/<alg> is there but for the first blob)."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


def _real_path(fd: int, name) -> str:
    """Where an open file really is."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc: resolve the name (the file is open, so only a rename can race this)
        return os.path.realpath(name)


def _listdir(path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
