"""The MNIST path: torchvision reads IDX files the test writes (no network), and missing files give one clear error."""

from __future__ import annotations

import numpy as np
import pytest

from core.pipeline import DatasetUnavailableError, load_and_log, preprocess_and_log
from core.pipeline.data import load_mnist


@pytest.mark.slow
def test_mnist_is_read_from_idx_files_and_split_as_the_tutorial(store, tiny_mnist, tmp_path):
    import torch

    data_dir, arrays = tiny_mnist
    result = load_and_log(project="p", store=store, dataset="mnist", data_dir=data_dir, download=False)
    raw = store.artifact("mnist-raw:v0", project="p")
    assert result.outputs[0].qualified_name == "mnist-raw:v0"
    # 5/6 of the training file for training (50,000 of MNIST's 60,000), the rest validation; the test file as is.
    assert raw.metadata["sizes"] == [50, 10, 12]
    assert raw.metadata["source"] == "torchvision.datasets.MNIST"
    folder = raw.download(root=tmp_path / "raw")
    x, y = torch.load(folder / "training.pt", weights_only=True)
    assert x.dtype == torch.uint8 and x.shape == (50, 28, 28) and y.dtype == torch.int64
    np.testing.assert_array_equal(x.numpy(), arrays["train-images-idx3-ubyte"][:50])
    xv, yv = torch.load(folder / "validation.pt", weights_only=True)
    np.testing.assert_array_equal(yv.numpy(), arrays["train-labels-idx1-ubyte"][50:])
    xt, _ = torch.load(folder / "test.pt", weights_only=True)
    np.testing.assert_array_equal(xt.numpy(), arrays["t10k-images-idx3-ubyte"])

    preprocess_and_log(project="p", store=store, download_root=tmp_path / "dl")
    pre = store.artifact("mnist-preprocess:latest", project="p").download(root=tmp_path / "pre")
    xp, _ = torch.load(pre / "training.pt", weights_only=True)
    assert xp.shape == (50, 1, 28, 28)
    assert torch.allclose(xp[:, 0], x.float() / 255)


def test_files_on_disk_are_read_without_downloading(tmp_path, write_idx, monkeypatch):
    import torchvision

    def no_network(self):
        raise AssertionError("MNIST was downloaded although its files are on disk")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    rng = np.random.RandomState(1)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", rng.randint(0, 256, (6, 28, 28)).astype(np.uint8))
    write_idx(raw / "train-labels-idx1-ubyte", np.arange(6).astype(np.uint8))
    write_idx(raw / "t10k-images-idx3-ubyte", rng.randint(0, 256, (2, 28, 28)).astype(np.uint8))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.arange(2).astype(np.uint8))
    assert load_mnist(tmp_path, download=True).sizes == [5, 1, 2]


def test_offline_without_files_is_one_clear_error_naming_the_directory(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist(tmp_path / "empty", download=False)
    message = str(info.value)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in message
    assert "--dataset digits" in message and "train-images-idx3-ubyte" in message


def test_a_failed_download_is_reported_with_its_cause(tmp_path, monkeypatch):
    import torchvision

    def no_network(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://example/, got:\n"
                           "<urlopen error [Errno -2] Name or service not known>\n")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(DatasetUnavailableError, match=r"Name or service not known.*--dataset digits"):
        load_mnist(tmp_path / "offline", download=True)


def test_the_load_stage_creates_nothing_when_mnist_is_missing(store, tmp_path):
    # the data is checked before the run opens: offline, no failed run and no empty project are left behind
    with pytest.raises(DatasetUnavailableError, match="--dataset digits"):
        load_and_log(project="p", store=store, dataset="mnist", data_dir=tmp_path / "none", download=False)
    assert store.runs("p") == [] and store.projects() == []
    assert not (tmp_path / "none").exists()


def test_mnist_is_cached_under_the_chosen_home_and_a_failed_download_leaves_no_directory(tmp_path, monkeypatch):
    import torchvision

    from core.pipeline.data import default_data_dir

    monkeypatch.setenv("ARTIFACTS_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_data_dir() == tmp_path / "home" / "datasets"

    def no_network(self):
        raise RuntimeError("Error downloading x:\nTried https://example/, got:\n<urlopen error offline>\n")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(DatasetUnavailableError, match="offline"):
        load_mnist(download=True)
    assert not (tmp_path / "home" / "datasets").exists() and not (tmp_path / "user").exists()


def test_corrupt_idx_files_are_a_clear_error(tiny_mnist):
    from core.pipeline import PipelineError

    data_dir, _ = tiny_mnist
    (data_dir / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(PipelineError, match="not valid IDX files"):
        load_mnist(data_dir, download=False)
