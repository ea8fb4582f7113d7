"""Fixtures of the pipeline tests: one whole digits pipeline shared by the module that inspects it, a project with
the first three stages done (for tests of training), and tiny MNIST IDX files for torchvision to read."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Small enough to keep the whole pipeline to a few seconds on 2 cores, enough to pass 90% on digits' test split.
FAST_TRAIN = {"batch_size": 32, "epochs": 3, "batch_log_interval": 10}


@dataclass
class PipelineRun:
    store: object
    project: str
    results: list
    events: list
    download_root: Path


@pytest.fixture(scope="session")
def digits_pipeline(tmp_path_factory) -> PipelineRun:
    """The whole pipeline on digits, run once for every test that only inspects what it logged."""
    import core
    from core.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("pipeline")
    store = core.open_store(root / "store")
    events: list = []
    results = run_pipeline(project="tutorial", store=store, dataset="digits", train_config=FAST_TRAIN,
                           download_root=root / "downloads", on_event=events.append)
    return PipelineRun(store, "tutorial", results, events, root / "downloads")


@pytest.fixture
def prepared(store, tmp_path):
    """A project whose data is loaded and preprocessed and whose model is initialized (v0 of each)."""
    from core.pipeline import build_model_and_log, load_and_log, preprocess_and_log

    project = "prepared"
    load_and_log(project=project, store=store, dataset="digits")
    preprocess_and_log(project=project, store=store, download_root=tmp_path / "dl")
    build_model_and_log(project=project, store=store)
    return store, project, tmp_path / "dl"


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file (MNIST's format): magic 0x0000 08 <ndim>, big-endian dimensions, then uint8 data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


@pytest.fixture(name="write_idx")
def write_idx_fixture():
    return write_idx


@pytest.fixture
def tiny_mnist(tmp_path) -> tuple[Path, dict[str, np.ndarray]]:
    """DIR with DIR/MNIST/raw/ holding 60 training and 12 test images in IDX format, and the arrays written."""
    rng = np.random.RandomState(7)
    arrays = {
        "train-images-idx3-ubyte": rng.randint(0, 256, size=(60, 28, 28)).astype(np.uint8),
        "train-labels-idx1-ubyte": (np.arange(60) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.randint(0, 256, size=(12, 28, 28)).astype(np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(12) % 10).astype(np.uint8),
    }
    raw = tmp_path / "mnist-data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, array in arrays.items():
        write_idx(raw / name, array)
    return tmp_path / "mnist-data", arrays
