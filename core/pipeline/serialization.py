"""Reading and writing the tutorial's `.pt` / `.pth` files without ever running code from them.

Artifacts come from other people's runs. A `torch.load` that unpickles freely would run whatever a tampered file asks
for, so every load here is `weights_only=True` (never a fallback), and what comes out is checked to be the shape the
stage expects (an `(x, y)` pair of tensors, or a state dict of tensors) before it is used.
Imports torch at module level: import it lazily.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import IO, Any

import torch

from core.pipeline.errors import PipelineError, UnsafeCheckpointError

__all__ = ["load_split", "load_state_dict", "save_split", "save_state_dict"]


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")


def _load(path: Path, what: str) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise PipelineError(f"{what}: {path.name} is missing from the artifact") from None
    except pickle.UnpicklingError as exc:
        # weights_only refuses any global outside torch's tensor allowlist; nothing in the file has run.
        # torch's message carries SGR escapes (bold, colour) and quotes the file's globals: keep only plain text
        plain = _ANSI.sub("", str(exc)).strip()
        first = "".join(c if c.isprintable() else "?" for c in plain.splitlines()[0]) if plain else type(exc).__name__
        raise UnsafeCheckpointError(
            f"{what}: refused to load {path.name}: it is not plain tensors (torch.load with weights_only=True "
            f"rejected it: {first[:200]}). Nothing from it was run; use a version logged by the pipeline."
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError) as exc:
        raise PipelineError(f"{what}: {path.name} is not a readable torch file ({type(exc).__name__}: "
                            f"{str(exc)[:200]})") from None


def load_split(path: Path, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """An `(x, y)` tensor pair as the tutorial's `training.pt` / `validation.pt` / `test.pt` hold."""
    obj = _load(path, what)
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and all(isinstance(t, torch.Tensor) for t in obj)):
        raise PipelineError(f"{what}: {path.name} does not hold an (x, y) pair of tensors")
    x, y = obj
    if x.shape[0] != y.shape[0]:
        raise PipelineError(f"{what}: {path.name} holds {x.shape[0]} examples but {y.shape[0]} labels")
    return x, y


def load_state_dict(path: Path, what: str) -> dict[str, torch.Tensor]:
    obj = _load(path, what)
    if not (isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())):
        raise PipelineError(f"{what}: {path.name} is not a state dict of tensors")
    return obj


def save_split(x: torch.Tensor, y: torch.Tensor, f: IO[bytes]) -> None:
    torch.save((x.contiguous(), y.contiguous()), f)


def save_state_dict(model: torch.nn.Module, f: IO[bytes]) -> None:
    # Tensors moved to the CPU so a checkpoint trained on cuda loads anywhere (and hashes the same).
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, f)
