"""The pure parts: datasets, the ConvNet and its config checks, events, and the import cost of the package."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import core
from core.pipeline import LogLine, Progress
from core.pipeline.config import ModelConfig, TrainConfig


def test_importing_the_pipeline_loads_no_torch_textual_or_rich():
    code = ("import sys, core.pipeline; heavy = [m for m in ('torch', 'torchvision', 'sklearn', 'textual', 'rich') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_digits_look_like_mnist_and_split_the_documented_way():
    import torch

    from core.pipeline.data import load_digits

    data = load_digits()
    assert data.sizes == [1197, 300, 300]
    for split in ("training", "validation", "test"):
        x, y = data.splits[split]
        assert x.dtype == torch.uint8 and x.shape[1:] == (28, 28) and y.dtype == torch.int64
        assert sorted(set(y.tolist())) == list(range(10))
        # Digits framed like MNIST's: ink in the middle, a blank 4-pixel border.
        assert int(x[:, :4].max()) == 0 and int(x[:, :, -4:].max()) == 0 and int(x.max()) > 200
    again = load_digits()
    assert all(torch.equal(data.splits[s][0], again.splits[s][0]) for s in data.splits)


def test_preprocess_normalizes_and_adds_the_channel_axis():
    import torch

    from core.pipeline.data import preprocess

    x = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    y = torch.tensor([3])
    px, py = preprocess(x, y)
    assert px.shape == (1, 1, 2, 2) and px.dtype == torch.float32
    assert px.flatten().tolist() == pytest.approx([0.0, 1.0, 0.2, 0.4])
    assert preprocess(x, y, normalize=False, expand_dims=False)[0].dtype == torch.uint8


def test_convnet_has_the_tutorials_layers_and_output():
    import torch

    from core.pipeline.model import build_model

    model = build_model()
    assert sorted(model.state_dict()) == [
        "fc.bias", "fc.weight", "layer1.0.bias", "layer1.0.weight", "layer2.0.bias", "layer2.0.weight"]
    assert model.fc.in_features == 5 * 5 * 64  # 28 -conv3-> 26 -pool2-> 13 -conv3-> 11 -pool2-> 5
    assert model(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    other = build_model({"hidden_layer_sizes": [8, 16], "kernel_sizes": [5, 3], "pool_sizes": [2],
                         "activation": "GELU", "num_classes": 3})
    assert other(torch.zeros(2, 1, 28, 28)).shape == (2, 3)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"kernel_sizes": [13]}, r"kernel_sizes \[13\] and pool_sizes \[2\] shrink a 28x28 input"),
        ({"pool_sizes": [20]}, r"shrink a 28x28 input to 1x1 after the first layer and 0x0"),
        ({"hidden_layer_sizes": [8, 16, 32]}, r"hidden_layer_sizes must have 1 or 2 entries"),
        ({"hidden_layer_sizes": [0, 16]}, r"hidden_layer_sizes\[0\] must be at least 1"),
        ({"activation": "Transformer"}, r"activation 'Transformer' is not supported"),
        ({"dropout": 1.5}, r"dropout must be a number in \[0, 1\)"),
        ({"num_classes": 1}, r"num_classes must be at least 2"),
        ({"input_shape": [1, 28]}, r"input_shape must have 3 entries"),
        ({"kernel_size": [3]}, r"unknown setting\(s\) 'kernel_size'"),
        ({"kernel_sizes": "3"}, r"kernel_sizes must be a list of integers"),
    ],
)
def test_invalid_model_configs_are_clear_errors(config, message):
    from core.pipeline.model import build_model

    with pytest.raises(core.ValidationError, match=message):
        ModelConfig.from_mapping(config)
    with pytest.raises(core.ValidationError, match=message):
        build_model(config)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"epochs": 2.5}, "epochs must be an integer"),
        ({"optimizer": "os.system"}, "optimizer 'os.system' is not supported"),
        ({"device": "tpu"}, "device must be cpu, cuda, cuda:N or mps"),
    ],
)
def test_invalid_train_configs_are_clear_errors(config, message):
    with pytest.raises(core.ValidationError, match=message):
        TrainConfig.from_mapping(config)


def test_tutorial_defaults():
    assert TrainConfig() == TrainConfig.from_mapping(
        {"batch_size": 128, "epochs": 5, "batch_log_interval": 25, "optimizer": "Adam"})
    assert ModelConfig().as_dict()["hidden_layer_sizes"] == [32, 64]


def test_asking_for_cuda_without_it_is_a_clear_error():
    import torch

    from core.pipeline.train import resolve_device

    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(core.ValidationError, match="not available"):
            resolve_device("cuda")


def test_events_are_frozen_values():
    event = Progress("train", 3, 12)
    assert event.fraction == 0.25
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.done = 4  # type: ignore[misc]
    assert LogLine("train", "x") == LogLine("train", "x")


@pytest.mark.slow
def test_the_training_loop_reports_through_hooks_and_learns():
    import torch

    from core.pipeline.data import load_digits, preprocess
    from core.pipeline.model import build_model
    from core.pipeline.train import TrainHooks, evaluate, seed_everything, train

    data = load_digits()
    training = preprocess(*data.splits["training"])
    validation = preprocess(*data.splits["validation"])
    calls = []

    class Record(TrainHooks):
        def batch_done(self, done, total, epoch):
            calls.append(("batch", done, total))

        def train_loss(self, step, epoch, batch_idx, loss):
            calls.append(("loss", step, batch_idx))

        def validation(self, step, epoch, loss, accuracy):
            calls.append(("valid", step, round(accuracy)))

    seed_everything(0)
    model = build_model()
    before = evaluate(model, validation, torch.device("cpu"))[1]
    seen = train(model, training, validation, TrainConfig(batch_size=100, epochs=1, batch_log_interval=5),
                 torch.device("cpu"), Record())
    assert seen == 1197
    assert [c for c in calls if c[0] == "loss"] == [("loss", 100, 0), ("loss", 600, 5), ("loss", 1100, 10)]
    assert [c[1:] for c in calls if c[0] == "batch"] == [(i, 12) for i in range(1, 13)]
    assert calls[-1][0] == "valid" and calls[-1][2] > before
