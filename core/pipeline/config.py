"""Validated configs of the tutorial's stages: preprocessing steps, the ConvNet's shape, and the training settings.

The stage functions take plain dicts as the tutorial does (`train_and_log({"batch_size": 128, ...})`) and turn them
into these frozen values first, so that a typo, a wrong type or a kernel too big for the input fails with one clear
`core.ValidationError` before any run is opened or any batch is trained. Nothing here imports torch: the checks are
arithmetic and allowlists, which also keeps a tampered artifact's metadata from naming arbitrary torch classes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from core.errors import ValidationError
from core.pipeline.registry import DATASETS

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "OPTIMIZERS",
    "ModelConfig",
    "PreprocessSteps",
    "TrainConfig",
    "check_dataset",
    "conv_output_sizes",
]

# torch.nn activations that take no required constructor argument.
ACTIVATIONS = (
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Tanh",
    "Sigmoid", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid",
)

# torch.optim optimizers usable with their default learning rate, as the tutorial uses Adam.
OPTIMIZERS = ("Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SGD", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop")


def _check_keys(what: str, values: Mapping[str, Any], cls: type) -> None:
    if not isinstance(values, Mapping):
        raise ValidationError(f"{what} must be a mapping of settings, got {type(values).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        raise ValidationError(f"{what}: unknown setting(s) {', '.join(map(repr, unknown))}; "
                              f"known: {', '.join(sorted(known))}")


def _int(what: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise ValidationError(f"{what} must be at least {minimum}, got {value}")
    return value


def _int_list(what: str, value: Any, *, lengths: tuple[int, ...], minimum: int = 1) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{what} must be a list of integers, got {value!r}")
    items = tuple(value)
    if len(items) not in lengths:
        allowed = " or ".join(str(n) for n in lengths)
        raise ValidationError(f"{what} must have {allowed} entries, got {len(items)}: {list(items)!r}")
    return tuple(_int(f"{what}[{i}]", v, minimum=minimum) for i, v in enumerate(items))


def _bool(what: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{what} must be true or false, got {value!r}")
    return value


def conv_output_sizes(input_size: int, kernel_sizes: tuple[int, ...], pool_sizes: tuple[int, ...]) -> tuple[int, int]:
    """Side length after the ConvNet's first and second conv+pool layers (the tutorial's floor arithmetic).

    Each layer uses the first and the last entry of the lists, as the tutorial's ConvNet does.
    """
    first = math.floor((input_size - kernel_sizes[0] + 1) / pool_sizes[0])
    second = math.floor((first - kernel_sizes[-1] + 1) / pool_sizes[-1])
    return first, second


@dataclass(frozen=True)
class ModelConfig:
    """The tutorial ConvNet's constructor arguments: two conv layers (sizes, kernels, pools from the lists' first and
    last entries), an activation, dropout before the final linear layer."""

    hidden_layer_sizes: tuple[int, ...] = (32, 64)
    kernel_sizes: tuple[int, ...] = (3,)
    activation: str = "ReLU"
    pool_sizes: tuple[int, ...] = (2,)
    dropout: float = 0.5
    num_classes: int = 10
    input_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "hidden_layer_sizes", _int_list("hidden_layer_sizes", self.hidden_layer_sizes, lengths=(1, 2)))
        set_(self, "kernel_sizes", _int_list("kernel_sizes", self.kernel_sizes, lengths=(1, 2)))
        set_(self, "pool_sizes", _int_list("pool_sizes", self.pool_sizes, lengths=(1, 2)))
        set_(self, "input_shape", _int_list("input_shape", self.input_shape, lengths=(3,)))
        set_(self, "num_classes", _int("num_classes", self.num_classes, minimum=2))
        if self.activation not in ACTIVATIONS:
            raise ValidationError(
                f"activation {self.activation!r} is not supported; use one of {', '.join(ACTIVATIONS)}")
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValidationError(f"dropout must be a number in [0, 1), got {dropout!r}")
        set_(self, "dropout", float(dropout))
        channels, height, width = self.input_shape
        if height != width:
            raise ValidationError(f"input_shape must be square (C, N, N), got {list(self.input_shape)}")
        first, second = conv_output_sizes(height, self.kernel_sizes, self.pool_sizes)
        if first < 1 or second < 1:
            raise ValidationError(
                f"kernel_sizes {list(self.kernel_sizes)} and pool_sizes {list(self.pool_sizes)} shrink a "
                f"{height}x{width} input to {max(first, 0)}x{max(first, 0)} after the first layer and "
                f"{max(second, 0)}x{max(second, 0)} after the second; use smaller kernels or pools"
            )

    @property
    def fc_input_dims(self) -> int:
        _, second = conv_output_sizes(self.input_shape[1], self.kernel_sizes, self.pool_sizes)
        return second * second * self.hidden_layer_sizes[-1]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ModelConfig:
        values = dict(values or {})
        _check_keys("model config", values, cls)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (lists, not tuples): what the `convnet` artifact carries as metadata."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class PreprocessSteps:
    """The tutorial's preprocessing: uint8 pixels scaled to [0, 1]; the channel axis added (N, 1, 28, 28)."""

    normalize: bool = True
    expand_dims: bool = True

    def __post_init__(self) -> None:
        _bool("normalize", self.normalize)
        _bool("expand_dims", self.expand_dims)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> PreprocessSteps:
        values = dict(values or {})
        _check_keys("preprocess steps", values, cls)
        return cls(**values)

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (the tutorial's defaults), plus the device (None: cuda when available, else cpu) and seed."""

    batch_size: int = 128
    epochs: int = 5
    batch_log_interval: int = 25
    optimizer: str = "Adam"
    device: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        _int("batch_size", self.batch_size, minimum=1)
        _int("epochs", self.epochs, minimum=1)
        _int("batch_log_interval", self.batch_log_interval, minimum=1)
        _int("seed", self.seed, minimum=0)
        if self.optimizer not in OPTIMIZERS:
            raise ValidationError(f"optimizer {self.optimizer!r} is not supported; use one of {', '.join(OPTIMIZERS)}")
        if self.device is not None:
            kind, _, index = str(self.device).partition(":")
            if kind not in ("cpu", "cuda", "mps") or (index and not index.isdigit()) or (index and kind != "cuda"):
                raise ValidationError(f"device must be cpu, cuda, cuda:N or mps, got {self.device!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> TrainConfig:
        values = dict(values or {})
        _check_keys("train config", values, cls)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValidationError(f"dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    return name
