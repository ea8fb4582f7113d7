"""The objects `core.wandb_compat` hands out, shaped like the wandb SDK's: `Artifact`, `Image`, the logged or used
artifact (`LoggedArtifact`), `Api`, `Settings`, and the errors.

They wrap the embedded store's own objects so that a wandb script sees wandb's attribute names and return types
(`download()` returns a `str`, a logged artifact's `name` is "name:vN"), and so that any part of the SDK we do not
provide fails with `NotAvailableOfflineError` naming it instead of doing nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core import artifact as core_artifact
from core import media
from core.errors import ArtifactsError, ValidationError
from core.values import ArtifactVersion

SURFACE = ("init, run, config, summary, log, save, finish, Artifact (new_file, add_file, add_dir), use_artifact, "
           "log_artifact, Image and Api().artifact")


class Error(ArtifactsError):
    """Base of the errors wandb_compat raises; stands in for `wandb.Error`."""


class UsageError(Error):
    """Called in the wrong order, e.g. `wandb.log` before `wandb.init` (as the wandb SDK's own UsageError)."""


class NotAvailableOfflineError(Error, AttributeError):
    """A part of the wandb SDK that the offline store does not provide. An AttributeError too, so that
    `hasattr(wandb, "Table")` answers False instead of raising."""


def unavailable(feature: str) -> NotAvailableOfflineError:
    return NotAvailableOfflineError(
        f"{feature} is not available offline: artifacts-tui's wandb_compat provides {SURFACE}. "
        "Use the wandb SDK with a W&B server for it, or leave it out of the script.")


def _reject_unknown(owner: str, name: str) -> NotAvailableOfflineError | AttributeError:
    if name.startswith("__") and name.endswith("__"):  # protocol probes (copy, pickle, inspect) stay plain
        return AttributeError(f"{owner} has no attribute {name!r}")
    return unavailable(f"{owner}.{name}")


class Artifact(core_artifact.Artifact):
    """`wandb.Artifact(name, type, description=None, metadata=None, ...)`: new_file, add_file, add_dir, metadata,
    description and digest behave as in the SDK; the rest (add_reference, add, ...) raise."""

    def __init__(self, name: str, type: str, description: str | None = None, metadata: dict | None = None,
                 incremental: bool = False, use_as: str | None = None, storage_region: str | None = None) -> None:
        if incremental:
            raise unavailable("wandb.Artifact(incremental=True)")
        super().__init__(name, type, description=description, metadata=metadata)

    def __getattr__(self, name: str) -> Any:
        raise _reject_unknown("wandb.Artifact", name)


class Image(media.Image):
    """`wandb.Image(data_or_path, mode=None, caption=None, ...)`: a tensor, array, PIL image or image file."""

    def __init__(self, data_or_path: Any, mode: str | None = None, caption: str | None = None,
                 grouping: int | None = None, classes: Any = None, boxes: Any = None, masks: Any = None,
                 file_type: str | None = None, normalize: bool = True) -> None:
        for feature, value in (("boxes", boxes), ("masks", masks), ("classes", classes)):
            if value is not None:
                raise unavailable(f"wandb.Image({feature}=...)")
        if isinstance(data_or_path, (str, os.PathLike)):
            from PIL import Image as PILImage

            try:
                with PILImage.open(data_or_path) as opened:
                    data_or_path = opened.copy()
            except OSError as exc:
                raise ValidationError(f"cannot read image {os.fspath(data_or_path)!r}: {exc}") from None
        elif not hasattr(data_or_path, "getpixel"):  # an array or tensor, not a PIL image
            data_or_path = _array(data_or_path, normalize)
        super().__init__(data_or_path, caption=caption, mode=mode)  # file_type: always PNG, lossless


def _array(data: Any, normalize: bool) -> Any:
    """Drop leading size-1 dimensions (a 1x1xHxW tensor is one image, as the SDK's squeeze of trivial
    dimensions has it); with normalize=False take values as 0..255, as the SDK does."""
    import numpy as np

    if hasattr(data, "detach"):  # a torch tensor, without importing torch
        data = data.detach().cpu().numpy()
    arr = np.asarray(data)
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]
    if not normalize:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr


def artifact_root(version: ArtifactVersion) -> Path:
    """Where the SDK downloads a version by default: $WANDB_ARTIFACT_DIR (else ./artifacts)/name:vN, absolute."""
    return Path(os.path.abspath(os.environ.get("WANDB_ARTIFACT_DIR", os.path.join(".", "artifacts")))) / \
        version.qualified_name


class LoggedArtifact:
    """A committed version, as the SDK's `Artifact` returned by `use_artifact`, `log_artifact` and
    `Api().artifact`. `core_version` is the store's `core.ArtifactVersion`."""

    def __init__(self, version: ArtifactVersion) -> None:
        object.__setattr__(self, "core_version", version)

    def __repr__(self) -> str:
        return f"<Artifact {self.core_version.full_name}>"

    def _key(self) -> tuple[str, str]:
        return self.core_version.full_name, self.core_version.digest

    def __eq__(self, other: object) -> bool:  # the same version, also when read through another Store object
        return isinstance(other, LoggedArtifact) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __getattr__(self, name: str) -> Any:
        raise _reject_unknown("wandb.Artifact", name)

    def __setattr__(self, name: str, value: Any) -> None:  # e.g. `art.description = ...; art.save()`
        raise unavailable(f"changing wandb.Artifact.{name} of a logged version")

    @property
    def name(self) -> str:
        return self.core_version.qualified_name

    source_name = name

    @property
    def version(self) -> str:
        return self.core_version.version

    @property
    def project(self) -> str:
        return self.core_version.project

    @property
    def type(self) -> str:
        return self.core_version.type

    @property
    def description(self) -> str | None:
        return self.core_version.description

    @property
    def metadata(self) -> dict:
        return dict(self.core_version.metadata)

    @property
    def aliases(self) -> list[str]:
        return list(self.core_version.aliases)

    @property
    def digest(self) -> str:
        return self.core_version.digest

    @property
    def size(self) -> int:
        return self.core_version.size

    @property
    def created_at(self):
        return self.core_version.created_at

    def download(self, root: str | os.PathLike | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None, multipart: bool | None = None) -> str:
        """Copy the files to `root` (default ./artifacts/name:vN) and return that directory, as a str."""
        if path_prefix is not None:
            raise unavailable("wandb.Artifact.download(path_prefix=...)")
        target = Path(root) if root is not None else artifact_root(self.core_version)
        return str(self.core_version.download(target))

    def file(self, root: str | os.PathLike | None = None) -> str:
        """Download a single-file artifact and return the file's path."""
        files = self.core_version.files()
        if len(files) != 1:
            raise ValidationError(f"{self.core_version.full_name} holds {len(files)} files; file() needs exactly "
                                  "one: use download()")
        return os.path.join(self.download(root), files[0].path)

    def wait(self, timeout: int | None = None) -> "LoggedArtifact":
        return self  # logging is synchronous here: the version is committed already


def wrap(version: ArtifactVersion) -> LoggedArtifact:
    return LoggedArtifact(version)


def unwrap(obj: Any) -> Any:
    return obj.core_version if isinstance(obj, LoggedArtifact) else obj


class Api:
    """`wandb.Api()` for reading outside a run: only `artifact(...)`. A reference without a project uses
    `overrides["project"]`, else $WANDB_PROJECT, else "uncategorized" (the SDK's defaults)."""

    def __init__(self, overrides: dict | None = None, timeout: int | None = None, api_key: str | None = None,
                 *, store=None) -> None:
        self._overrides = dict(overrides or {})
        self._store_arg = store
        self._opened = None

    def __getattr__(self, name: str) -> Any:
        raise _reject_unknown("wandb.Api()", name)

    @property
    def store(self):
        if self._opened is None:
            from core.store import Store, open_store

            arg = self._store_arg
            self._opened = arg if isinstance(arg, Store) else open_store(arg)
        return self._opened

    @property
    def default_project(self) -> str:
        return self._overrides.get("project") or os.environ.get("WANDB_PROJECT") or "uncategorized"

    def artifact(self, name: str, type: str | None = None) -> LoggedArtifact:
        """"project/name:alias", "entity/project/name:alias", or "name:alias" in the default project."""
        version = self.store.artifact(name, project=self.default_project)
        if type is not None and version.type != type:
            raise ValidationError(f"{version.full_name} is of type {version.type!r}, not {type!r}")
        return wrap(version)


class Settings:
    """Accepted so that `wandb.init(settings=wandb.Settings(...))` runs; no setting changes anything offline."""

    def __init__(self, **settings: Any) -> None:
        self.__dict__.update(settings)
