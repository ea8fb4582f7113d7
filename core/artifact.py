"""`core.Artifact`: the builder of an artifact before it is logged, as `wandb.Artifact` is.

It records where each file comes from; the bytes are read when the artifact is logged (hashed while they are
copied into the blob store). `new_file` stages in a private directory inside a store's tmp/ (core.staging), removed
once the artifact is logged or dropped, and reclaimed by gc when its writer was killed. Everything is validated when added, so a bad path fails before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from core import names, staging
from core.errors import ValidationError
from core.gc_pause import gc_paused
from core.hashing import algorithm_from_wandb, cached_file_digest, manifest_digest


class Artifact:
    def __init__(self, name: str, type: str, description: str | None = None, metadata: dict | None = None,
                 digest_algorithm: str = "MD5") -> None:
        self.name = names.check_artifact_name(name)
        self.type = names.check_type(type)
        self.description = names.check_text(description, "description")
        self._metadata = names.check_metadata(metadata)
        self.alg = algorithm_from_wandb(digest_algorithm)
        self._sources: dict[str, str] = {}      # path inside the artifact -> file on disk (absolute)
        self._confined: dict[str, str] = {}     # path inside the artifact -> the real directory add_dir walked
        self._dirs: set[str] = set()            # every directory the paths imply ("a" for "a/b")
        self._staging: Path | None = None
        self._finalizer = None

    def __repr__(self) -> str:
        return f"Artifact({self.name!r}, type={self.type!r}, files={len(self._sources)})"

    # -- metadata -----------------------------------------------------------------------------------------------
    @property
    def metadata(self) -> dict:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict) -> None:
        self._metadata = names.check_metadata(value)

    # -- adding files -------------------------------------------------------------------------------------------
    def _add(self, path: str, source: str, overwrite: bool) -> None:
        self._add_checked(names.check_path(path), source, overwrite)

    def _add_checked(self, path: str, source: str, overwrite: bool) -> None:
        if path in self._sources and not overwrite and self._sources[path] != source:
            raise ValidationError(f"artifact {self.name!r} already has a file at {path!r}; pass overwrite=True")
        self._check_file_vs_dir(path)
        self._sources[path] = source
        parent = path.rpartition("/")[0]
        while parent and parent not in self._dirs:
            self._dirs.add(parent)
            parent = parent.rpartition("/")[0]
        self._confined.pop(path, None)

    def _check_file_vs_dir(self, path: str) -> None:
        """A path cannot be both a file and a directory ("a" and "a/b"): no download could hold both."""
        if path in self._dirs:
            raise ValidationError(f"artifact {self.name!r}: {path!r} is already a directory of other files; a file "
                                  "cannot have the same path")
        parent = path.rpartition("/")[0]
        while parent:
            if parent in self._sources:
                raise ValidationError(f"artifact {self.name!r}: {path!r} would put a file under {parent!r}, which "
                                      "is already a file")
            parent = parent.rpartition("/")[0]

    def add_file(self, local_path: str | os.PathLike, name: str | None = None, *, is_tmp: bool = False,
                 skip_cache: bool = False, policy: str | None = None, overwrite: bool = False) -> None:
        """Add one file; `name` is its path inside the artifact (default: the file's base name)."""
        source = Path(local_path)
        target = source.name if name is None else name
        names.check_path(target)
        if not source.is_file():
            raise ValidationError(f"cannot add {os.fspath(local_path)!r}: no such file")
        self._add(target, os.fspath(source.absolute()), overwrite)

    def add_dir(self, local_path: str | os.PathLike, name: str | None = None, *, skip_cache: bool = False,
                policy: str | None = None, merge: bool = False) -> None:
        """Add every file under a directory at `name/<relative path>` (or at the top). A symlink that points
        outside the directory is refused."""
        with gc_paused():
            self._add_dir(local_path, name, merge)

    def _add_dir(self, local_path: str | os.PathLike, name: str | None, merge: bool) -> None:
        root = Path(local_path)
        if not root.is_dir():
            raise ValidationError(f"cannot add directory {os.fspath(local_path)!r}: no such directory")
        prefix = None if name in (None, "", ".") else names.check_path(name)
        real_root = root.resolve()
        confine = os.fspath(real_root)
        found = []
        try:
            walked = list(_walk_files(str(root.absolute())))
        except OSError as exc:
            raise ValidationError(f"cannot add directory {os.fspath(local_path)!r}: {exc.strerror or exc} at "
                                  f"{exc.filename!r} (a symlink loop, or a directory that cannot be read); fix it "
                                  "and add again; nothing was added") from None
        for full, rel, is_link in walked:
            if is_link:
                try:
                    target = Path(full).resolve(strict=True)
                except (OSError, RuntimeError):
                    raise ValidationError(f"{full} is a symlink that leads nowhere or loops; remove it or add the "
                                          "directory without it; nothing was added") from None
                if not target.is_relative_to(real_root):
                    raise ValidationError(f"{full} is a symlink pointing outside {root} ({target}); refused")
                if not target.is_file():
                    continue
            found.append((names.check_path(f"{prefix}/{rel}" if prefix else rel), full))
        for path, source in found:  # all valid: add them (nothing is added when one is refused)
            self._add_checked(path, source, overwrite=merge)
            self._confined[path] = confine

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO]:
        """Open a new file that becomes `name` inside the artifact; staged in a private directory (core.staging)."""
        path = names.check_path(name)
        if path in self._sources:
            raise ValidationError(f"artifact {self.name!r} already has a file at {path!r}")
        self._check_file_vs_dir(path)
        if self._staging is None:
            self._staging = staging.new_dir()
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._staging, True)
        target = self._staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = mode.replace("x", "w") if "x" in mode else mode
        if "b" not in mode and encoding is None:
            encoding = "utf-8"
        with open(target, mode, encoding=encoding) as handle:
            yield handle
        self._add_checked(path, os.fspath(target), overwrite=False)

    def remove(self, path: str) -> list[str]:
        """Remove the file at `path`, or every file under the directory `path`; -> the paths removed (a
        ValidationError when there is none)."""
        path = names.check_path(path)
        gone = [p for p in self._sources if p == path or p.startswith(path + "/")]
        if not gone:
            raise ValidationError(f"artifact {self.name!r} has no file or directory {path!r}")
        for p in gone:
            del self._sources[p]
            self._confined.pop(p, None)
        self._dirs = {parent for p in self._sources for parent in _parents(p)}
        return gone

    # -- reading ----------------------------------------------------------------------------------------------
    def sources(self) -> dict[str, Path]:
        """path inside the artifact -> file on disk, sorted by path."""
        return {path: Path(source) for path, source in sorted(self._sources.items())}

    def source_names(self) -> dict[str, str]:
        """As `sources()`, the files as absolute path strings (what logging thousands of files opens)."""
        return dict(sorted(self._sources.items()))

    def confinement(self, path: str) -> str | None:
        """The real directory a file added by `add_dir` must still resolve into when its bytes are read (a file
        swapped for a symlink leading elsewhere between `add_dir` and logging is refused then)."""
        return self._confined.get(path)

    def file_digests(self) -> dict[str, str]:
        return {path: cached_file_digest(src, self.alg) for path, src in self.source_names().items()}

    @property
    def digest(self) -> str:
        """The artifact's digest, equal to the wandb SDK's for the same files (hashes them now; cached)."""
        return manifest_digest(self.file_digests().items(), self.alg)

    @property
    def size(self) -> int:
        return sum(os.stat(src).st_size for src in self._sources.values())

    def is_staged(self, source: str | os.PathLike) -> bool:
        return self._staging is not None and names.is_within(os.fspath(source), os.fspath(self._staging))

    def cleanup(self) -> None:
        """Remove the private staging directory of `new_file` (done automatically once logged)."""
        if self._finalizer is not None:
            self._finalizer()

    # -- wandb interop ------------------------------------------------------------------------------------------
    @classmethod
    def from_wandb(cls, art) -> "Artifact":
        """Take over a `wandb.Artifact`: name, type, description, metadata, digest algorithm and files.
        `file://` references are copied in; any other reference scheme is refused naming the entry."""
        ours = cls(art.name.split(":")[0], art.type, description=art.description, metadata=dict(art.metadata or {}),
                   digest_algorithm=getattr(art, "digest_algorithm", "MD5") or "MD5")
        for path, entry in sorted(art.manifest.entries.items()):
            ref = getattr(entry, "ref", None)
            local = getattr(entry, "local_path", None)
            if ref:
                if not str(ref).startswith("file://"):
                    raise ValidationError(
                        f"wandb artifact {art.name!r} entry {path!r} references {ref!r}: only file:// references "
                        "can be stored offline")
                local = str(ref)[len("file://"):]
            if not local or not os.path.isfile(local):
                raise ValidationError(f"wandb artifact {art.name!r} entry {path!r} has no local file to take over")
            ours._add(path, os.fspath(Path(local).absolute()), overwrite=False)
        return ours

    @staticmethod
    def is_wandb(obj: object) -> bool:
        return type(obj).__module__.startswith("wandb.") and hasattr(obj, "manifest")


def _walk_files(top: str):
    """(path, path relative to `top` in POSIX form, is a symlink) of every file and symlink under `top`; symlinked
    directories are listed, not entered (as os.walk without followlinks), from one scandir per directory."""
    stack = [(top, "")]
    while stack:
        directory, rel = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_symlink():
                    yield entry.path, rel + entry.name, True
                elif entry.is_dir():
                    stack.append((entry.path, f"{rel}{entry.name}/"))
                elif entry.is_file():
                    yield entry.path, rel + entry.name, False


def coerce_for_logging(artifact, name: str | None, type_: str | None, aliases) -> tuple["Artifact", list[str]]:
    """What `log_artifact` was handed -> (a core Artifact, the aliases to apply). Takes a core or wandb Artifact, or
    a path (a file or a directory, named `name`, typed `type_`); "latest" is dropped (the store manages it)."""
    if isinstance(artifact, (str, os.PathLike)):
        path = Path(artifact)
        built = Artifact(name or path.name.replace(" ", "_"), type_ or "unspecified")
        (built.add_dir if path.is_dir() else built.add_file)(path)
        artifact = built
    elif Artifact.is_wandb(artifact):
        artifact = Artifact.from_wandb(artifact)
    elif not isinstance(artifact, Artifact):
        raise ValidationError(f"log_artifact takes a core.Artifact or wandb.Artifact, got {artifact.__class__.__name__}")
    if isinstance(aliases, str):
        aliases = [aliases]
    wanted = [a for a in dict.fromkeys(aliases or []) if a != "latest"]
    for alias in wanted:
        names.check_alias(alias)
    return artifact, wanted


def _parents(path: str) -> Iterator[str]:
    parent = path.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]
