"""The pipeline's datasets as (x, y) tensor splits, and the tutorial's preprocessing of them.

- `mnist`: torchvision's MNIST. Read from `DATA_DIR/MNIST/raw/` (the four IDX files, or MNIST's official .gz
  archives), downloaded there when missing and the network allows. Split as the tutorial does: the first 50,000
  images of the training file are `training`, the remaining 10,000 `validation`, the 10,000 of the test file `test`.
  (For smaller IDX files the same 5/6 : 1/6 split of the training file applies.)
- `digits`: scikit-learn's bundled 1,797 real handwritten 8x8 digits, so the pipeline runs with no network. Each
  image is scaled from 0..16 to 0..255, upsampled bilinearly to 20x20 and centred on a 28x28 canvas with a 4-pixel
  border (how MNIST's digits are framed), giving uint8 (N, 28, 28) like MNIST, so the same ConvNet applies.
  Fixed split: the examples are put in the order of numpy's `RandomState(0).permutation(1797)` (stable across numpy
  versions; split in sklearn's own order, the last 300 are markedly harder than the rest), then split by position
  as the tutorial splits MNIST: the first 1,197 `training`, the next 300 `validation`, the last 300 `test`.

Raw splits hold uint8 images (N, 28, 28) and int64 labels (N,). Imports torch at module level: import it lazily.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.pipeline.config import check_dataset
from core.pipeline.errors import DatasetUnavailableError, PipelineError

__all__ = [
    "DIGITS_SPLIT",
    "MNIST_FILES",
    "SPLITS",
    "RawDataset",
    "default_data_dir",
    "load_dataset",
    "load_digits",
    "load_mnist",
    "preprocess",
]

SPLITS = ("training", "validation", "test")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DIGITS_SPLIT = (1197, 300, 300)
DIGITS_SEED = 0

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class RawDataset:
    """A dataset's three splits, with where it came from (the `mnist-raw` artifact's metadata)."""

    name: str
    source: str
    description: str
    splits: dict[str, Split]

    @property
    def sizes(self) -> list[int]:
        return [len(self.splits[s][1]) for s in SPLITS]


def default_data_dir() -> Path:
    """Where MNIST is read from and downloaded to: $ARTIFACTS_TUI_HOME/datasets when that is set (everything of
    ours under the home a user chose), else $XDG_CACHE_HOME/artifacts-tui/datasets, else ~/.cache/..."""
    if os.environ.get("ARTIFACTS_TUI_HOME"):
        return Path(os.environ["ARTIFACTS_TUI_HOME"]).expanduser() / "datasets"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "artifacts-tui" / "datasets"


def ensure_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """MNIST's raw files, downloaded when missing and allowed; else DatasetUnavailableError saying how to get them
    (or to use --dataset digits). A failed download leaves no directory behind. -> the root holding MNIST/raw."""
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    raw = root / "MNIST" / "raw"
    if all((raw / f).is_file() for f in MNIST_FILES):
        return root
    reason = "downloading is off"
    if download:
        import torchvision

        existed = root.exists()
        try:
            torchvision.datasets.MNIST(root, train=True, download=True)
            torchvision.datasets.MNIST(root, train=False, download=True)
            return root
        except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, timeouts ...
            reason = f"downloading it failed ({_download_failure(exc)})"
            if not existed:
                shutil.rmtree(root, ignore_errors=True)
    raise DatasetUnavailableError(
        f"MNIST is not in {raw} and {reason}. Put {', '.join(MNIST_FILES)} (or MNIST's official .gz "
        f"archives) in {raw}, or pass --data-dir DIR holding MNIST/raw/, or use --dataset digits (bundled, "
        f"no download)."
    )


def load_dataset(name: str, data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> RawDataset:
    check_dataset(name)
    if name == "digits":
        return load_digits()
    return load_mnist(data_dir, download=download)


def _mnist_split_sizes(n_train_file: int) -> int:
    """How many images of MNIST's training file go to `training` (the rest are `validation`): 50,000 of 60,000."""
    return n_train_file * 5 // 6


def load_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> RawDataset:
    import torchvision

    root = ensure_mnist(data_dir, download=download)
    raw = root / "MNIST" / "raw"
    try:
        train = torchvision.datasets.MNIST(root, train=True, download=False)
        test = torchvision.datasets.MNIST(root, train=False, download=False)
    except (AssertionError, TypeError, ValueError, RuntimeError, IndexError, OSError) as exc:
        raise PipelineError(f"MNIST files in {raw} are not valid IDX files ({type(exc).__name__}: {exc})") from None
    x_all, y_all = train.data, train.targets.long()
    if x_all.shape[0] != y_all.shape[0] or test.data.shape[0] != test.targets.shape[0]:
        raise PipelineError(f"MNIST files in {raw}: image and label counts differ")
    n = _mnist_split_sizes(len(x_all))
    splits = {
        "training": (x_all[:n].clone(), y_all[:n].clone()),
        "validation": (x_all[n:].clone(), y_all[n:].clone()),
        "test": (test.data.clone(), test.targets.long().clone()),
    }
    return RawDataset("mnist", "torchvision.datasets.MNIST", "Raw MNIST dataset, split into train/val/test", splits)


def _download_failure(exc: BaseException) -> str:
    """The root cause in torchvision's multi-line "Error downloading ... Tried MIRROR, got: CAUSE" message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line for line in lines if not line.startswith(("Error downloading", "Tried "))]
    text = (causes[-1] if causes else lines[0] if lines else type(exc).__name__).strip("<>")
    return text[:200]


def load_digits() -> RawDataset:
    import torch.nn.functional as F
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images = torch.from_numpy(bunch.images).to(torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8) in [0, 1]
    big = F.interpolate(images, size=(20, 20), mode="bilinear", align_corners=False)
    canvas = F.pad(big, (4, 4, 4, 4))
    x = (canvas.squeeze(1) * 255.0).round().clamp(0, 255).to(torch.uint8).contiguous()
    y = torch.from_numpy(bunch.target).to(torch.int64)
    # numpy's legacy RandomState is guaranteed to give the same permutation in every numpy version.
    order = torch.from_numpy(np.random.RandomState(DIGITS_SEED).permutation(len(y)))
    x, y = x[order], y[order]
    a, b, _ = DIGITS_SPLIT
    splits = {
        "training": (x[:a].clone(), y[:a].clone()),
        "validation": (x[a:a + b].clone(), y[a:a + b].clone()),
        "test": (x[a + b:].clone(), y[a + b:].clone()),
    }
    return RawDataset(
        "digits",
        "sklearn.datasets.load_digits (8x8, upsampled to 28x28)",
        "Raw digits dataset (scikit-learn, MNIST-framed 28x28), split into train/val/test",
        splits,
    )


def preprocess(x: torch.Tensor, y: torch.Tensor, normalize: bool = True, expand_dims: bool = True) -> Split:
    """The tutorial's preprocessing: uint8 -> float32 in [0, 1], and (N, 28, 28) -> (N, 1, 28, 28)."""
    if normalize:
        x = x.to(torch.float32) / 255
    if expand_dims:
        x = torch.unsqueeze(x, 1)
    return x.contiguous(), y
