"""Model weights in and out of artifacts, and the checks that run before any batch is trained.

Weights are written through the one atomic-write helper and read back only as plain tensors (`serialization`); the
ConvNet they load into is built from the artifact's metadata, validated first. Data is checked against the model
(shape, dtype, label range) so a mismatch is one clear error instead of a stack trace from inside torch.
Imports torch at module level: import it lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.atomic import atomic_write
from core.errors import ValidationError
from core.pipeline.config import ModelConfig
from core.pipeline.errors import PipelineError
from core.pipeline.model import ConvNet, build_model
from core.pipeline.serialization import load_state_dict, save_state_dict

__all__ = ["check_data_fits", "load_model", "save_weights", "to_image"]


def save_weights(model: torch.nn.Module, path: Path) -> Path:
    """The model's state dict at `path`; a crash never leaves half a checkpoint there."""
    with atomic_write(path, "wb", fsync=False) as f:  # the store fsyncs the blob it copies this into
        save_state_dict(model, f)
    return path


def load_model(metadata: dict[str, Any], checkpoint: Path, what: str, device: torch.device) -> ConvNet:
    """The ConvNet a model artifact's metadata describes, with the weights of `checkpoint` (refused if unsafe)."""
    try:
        model = build_model(metadata)
    except ValidationError as exc:
        raise ValidationError(f"{what}: its metadata is not a valid ConvNet config: {exc}") from None
    state = load_state_dict(checkpoint, what)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = str(exc).strip().splitlines()
        raise PipelineError(f"{what}: {checkpoint.name} does not fit the ConvNet its metadata describes "
                            f"({detail[0] if detail else exc})") from None
    return model.to(device)


def check_data_fits(split: tuple[torch.Tensor, torch.Tensor], config: ModelConfig, what: str) -> None:
    x, y = split
    if tuple(x.shape[1:]) != tuple(config.input_shape):
        raise ValidationError(f"{what}: examples have shape {tuple(x.shape[1:])} but the model expects "
                              f"{tuple(config.input_shape)} (preprocess with expand_dims)")
    if not x.is_floating_point():
        raise ValidationError(f"{what}: examples are {x.dtype}, not floats (preprocess with normalize)")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= config.num_classes):
        raise ValidationError(f"{what}: labels run {int(y.min())}..{int(y.max())} but the model has "
                              f"{config.num_classes} classes")


def to_image(example: torch.Tensor) -> np.ndarray:
    """An example as a uint8 (H, W) or (H, W, C) array for `core.Image` (floats in [0, 1] scaled to 0..255)."""
    x = example.detach().cpu()
    if x.is_floating_point():
        x = x * 255 if x.numel() and float(x.max()) <= 1.0 else x
        x = x.round().clamp(0, 255)
    x = x.to(torch.uint8)
    if x.dim() == 3:
        x = x[0] if x.shape[0] == 1 else x.permute(1, 2, 0)
    return x.numpy()
