"""Digests, compatible with the wandb SDK, and the checksum cache that makes re-logging unchanged files free.

W&B's default scheme: a file's digest is base64(md5(bytes)); an artifact's digest is the md5 hex of
"wandb-artifact-manifest-v1\\n" followed by f"{path}:{file_digest}\\n" for every file sorted by path. With
`digest_algorithm="XXH128"` both use xxh128 instead (as wandb does). Blobs are named by the hex of the same hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Iterable
from typing import NamedTuple

MD5 = "md5"
XXH128 = "xxh128"
ALGORITHMS = (MD5, XXH128)
_MANIFEST_HEADER = b"wandb-artifact-manifest-v1\n"
CHUNK = 8 * 1024 * 1024


def algorithm_from_wandb(value: object) -> str:
    """'MD5' / 'XXH128' (wandb's spellings, or its enum) -> our algorithm name."""
    text = str(getattr(value, "value", value) or "MD5").lower()
    if "xxh128" in text:
        return XXH128
    if "md5" in text:
        return MD5
    from core.errors import ValidationError

    raise ValidationError(f"digest algorithm {value!r} is not supported; use 'MD5' or 'XXH128'")


def new_hasher(alg: str):
    if alg == MD5:
        return hashlib.md5(usedforsecurity=False)
    if alg == XXH128:
        import xxhash

        return xxhash.xxh128()
    raise ValueError(f"unknown digest algorithm {alg!r}")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64_to_hex(digest: str) -> str:
    return binascii.a2b_base64(digest).hex()


def hash_bytes(data: bytes, alg: str = MD5) -> str:
    hasher = new_hasher(alg)
    hasher.update(data)
    return b64(hasher.digest())


def hash_file(path: str | os.PathLike, alg: str = MD5) -> str:
    """base64 digest of a file's bytes, read in large chunks."""
    hasher = new_hasher(alg)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buf):
            hasher.update(view[:n])
    return b64(hasher.digest())


def manifest_digest(entries: Iterable[tuple[str, str]], alg: str = MD5) -> str:
    """The artifact digest over (path, file digest) pairs, exactly as the wandb SDK computes it."""
    hasher = new_hasher(alg)
    hasher.update(_MANIFEST_HEADER + "".join(f"{path}:{digest}\n" for path, digest in sorted(entries)).encode())
    return hasher.hexdigest()


class StatKey(NamedTuple):
    """What identifies unchanged file content without reading it: (path, size, mtime_ns, inode, ctime_ns). The
    ctime is there because a user cannot set it: a same-size rewrite with its mtime put back (`cp -p`, `rsync -t`,
    `tar -x`) still changes it, so the cache is never fooled into keeping the old digest. A named tuple: it is
    hashed several times per file when thousands of files are logged."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike, st: os.stat_result | None = None) -> "StatKey":
        path = os.fspath(path)
        st = st or os.stat(path)
        return cls(key_path(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def key_path(path: str) -> str:
    """The absolute, normalised form of `path` a StatKey holds (a clean absolute path is returned as is)."""
    if path[:1] != "/" or "/." in path or "//" in path or os.sep != "/":  # else abspath would return it as is
        return os.path.abspath(path)
    return path


class ChecksumCache:
    """In-process cache of file digests: the latest (StatKey, digest) of each (path, algorithm).

    The store keeps a persistent copy in its database (table checksum_cache, also one row per path and algorithm)
    and loads entries on demand, so a second process re-logging the same unchanged files does not read them either.
    `knows(path, alg)` says, without a stat, whether there is anything to compare a file's stat with: a file the
    cache has never seen is read at once (its key then comes from the opened file's fstat).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[StatKey, str]] = {}

    def get(self, key: StatKey, alg: str) -> str | None:
        with self._lock:
            entry = self._entries.get((key.path, alg))
        return entry[1] if entry is not None and entry[0] == key else None

    def knows(self, path: str, alg: str) -> bool:
        return (path, alg) in self._entries

    def put(self, key: StatKey, alg: str, digest: str) -> None:
        with self._lock:
            self._entries[(key.path, alg)] = (key, digest)


PROCESS_CACHE = ChecksumCache()


def cached_file_digest(path: str | os.PathLike, alg: str = MD5, st: os.stat_result | None = None) -> str:
    key = StatKey.of(path, st)
    digest = PROCESS_CACHE.get(key, alg)
    if digest is None:
        digest = hash_file(path, alg)
        PROCESS_CACHE.put(key, alg, digest)
    return digest
