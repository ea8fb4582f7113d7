"""`core.Image`: an image logged in a run's history (as `wandb.Image`), stored as a PNG under the store's media/.

Accepts a numpy array or torch tensor (HxW, HxWxC or CxHxW; floats in [0, 1] or any range, which is rescaled as
wandb does) or a PIL image. The TUI shows these in the terminal; `_type: image-file` rows point at the PNG.
"""

from __future__ import annotations

from typing import Any

from core.errors import ValidationError


class Image:
    def __init__(self, data: Any, caption: str | None = None, mode: str | None = None) -> None:
        if caption is not None and not isinstance(caption, str):
            caption = str(caption)
        self.caption = caption
        self._pil = _to_pil(data, mode)

    @property
    def width(self) -> int:
        return self._pil.width

    @property
    def height(self) -> int:
        return self._pil.height

    def save_png(self, path) -> None:
        from core.atomic import atomic_write

        with atomic_write(path, "wb", fsync=False) as handle:
            self._pil.save(handle, format="PNG")

    def to_row(self, relpath: str) -> dict:
        return {"_type": "image-file", "path": relpath, "caption": self.caption,
                "width": self.width, "height": self.height, "format": "png"}


def _to_pil(data: Any, mode: str | None):
    import numpy as np
    from PIL import Image as PILImage

    if isinstance(data, PILImage.Image):
        return data.convert(mode) if mode else data
    if hasattr(data, "detach"):  # a torch tensor, without importing torch
        data = data.detach().cpu().numpy()
    try:
        arr = np.asarray(data)
    except Exception as exc:
        raise ValidationError(f"cannot make an image of {type(data).__name__}") from exc
    while arr.ndim > 3 and arr.shape[0] == 1:  # a batch of one (1x1xHxW), as the tutorial logs
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
        arr = np.transpose(arr, (1, 2, 0))  # CxHxW -> HxWxC
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ValidationError(f"an image needs 2 or 3 dimensions (HxW, HxWxC, CxHxW); got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            arr = np.nan_to_num(arr)
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi > 1:
            arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        arr = (arr * 255).round().clip(0, 255).astype(np.uint8)
    return PILImage.fromarray(arr, mode=mode) if mode else PILImage.fromarray(arr)
