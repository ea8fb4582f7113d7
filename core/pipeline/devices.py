"""Which torch devices this machine has, and the check that a requested one is among them.

`artifacts-tui run --device cuda:1` calls `check_device` before it opens the store, so a device the machine lacks
is one line naming the devices it has, and no run is created; `train.resolve_device` gives the same answer inside a
stage. Imports torch inside the functions (the TUI process never calls them).
"""

from __future__ import annotations

from core.errors import ValidationError

__all__ = ["available_devices", "check_device"]


def available_devices() -> list[str]:
    """"cpu", then "cuda:0", "cuda:1", ... for each visible GPU, then "mps" where Apple's backend is usable."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def _parse(name: str) -> tuple[str, int | None]:
    kind, sep, index = name.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (sep and (kind != "cuda" or not index.isascii() or not index.isdigit())):
        raise ValidationError(f"device must be cpu, cuda, cuda:N or mps, got {name!r}")
    return kind, int(index) if sep else None


def check_device(name: str | None) -> str | None:
    """`name` when this machine has that device (None, "pick one", passes); else a `ValidationError` such as
    "device 'cuda' is not available here; devices: cpu"."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValidationError(f"device must be cpu, cuda, cuda:N or mps, got {name!r}")
    kind, index = _parse(name)
    devices = available_devices()
    if kind == "cpu" or (kind == "mps" and "mps" in devices):
        return name
    if kind == "cuda" and f"cuda:{index or 0}" in devices:
        return name
    raise ValidationError(f"device {name!r} is not available here; devices: {', '.join(devices)}")
