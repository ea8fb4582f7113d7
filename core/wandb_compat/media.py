"""`wandb.Image` and `wandb.Table`, and how such objects go into an artifact and come back out of one.

Inside an artifact an object is stored exactly as the wandb SDK stores it: `art.add(table, "preds")` writes
`preds.table.json` and the images it holds under `media/images/<hash>.png`, so that a later sync, or the SDK's own
`Table.from_json`, reads the files. The layout is the SDK's own, not a copy of it: the SDK's object serializes itself
into a throwaway SDK artifact (`wandb.Artifact` builds offline, no run, no process), and the files it wrote are
taken over. `Table` is the SDK's `wandb.Table` (its column types, `add_data` type checks, `get_column`,
`get_dataframe` where pandas is installed), made when first named so that importing `core.wandb_compat` loads
no wandb; our `Image` (a `core.Image`, logged by `run.log` into the store's media) becomes the SDK's `wandb.Image`
when it goes into a table or an artifact.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from core import media
from core.errors import ValidationError
from core.wandb_compat.errors import unavailable


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

    @property
    def image(self):
        """The PIL image, as the SDK's `wandb.Image.image`."""
        return self._pil

    def to_sdk(self):
        """This image as the SDK's `wandb.Image` (what a table or an artifact stores)."""
        return sdk().Image(self._pil, caption=self.caption)


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


def sdk():
    """The wandb SDK module, imported when an object first needs it (a second or so, once per process)."""
    import wandb

    return wandb


def is_sdk_value(obj: Any) -> bool:
    """A wandb SDK data type (`wandb.Table`, `wandb.Image`, ...), without importing wandb to ask."""
    return type(obj).__module__.startswith("wandb.") or isinstance(obj, table_class_if_made())


def to_sdk(value: Any) -> Any:
    """Our Image as the SDK's; anything else unchanged."""
    return value.to_sdk() if isinstance(value, Image) else value


def from_sdk_image(value: Any) -> Any:
    """An SDK `wandb.Image` (read back from an artifact) as ours, so that `run.log` stores it; else unchanged."""
    if type(value).__module__.startswith("wandb.") and type(value).__name__ == "Image":
        return Image(value.image, caption=getattr(value, "_caption", None))
    return value


_made: list[type] = []


def table_class_if_made() -> tuple[type, ...]:
    return tuple(_made)


@functools.cache
def table_class() -> type:
    """`wandb.Table`: the SDK's own class, taking our `Image` in its cells."""
    wandb = sdk()

    class Table(wandb.Table):
        __doc__ = wandb.Table.__doc__

        def add_data(self, *data: Any) -> None:
            super().add_data(*[to_sdk(v) for v in data])

        def add_column(self, name: Any, data: Any, optional: bool = False) -> None:
            super().add_column(name, [to_sdk(v) for v in data], optional)

    Table.__module__ = "core.wandb_compat"
    Table.__qualname__ = "Table"
    _made.append(Table)
    return Table


ALLOWED = ("Table", "Image", "Audio", "Video", "Html", "Object3D", "Molecule", "Bokeh", "Classes", "ImageMask",
           "BoundingBoxes2D", "JoinedTable", "PartitionedTable")


def serialize(obj: Any, name: str) -> tuple[str, dict[str, str], list[str]]:
    """Store `obj` as the SDK would at `name` inside an artifact -> (its path, e.g. "preds.table.json",
    {path inside the artifact: staged file} of every file that takes (the JSON and the media it refers to), and
    the SDK's staged copies to delete once they are taken)."""
    from wandb.sdk.artifacts.staging import get_staging_dir

    wandb = sdk()
    value = to_sdk(obj)
    allowed = tuple(getattr(wandb, n) for n in ALLOWED if hasattr(wandb, n))
    if not isinstance(value, allowed):
        raise TypeError(f"Found object of type {obj.__class__}, expected one of: {allowed}")
    _detach(value)
    staging = get_staging_dir()
    before = set(os.listdir(staging)) if os.path.isdir(staging) else set()
    scratch = wandb.Artifact("wandb-compat-staging", "staging")
    try:
        entry = scratch.add(value, name)
    finally:
        created = [os.path.join(staging, f) for f in set(os.listdir(staging)) - before] \
            if os.path.isdir(staging) else []
    staged = {path: e.local_path for path, e in scratch.manifest.entries.items()}
    if getattr(value, "_artifact_target", None) is not None and value._artifact_target.artifact is scratch:
        value._artifact_target = None  # the throwaway artifact is no target of the object's later logging
    return entry.path, staged, created


def _detach(value: Any) -> None:
    """Objects read from an artifact (the images of a table got by `art.get`) are copied into the new one, not
    referenced: an SDK reference to another artifact resolves through a server. The store keeps one blob of
    equal bytes all the same."""
    if getattr(value, "_artifact_source", None) is not None:
        value._artifact_source = None
    for row in getattr(value, "data", None) if isinstance(value, sdk().Table) else ():
        for cell in row:
            if getattr(cell, "_artifact_source", None) is not None:
                cell._artifact_source = None


def object_path(paths, name: str) -> tuple[str, type] | None:
    """The file that `art.get(name)` reads: `name` itself or `name.<type>.json`, and the SDK class to read it."""
    from wandb.sdk.data_types.base_types.wb_value import WBValue

    for cls in WBValue.type_mapping().values():
        candidate = cls.with_suffix(name)
        if candidate in paths:
            return candidate, cls
    return None


def deserialize(cls: type, json_obj: dict, source: Any) -> Any:
    """The object of an artifact's JSON file: `cls.from_json`, as the SDK's `Artifact.get` does; a table is ours."""
    if cls is sdk().Table:
        cls = table_class()
    return cls.from_json(json_obj, source)
