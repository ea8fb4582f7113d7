"""`wandb.Artifact` over the embedded store: one object from draft to logged version, as in the SDK.

A draft (`wandb.Artifact(name, type)`) collects files and objects (`add_file`, `add_dir`, `new_file`, `add`,
`art[name] = obj`). Once logged (`run.log_artifact(art)`, `art.save()`) the same object is that version:
`art.wait()` returns it, `art.name` is "name:vN", `art.version`, `art.id`, `art.aliases`, `art.qualified_name`,
`art.manifest` read as the SDK's, and reading (`get`, `get_entry`, `download`, `file`, `checkout`, `verify`,
`logged_by`, `used_by`), editing (`description`, `metadata`, `aliases`, `tags`, then `save()`) and linking
(`link`, `unlink`) work offline. `use_artifact` and `Api().artifact` hand out the same class. A logged-only
property read on a draft is the SDK's `ArtifactNotLoggedError`; a draft-only method on a logged version the SDK's
`ArtifactFinalizedError`; an unknown attribute `NotAvailableOfflineError` naming it.

Decisions:
- The entity, which the store does not have: $WANDB_ENTITY, else the `entity` given to `init`, else the login name.
  References that name one ("entity/project/name:v0") are read without it.
- `art.id` is the SDK's form of a version id: base64 of "Artifact:<number>".
- `download()` returns an absolute path ($WANDB_ARTIFACT_DIR, else ./artifacts, then name:vN); `file()` with no
  root returns "./artifacts/name:vN/<file>", relative, both as the SDK does.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from core import artifact as core_artifact
from core import names
from core.errors import ValidationError
from core.hashing import cached_file_digest, hash_file, manifest_digest
from core.values import ArtifactVersion, Link
from core.wandb_compat import media
from core.wandb_compat.errors import finalized, not_logged, reject_unknown, unavailable

_entity_from_init: list[str] = []


def remember_entity(entity: str) -> None:
    _entity_from_init.append(str(entity))


def default_entity() -> str:
    """The entity offline: $WANDB_ENTITY, else the last `init(entity=...)`, else the login name."""
    if os.environ.get("WANDB_ENTITY"):
        return os.environ["WANDB_ENTITY"]
    if _entity_from_init:
        return _entity_from_init[-1]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def artifact_dir() -> Path:
    """$WANDB_ARTIFACT_DIR, else ./artifacts, absolute (the SDK's `env.get_artifact_dir`)."""
    return Path(os.path.abspath(os.environ.get("WANDB_ARTIFACT_DIR", os.path.join(".", "artifacts"))))


def artifact_root(version: ArtifactVersion) -> Path:
    """Where the SDK downloads a version by default: $WANDB_ARTIFACT_DIR (else ./artifacts)/name:vN."""
    return artifact_dir() / version.qualified_name


def version_id(version: ArtifactVersion) -> str:
    return base64.b64encode(f"Artifact:{version.id}".encode()).decode()


def parse_target(target_path: str, project: str) -> tuple[str, str]:
    """A link target as the SDK writes it: "collection", "project/collection", "entity/project/collection", or a
    registry's "wandb-registry-NAME/collection" (also "org/wandb-registry-NAME/collection") -> (project, name)."""
    if not isinstance(target_path, str) or not target_path or ":" in target_path:
        raise ValueError(f"link target {target_path!r} must be 'project/collection' (no ':alias')")
    parts = target_path.split("/")
    if len(parts) > 3 or not all(parts):
        raise ValueError(f"link target {target_path!r} must be 'entity/project/collection'")
    if len(parts) >= 2:
        project = parts[-2]
    return names.check_project(project), names.check_artifact_name(parts[-1])


def _current_run():
    from core import wandb_compat

    return wandb_compat.run


class ManifestEntry:
    """One file of an artifact, as the SDK's `ArtifactManifestEntry`: path, digest, size (and local_path for a
    draft's file); `download(root)` copies it out of the store and returns its path."""

    def __init__(self, artifact: "Artifact", path: str, digest: str, size: int, local_path: str | None = None):
        self._artifact = artifact
        self.path, self.digest, self.size, self.local_path = path, digest, size, local_path
        self.ref = None
        self.extra: dict = {}
        self.birth_artifact_id = artifact.id if not artifact.is_draft() else None

    def __repr__(self) -> str:
        return f"ArtifactManifestEntry(path={self.path!r}, digest={self.digest!r}, size={self.size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ManifestEntry) and (other.path, other.digest, other.size) == (
            self.path, self.digest, self.size)

    def __hash__(self) -> int:
        return hash((self.path, self.digest))

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.ArtifactManifestEntry", name)

    def parent_artifact(self) -> "Artifact":
        return self._artifact

    def download(self, root: str | os.PathLike | None = None, skip_cache: bool | None = None,
                 executor: Any = None) -> str:
        """Copy this file to `root` (default: the artifact's download root); -> the file's path."""
        return self._artifact._download_paths(root, [self.path], os.path.join)


class Manifest:
    """The SDK's `ArtifactManifest`: `entries` (path -> entry), `to_manifest_json()`, `digest()`."""

    def __init__(self, entries: dict[str, ManifestEntry], alg: str) -> None:
        self.entries = entries
        self._alg = alg

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"ArtifactManifestV1({len(self.entries)} entries)"

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.ArtifactManifest", name)

    def get_entry_by_path(self, path: str) -> ManifestEntry | None:
        return self.entries.get(path)

    def get_entries_in_directory(self, directory: str) -> list[ManifestEntry]:
        prefix = directory.rstrip("/") + "/"
        return [e for p, e in self.entries.items() if p.startswith(prefix)]

    def digest(self) -> str:
        return manifest_digest(((p, e.digest) for p, e in sorted(self.entries.items())), self._alg)

    def to_manifest_json(self) -> dict:
        policy = {"storageLayout": "V2"}
        if self._alg != "md5":
            policy["digestAlgorithm"] = self._alg
        return {"version": 1, "storagePolicy": "wandb-storage-policy-v1", "storagePolicyConfig": policy,
                "contents": {p: {"digest": e.digest, "size": e.size} for p, e in sorted(self.entries.items())}}


class ArtifactFile:
    """A file of a logged artifact as `artifact.files()` lists it (the SDK's public `File`)."""

    def __init__(self, entry: ManifestEntry) -> None:
        self._entry = entry
        self.name, self.size, self.digest = entry.path, entry.size, entry.digest
        self.md5 = entry.digest

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.size} bytes)>"

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.File", name)

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False) -> IO:
        """Write the file under `root` and return it opened for reading, as the SDK's `File.download`."""
        target = os.path.join(root, self.name)
        if os.path.exists(target) and not (replace or exist_ok):
            raise ValueError("File already exists, pass replace=True to overwrite or exist_ok=True to leave it "
                             "as is and don't error.")
        if replace or not os.path.exists(target):
            self._entry.download(root)
        return open(target)


class Artifact:
    """`wandb.Artifact(name, type, description=None, metadata=None, incremental=False, ...)`."""

    def __init__(self, name: str, type: str, description: str | None = None, metadata: dict | None = None,
                 incremental: bool = False, use_as: str | None = None, storage_region: str | None = None) -> None:
        if incremental:
            raise unavailable("wandb.Artifact(incremental=True)")
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"Cannot parse {type_name(metadata)} as artifact metadata")
        self._draft: core_artifact.Artifact | None = core_artifact.Artifact(
            name, type, description=description, metadata=metadata)
        self._store: Any = None
        self._version: ArtifactVersion | None = None
        self._link: Link | None = None
        self._added_objs: dict[int, tuple[Any, ManifestEntry]] = {}
        self._added_local: dict[str, ManifestEntry] = {}
        self._download_roots: set[str] = set()
        self._final = False

    @classmethod
    def from_version(cls, store: Any, version: ArtifactVersion, link: Link | None = None) -> "Artifact":
        """A committed version (or a link of one) of `store`, as the SDK's logged Artifact."""
        art = cls.__new__(cls)
        art._draft, art._added_objs, art._added_local, art._download_roots = None, {}, {}, set()
        art._attach(store, version, link)
        return art

    @classmethod
    def from_core_draft(cls, draft: core_artifact.Artifact) -> "Artifact":
        """A draft around a `core.Artifact` (what an SDK `wandb.Artifact` is taken over as)."""
        art = cls.__new__(cls)
        art._draft, art._store, art._version, art._link, art._final = draft, None, None, None, False
        art._added_objs, art._added_local, art._download_roots = {}, {}, set()
        return art

    def core_draft(self) -> core_artifact.Artifact:
        """The `core.Artifact` a draft builds (what the store logs)."""
        if self._draft is None:
            raise finalized("Artifact.log", self)
        return self._draft

    @property
    def core_version(self) -> ArtifactVersion | None:
        """The store's `core.ArtifactVersion` of a logged artifact (the linked version, for a link)."""
        return self._version

    @property
    def store(self) -> Any:
        """The store a logged artifact is in (None for a draft)."""
        return self._store

    def attach(self, store: Any, version: ArtifactVersion, link: Link | None = None) -> None:
        """Become `version` of `store` (what logging a draft does to it)."""
        self._attach(store, version, link)

    def _attach(self, store: Any, version: ArtifactVersion, link: Link | None = None) -> None:
        self._store, self._version, self._link, self._draft, self._final = store, version, link, None, True
        self._aliases = list(link.aliases if link is not None else version.aliases)
        self._saved_aliases = list(self._aliases)
        self._tags = list(version.tags)
        self._saved_tags = list(self._tags)
        self._description = version.description
        self._metadata = dict(version.metadata)

    def __repr__(self) -> str:
        return f"<Artifact {self.name}>" if self.is_draft() else f"<Artifact {self.project}/{self.name}>"

    def _key(self) -> tuple:
        if self._version is None:
            return (id(self),)
        return (self._version.full_name, self._version.digest, None if self._link is None else self._link.full_name)

    def __eq__(self, other: object) -> bool:  # the same version, also when read through another Store object
        return isinstance(other, Artifact) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __getattr__(self, name: str) -> Any:
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):  # a property that raised AttributeError (not logged yet): raise it again
            return prop.__get__(self)
        raise reject_unknown("wandb.Artifact", name)

    # -- state --------------------------------------------------------------------------------------------------
    def is_draft(self) -> bool:
        return self._version is None

    @property
    def state(self) -> str:
        return "PENDING" if self.is_draft() else "COMMITTED"

    def finalize(self) -> None:
        self._final = True

    def _logged(self, feature: str) -> ArtifactVersion:
        if self._version is None:
            raise not_logged(f"Artifact.{feature}", self)
        return self._version

    def _drafting(self, feature: str) -> core_artifact.Artifact:
        if self._draft is None or self._final:
            raise finalized(f"Artifact.{feature}", self)
        return self._draft

    def wait(self, timeout: int | None = None) -> "Artifact":
        """Logging is synchronous here: a logged artifact is committed already."""
        self._logged("wait")
        return self

    # -- identity -------------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        if self._version is None:
            return self._draft.name
        return self._link.qualified_name if self._link is not None else self._version.qualified_name

    @property
    def type(self) -> str:
        return self._draft.type if self._version is None else self._version.type

    @property
    def id(self) -> str | None:
        return None if self._version is None else version_id(self._version)

    @property
    def version(self) -> str:
        version = self._logged("version")
        return f"v{self._link.index}" if self._link is not None else version.version

    @property
    def entity(self) -> str:
        self._logged("entity")
        return default_entity()

    @property
    def project(self) -> str:
        version = self._logged("project")
        return self._link.project if self._link is not None else version.project

    @property
    def qualified_name(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"

    @property
    def source_name(self) -> str:
        return self._draft.name if self._version is None else self._version.qualified_name

    @property
    def source_version(self) -> str:
        return self._logged("source_version").version

    @property
    def source_project(self) -> str:
        return self._logged("source_project").project

    @property
    def source_entity(self) -> str:
        self._logged("source_entity")
        return default_entity()

    @property
    def source_qualified_name(self) -> str:
        return f"{self.source_entity}/{self.source_project}/{self.source_name}"

    @property
    def is_link(self) -> bool:
        return self._link is not None

    @property
    def source_artifact(self) -> "Artifact":
        version = self._logged("source_artifact")
        return self if self._link is None else Artifact.from_version(self._store, version)

    @property
    def linked_artifacts(self) -> list["Artifact"]:
        version = self._logged("linked_artifacts")
        if self._link is not None:
            return []
        return [Artifact.from_version(self._store, link.version, link) for link in self._store.version_links(version)]

    @property
    def collection(self):
        from core.wandb_compat.api import ArtifactCollection

        self._logged("collection")
        return ArtifactCollection(self._store, self.project, self.name.split(":")[0], self.type)

    @property
    def source_collection(self):
        from core.wandb_compat.api import ArtifactCollection

        version = self._logged("source_collection")
        return ArtifactCollection(self._store, version.project, version.name, version.type)

    @property
    def created_at(self) -> str:
        return _time(self._logged("created_at").created_at)

    @property
    def updated_at(self) -> str:
        return self.created_at

    @property
    def url(self) -> str:
        raise unavailable("wandb.Artifact.url")

    @property
    def ttl(self) -> None:
        return None

    @ttl.setter
    def ttl(self, value: Any) -> None:
        if value is not None:
            raise unavailable("wandb.Artifact.ttl")

    # -- contents -----------------------------------------------------------------------------------------------
    @property
    def digest(self) -> str:
        return self._draft.digest if self._version is None else self._version.digest

    @property
    def size(self) -> int:
        return self._draft.size if self._version is None else self._version.size

    @property
    def file_count(self) -> int:
        return len(self._draft.sources()) if self._version is None else self._version.file_count

    @property
    def digest_algorithm(self) -> str:
        return (self._draft.alg if self._version is None else self._version.alg).upper()

    @property
    def manifest(self) -> Manifest:
        if self._version is None:
            draft = self._draft
            entries = {path: ManifestEntry(self, path, cached_file_digest(src, draft.alg), os.stat(src).st_size,
                                           str(src)) for path, src in draft.sources().items()}
            return Manifest(entries, draft.alg)
        return Manifest({f.path: ManifestEntry(self, f.path, f.digest, f.size) for f in self._version.files()},
                        self._version.alg)

    def files(self, names: list[str] | None = None, per_page: int = 50, start: str | None = None) -> list[ArtifactFile]:
        entries = self._logged_manifest("files").entries
        return [ArtifactFile(e) for p, e in entries.items() if names is None or p in names]

    def _logged_manifest(self, feature: str) -> Manifest:
        self._logged(feature)
        return self.manifest

    # -- description, metadata, aliases, tags: set on a draft, or on a version and then save() ------------------
    @property
    def description(self) -> str | None:
        return self._draft.description if self._version is None else self._description

    @description.setter
    def description(self, value: str | None) -> None:
        names.check_text(value, "description")
        if self._version is None:
            self._draft.description = value
        else:
            self._description = value

    @property
    def metadata(self) -> dict:
        return self._draft.metadata if self._version is None else self._metadata

    @metadata.setter
    def metadata(self, value: dict) -> None:
        if value is not None and not isinstance(value, dict):
            raise TypeError(f"Cannot parse {type_name(value)} as artifact metadata")
        cleaned = names.check_metadata(value)
        if self._version is None:
            self._draft.metadata = cleaned
        else:
            self._metadata = cleaned

    @property
    def aliases(self) -> list[str]:
        self._logged("aliases")
        return self._aliases

    @aliases.setter
    def aliases(self, value: Iterable[str]) -> None:
        self._logged("aliases")
        value = [value] if isinstance(value, str) else list(value)
        for alias in value:
            if alias != "latest":
                names.check_alias(alias)
        self._aliases = value

    @property
    def tags(self) -> list[str]:
        self._logged("tags")
        return self._tags

    @tags.setter
    def tags(self, value: Iterable[str]) -> None:
        self._logged("tags")
        self._tags = names.check_tags(value)

    def save(self, project: str | None = None, settings: Any = None) -> None:
        """A draft: log it (in the current run, else in a run of job type "auto"). A logged version: store the
        changed description, metadata, aliases and tags."""
        if self._version is not None:
            self._update()
            return
        run = _current_run()
        if run is not None:
            run.log_artifact(self)
            return
        from core import wandb_compat

        with wandb_compat.init(project=project, job_type="auto", reinit="create_new") as auto:
            auto.log_artifact(self)

    def _update(self) -> None:
        store, version = self._store, self._version
        wanted = list(dict.fromkeys(self._aliases))
        if self._link is not None:
            self._link = store.set_link_aliases(self._link, wanted)
        else:
            for alias in [a for a in wanted if a not in self._saved_aliases]:
                if alias != "latest" or "latest" not in version.aliases:
                    store.add_alias(version, alias)
            for alias in [a for a in self._saved_aliases if a not in wanted]:
                store.remove_alias(version, alias)
        version = store.update_version(version, description=self._description, metadata=self._metadata,
                                       tags=self._tags)
        link = None if self._link is None else store.link(self._link.full_name)
        self._attach(store, version, link)

    # -- building a draft -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO]:
        with self._drafting("new_file").new_file(name, mode=mode, encoding=encoding) as handle:
            yield handle

    def add_file(self, local_path: str | os.PathLike, name: str | None = None, is_tmp: bool | None = False,
                 skip_cache: bool | None = False, policy: str | None = "mutable",
                 overwrite: bool = False) -> ManifestEntry:
        draft = self._drafting("add_file")
        if not os.path.isfile(local_path):
            raise ValueError(f"Path is not a file: {os.fspath(local_path)!r}")
        if is_tmp:  # the SDK names a temporary file by its content: <hex digest[:20]>.<extensions>
            folder, _, file_name = (name or os.path.basename(local_path)).rpartition("/")
            parts = file_name.split(".")
            parts[0] = base64.b64decode(cached_file_digest(local_path, draft.alg)).hex()[:20]
            name = f"{folder}/{'.'.join(parts)}" if folder else ".".join(parts)
        draft.add_file(local_path, name=name, overwrite=overwrite)
        path = names.check_path(name if name is not None else Path(local_path).name)
        entry = self._draft_entry(path)
        self._added_local[os.fspath(local_path)] = entry
        return entry

    def add_dir(self, local_path: str | os.PathLike, name: str | None = None, skip_cache: bool | None = False,
                policy: str | None = "mutable", merge: bool = False) -> None:
        if not os.path.isdir(local_path):
            raise ValueError(f"Path is not a directory: {os.fspath(local_path)!r}")
        self._drafting("add_dir").add_dir(local_path, name=name, merge=merge)

    def add_reference(self, uri: Any, name: str | None = None, checksum: bool = True,
                      max_objects: int | None = None) -> list[ManifestEntry]:
        """A `file://` reference is copied in (its bytes are what the version holds); any other scheme needs
        its server, and is not available offline."""
        self._drafting("add_reference")
        uri = str(uri)
        if not uri.startswith("file://"):
            raise unavailable("wandb.Artifact.add_reference")
        local = uri[len("file://"):]
        if os.path.isdir(local):
            before = set(self._draft.sources())
            self.add_dir(local, name=name)
            return [self._draft_entry(p) for p in sorted(set(self._draft.sources()) - before)]
        return [self.add_file(local, name=name)]

    def remove(self, item: str | ManifestEntry) -> None:
        path = item.path if isinstance(item, ManifestEntry) else str(item)
        try:
            self._drafting("remove").remove(path)
        except ValidationError:
            raise FileNotFoundError(f"No such file or directory: {path}") from None

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ManifestEntry:
        """Store a wandb object (`wandb.Table`, `wandb.Image`, ...) at `name` in the SDK's own layout:
        `name.table.json` and the media it refers to under `media/...`."""
        draft = self._drafting("add")
        if id(obj) in self._added_objs:
            return self._added_objs[id(obj)][1]
        path, staged, created = media.serialize(obj, names.check_path(name))
        try:
            if path in draft.sources() and not overwrite:
                return self._draft_entry(path)
            for inner, local in sorted(staged.items()):
                self._take(inner, local, replace=overwrite or inner != path)
        finally:
            for local in created:  # the SDK's staged copies: ours are taken by now
                with contextlib.suppress(OSError):
                    os.remove(local)
        entry = self._draft_entry(path)
        self._added_objs[id(obj)] = (obj, entry)
        return entry

    def __setitem__(self, name: str, obj: Any) -> ManifestEntry:
        return self.add(obj, name)

    def _take(self, path: str, local: str, replace: bool) -> None:
        """The file an SDK object staged becomes `path` of the draft (a media file added twice is one file)."""
        draft = self._draft
        existing = draft.sources().get(path)
        if existing is not None:
            if cached_file_digest(existing, draft.alg) == cached_file_digest(local, draft.alg):
                return
            if not replace:
                raise ValueError(f"Cannot add the same path twice: {path!r}")
            draft.remove(path)
        with draft.new_file(path, mode="wb") as handle, open(local, "rb") as source:
            shutil.copyfileobj(source, handle)

    def _draft_entry(self, path: str) -> ManifestEntry:
        source = self._draft.sources()[path]
        return ManifestEntry(self, path, cached_file_digest(source, self._draft.alg), os.stat(source).st_size,
                             str(source))

    def get_added_local_path_name(self, local_path: str) -> str | None:
        entry = self._added_local.get(local_path)
        return None if entry is None else entry.path

    # -- reading a logged version ---------------------------------------------------------------------------------
    def get_entry(self, name: str | os.PathLike) -> ManifestEntry:
        entries = self._logged_manifest("get_entry").entries
        path = str(name)
        entry = entries.get(path)
        if entry is None:
            found = media.object_path(entries, path)
            entry = entries[found[0]] if found else None
        if entry is None:
            raise KeyError(f"Path not contained in artifact: {path}")
        return entry

    def get_path(self, name: str | os.PathLike) -> ManifestEntry:
        """Deprecated in the SDK for `get_entry(name)`; the same."""
        return self.get_entry(name)

    def get(self, name: str) -> Any:
        """The wandb object stored at `name` (`art.add(table, "preds")` -> `art.get("preds")`), or None."""
        entries = self._logged_manifest("get").entries
        found = media.object_path(entries, str(name))
        if found is None:
            return None
        path, cls = found
        if cls is media.sdk().Table:  # as the SDK: a table's media come along in one download
            self.download()
        with open(entries[path].download(), encoding="utf-8") as handle:
            json_obj = json.load(handle)
        return media.deserialize(cls, json_obj, self)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def _default_root(self, include_version: bool = True) -> str:
        version = self._logged("download")
        return str(artifact_dir() / (version.qualified_name if include_version else version.name))

    def _download_paths(self, root: Any, paths: list[str] | None, result=lambda root, _paths: root) -> str:
        version = self._logged("download")
        root = os.fspath(root) if root is not None else self._default_root()
        self._download_roots.add(os.path.abspath(root))
        self._store.download_version(version, root, paths=paths)
        return result(root, *(paths or [""])[:1])

    def download(self, root: str | os.PathLike | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None, multipart: bool | None = None) -> str:
        """Copy the files (those whose path starts with `path_prefix`) to `root`, default
        ./artifacts/name:vN; -> that directory."""
        paths = None
        if path_prefix is not None:
            prefix = str(path_prefix)
            paths = [f.path for f in self._logged("download").files() if f.path.startswith(prefix)]
        return self._download_paths(root, paths)

    def checkout(self, root: str | None = None) -> str:
        """Make `root` (default ./artifacts/name) hold exactly this version's files: others are deleted."""
        root = root or self._default_root(include_version=False)
        entries = self._logged_manifest("checkout").entries
        for dirpath, _, files in os.walk(root):
            for file in files:
                full = os.path.join(dirpath, file)
                if Path(os.path.relpath(full, root)).as_posix() not in entries:
                    os.remove(full)
        return self.download(root=root)

    def verify(self, root: str | None = None) -> None:
        """Check that `root` (default ./artifacts/name:vN) holds exactly this version's files, re-hashing each;
        ValueError otherwise, as the SDK."""
        root = root or self._default_root()
        manifest = self._logged_manifest("verify")
        for dirpath, _, files in os.walk(root):
            for file in files:
                full = os.path.join(dirpath, file)
                if Path(os.path.relpath(full, root)).as_posix() not in manifest.entries:
                    raise ValueError(f"Found file {full} which is not a member of artifact {self.name}")
        for path, entry in manifest.entries.items():
            if hash_file(os.path.join(root, path), manifest._alg) != entry.digest:
                raise ValueError(f"Digest mismatch for file: {path}")

    def file(self, root: str | None = None) -> str:
        """Download a single-file artifact; -> the file's path ("./artifacts/name:vN/<file>" by default)."""
        entries = self._logged_manifest("file").entries
        if root is None:
            root = os.path.join(".", "artifacts", self.name)
        if len(entries) > 1:
            raise ValueError("This artifact contains more than one file, call `.download()` to get all files or "
                             'call .get_entry("filename").download()')
        return self.get_entry(next(iter(entries))).download(root)

    def logged_by(self):
        from core.wandb_compat.api import Run

        info = self._logged("logged_by").logged_by()
        return None if info is None else Run(self._store, info)

    def used_by(self) -> list:
        from core.wandb_compat.api import Run

        return [Run(self._store, info) for info in self._logged("used_by").used_by()]

    # -- links ---------------------------------------------------------------------------------------------------
    def link(self, target_path: str, aliases: Iterable[str] | None = None) -> "Artifact":
        """Link this version into a collection ("project/collection", a registry's
        "wandb-registry-model/collection"); -> the linked artifact (`collection:vN`, `is_link`)."""
        if self._version is None:
            self.save()
        run = _current_run()
        default = os.environ.get("WANDB_PROJECT") or (run.project if run is not None else None) or "uncategorized"
        project, collection = parse_target(target_path, default)
        if isinstance(aliases, str):
            aliases = [aliases]
        run_id = run.id if run is not None and run.store is self._store else None
        link = self._store.link_version(self._version, project, collection, list(aliases or ()), run_id=run_id)
        return Artifact.from_version(self._store, link.version, link)

    def unlink(self) -> None:
        self._logged("unlink")
        if self._link is None:
            raise ValueError(f"Artifact {self.qualified_name!r} is not a linked artifact and cannot be unlinked.  "
                             "To delete it, use 'delete' instead.")
        self._store.unlink(self._link)

    def delete(self, delete_aliases: bool = False) -> None:
        raise unavailable("wandb.Artifact.delete")

    def json_encode(self) -> dict[str, Any]:
        version = self._logged("json_encode")
        return {"id": self.id, "version": self.version, "sequenceName": version.name,
                "usedAs": None, "_type": "artifactVersion"}


def type_name(value: Any) -> str:
    return str(type(value))


def _time(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def coerce(artifact_or_path: Any, name: str | None, type: str | None, run_id: str) -> Any:
    """What `log_artifact` / `use_artifact` was handed -> our Artifact, or an SDK `wandb.Artifact` (taken over by
    the store as is). A path becomes an artifact named `run-<run id>-<basename>` of type `type` or
    "unspecified", as the SDK names it."""
    if isinstance(artifact_or_path, (str, os.PathLike)):
        path = os.fspath(artifact_or_path)
        base = os.path.basename(path.rstrip("/")) or "root"
        art = Artifact(name or f"run-{run_id}-{base}", type or "unspecified")
        if path.startswith("file://"):
            art.add_reference(path)
        elif os.path.isfile(path):
            art.add_file(path)
        elif os.path.isdir(path):
            art.add_dir(path)
        elif "://" in path:
            raise unavailable(f"wandb.Run.log_artifact({path.split('://')[0]}://...)")
        else:
            raise ValueError("path must be a file, directory or externalreference like s3://bucket/path")
        return art
    if isinstance(artifact_or_path, Artifact) or core_artifact.Artifact.is_wandb(artifact_or_path):
        return artifact_or_path
    raise TypeError("You must pass an instance of wandb.Artifact or a valid file path to log_artifact")
