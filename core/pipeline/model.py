"""The tutorial's ConvNet ("Simple AlexNet style CNN"), built only from a validated `ModelConfig`.

The module layout (layer1, layer2, layer3, fc) is the tutorial's, so that its state dicts load here and ours there.
Imports torch at module level: import it lazily (the stages do, inside their functions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from core.pipeline.config import ModelConfig

__all__ = ["ConvNet", "build_model"]


class ConvNet(nn.Module):
    """Two conv -> activation -> max-pool layers, flatten, dropout, one linear layer to `num_classes` logits."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (32, 64),
        kernel_sizes: Sequence[int] = (3,),
        activation: str = "ReLU",
        pool_sizes: Sequence[int] = (2,),
        dropout: float = 0.5,
        num_classes: int = 10,
        input_shape: Sequence[int] = (1, 28, 28),
    ) -> None:
        super().__init__()
        # Validates every argument (and that the input survives both layers) before any layer is made.
        config = ModelConfig(
            hidden_layer_sizes=hidden_layer_sizes, kernel_sizes=kernel_sizes, activation=activation,
            pool_sizes=pool_sizes, dropout=dropout, num_classes=num_classes, input_shape=input_shape,
        )
        self.config = config
        act = getattr(nn, config.activation)
        self.layer1 = nn.Sequential(
            nn.Conv2d(config.input_shape[0], config.hidden_layer_sizes[0], kernel_size=config.kernel_sizes[0]),
            act(),
            nn.MaxPool2d(kernel_size=config.pool_sizes[0]),
        )
        self.layer2 = nn.Sequential(
            nn.Conv2d(config.hidden_layer_sizes[0], config.hidden_layer_sizes[-1], kernel_size=config.kernel_sizes[-1]),
            act(),
            nn.MaxPool2d(kernel_size=config.pool_sizes[-1]),
        )
        self.layer3 = nn.Sequential(nn.Flatten(), nn.Dropout(config.dropout))
        self.fc = nn.Linear(config.fc_input_dims, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.layer3(self.layer2(self.layer1(x))))


def build_model(config: ModelConfig | Mapping[str, Any] | None = None) -> ConvNet:
    """A ConvNet from a `ModelConfig` or a dict of its arguments (e.g. a `convnet` artifact's metadata)."""
    if not isinstance(config, ModelConfig):
        config = ModelConfig.from_mapping(config)
    return ConvNet(**{k: getattr(config, k) for k in config.as_dict()})
