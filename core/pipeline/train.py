"""The pure compute of training and evaluating the ConvNet: no store, no run, no printing.

The stages wrap these loops with logging through `TrainHooks`; with no hooks the loop is exactly what runs in a
notebook, which is what `bench/bench_training.py` compares against. Batches are slices of tensors already on the
device, in order (the tutorial's `DataLoader(..., batch_size)` without shuffling), so a run is reproducible from its
seed. Imports torch at module level: import it lazily.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.pipeline.config import TrainConfig
from core.pipeline.devices import check_device

__all__ = [
    "HardExamples",
    "TrainHooks",
    "evaluate",
    "hardest_examples",
    "resolve_device",
    "seed_everything",
    "train",
]


def seed_everything(seed: int = 0) -> None:
    """The tutorial's seeding: Python's and torch's generators (all GPUs too), deterministic cuDNN."""
    torch.backends.cudnn.deterministic = True
    random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def resolve_device(name: str | None) -> torch.device:
    """`None` picks cuda when available, else cpu; asking for a device this machine lacks is a `ValidationError`
    naming the devices it has (`devices.check_device`, which the CLI also asks before any run opens)."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(check_device(name))


class TrainHooks:
    """What the training loop reports; the base class ignores everything. Methods may raise to stop training."""

    def batch_done(self, done: int, total: int, epoch: int) -> None:
        """`done` of `total` batches (over all epochs) are trained."""

    def train_loss(self, step: int, epoch: int, batch_idx: int, loss: float) -> None:
        """Every `batch_log_interval` batches: the batch's loss, `step` = examples seen so far."""

    def validation(self, step: int, epoch: int, loss: float, accuracy: float) -> None:
        """After each epoch: mean loss and accuracy (percent) on the validation split."""


def train(
    model: torch.nn.Module,
    train_split: tuple[torch.Tensor, torch.Tensor],
    valid_split: tuple[torch.Tensor, torch.Tensor],
    config: TrainConfig,
    device: torch.device,
    hooks: TrainHooks | None = None,
) -> int:
    """Train `model` in place (the tutorial's loop: cross-entropy, optimizer defaults); returns examples seen."""
    x, y = (t.to(device) for t in train_split)
    optimizer = getattr(torch.optim, config.optimizer)(model.parameters())
    n, bs, interval = len(x), config.batch_size, config.batch_log_interval
    batches_per_epoch = (n + bs - 1) // bs
    total = batches_per_epoch * config.epochs
    example_ct = 0
    done = 0
    for epoch in range(config.epochs):
        model.train()
        for batch_idx in range(batches_per_epoch):
            data, target = x[batch_idx * bs:(batch_idx + 1) * bs], y[batch_idx * bs:(batch_idx + 1) * bs]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
            example_ct += len(data)
            done += 1
            if hooks is not None:
                if batch_idx % interval == 0:
                    hooks.train_loss(example_ct, epoch, batch_idx, loss.detach().item())
                hooks.batch_done(done, total, epoch)
        valid_loss, accuracy = evaluate(model, valid_split, device, batch_size=bs)
        if hooks is not None:
            hooks.validation(example_ct, epoch, valid_loss, accuracy)
    return example_ct


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, split: tuple[torch.Tensor, torch.Tensor], device: torch.device, batch_size: int = 128
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy in percent (the tutorial's `test`); (nan, nan) for an empty split."""
    model.eval()
    x, y = split
    if len(x) == 0:
        return float("nan"), float("nan")
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for i in range(0, len(x), batch_size):
        data, target = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        output = model(data)
        total_loss += F.cross_entropy(output, target, reduction="sum")
        correct += (output.argmax(dim=1) == target).sum()
    return float(total_loss) / len(x), 100.0 * int(correct) / len(x)


@dataclass(frozen=True)
class HardExamples:
    """The test examples with the highest loss, hardest first."""

    losses: torch.Tensor       # (k,)
    examples: torch.Tensor     # (k, *example shape), on the CPU
    labels: torch.Tensor       # (k,)
    predictions: torch.Tensor  # (k,)


@torch.no_grad()
def hardest_examples(
    model: torch.nn.Module, split: tuple[torch.Tensor, torch.Tensor], device: torch.device, k: int = 32,
    batch_size: int = 128,
) -> HardExamples:
    """The tutorial's `get_hardest_k_examples`, batched: per-example loss, the `k` highest (fewer if the split is)."""
    model.eval()
    x, y = split
    losses, preds = [], []
    for i in range(0, len(x), batch_size):
        data, target = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        output = model(data)
        losses.append(F.cross_entropy(output, target, reduction="none").cpu())
        preds.append(output.argmax(dim=1).cpu())
    if not losses:
        empty = torch.empty(0)
        return HardExamples(empty, x[:0], y[:0], y[:0])
    all_losses, all_preds = torch.cat(losses), torch.cat(preds)
    k = min(k, len(all_losses))
    # Stable sort so ties keep dataset order and the selection is reproducible.
    order = torch.sort(all_losses, descending=True, stable=True).indices[:k]
    return HardExamples(all_losses[order], x[order].cpu(), y[order].cpu(), all_preds[order])
