"""The five stages of W&B's "Track models and datasets" tutorial, each a function that opens a run, uses and logs
artifacts through the run API, and tells its caller what happens through `on_event`.

Each stage separates its pure compute (`data`, `model`, `train`, `checkpoints`) from the logging around it, keeps
the tutorial's job types and artifact names, and names its inputs by `name:alias` (`inputs=["mnist-preprocess:v0"]`
trains on an older dataset); `harness.execute_stage` does the rest (inputs resolved before the run opens, events,
the result).

Stages never print and never touch the terminal: the CLI (`artifacts-tui run`) and the TUI's runner build their
progress displays from the events. They run in the caller's thread; one stage at a time per process (torch's seeds
are process-wide). A callback raising `Cancelled` ends the run "cancelled" with no artifact logged, and `Cancelled`
propagates to the caller. Torch, torchvision and scikit-learn are imported inside the functions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import names
from core.pipeline.config import ModelConfig, PreprocessSteps, TrainConfig, check_dataset
from core.pipeline.events import EventCallback, LogLine, Metrics, Progress
from core.pipeline.harness import (
    DEFAULT_PROJECT,
    STAGES,
    StageContext,
    StageResult,
    check_inputs,
    download_input,
    execute_stage,
    input_refs,
    open_store,
    stage_config,
)

if TYPE_CHECKING:
    from core import Store

__all__ = [
    "HARD_EXAMPLES",
    "TrainLogger",
    "build_model_and_log",
    "evaluate_and_log",
    "load_and_log",
    "preprocess_and_log",
    "run_pipeline",
    "train_and_log",
]

HARD_EXAMPLES = 32  # the tutorial's k: the highest-loss test examples the report logs as images


def load_and_log(
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str = "mnist",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> StageResult:
    """Job "load-data": load `dataset` ("mnist" or "digits") and log it as `mnist-raw` (training/validation/test.pt).

    Unchanged data gives the same bytes, so re-running creates no new version.
    """
    check_dataset(dataset)
    if dataset == "mnist":
        from core.pipeline.data import ensure_mnist

        ensure_mnist(data_dir, download=download)  # before the run opens: offline, nothing is created at all

    def body(ctx: StageContext, run: Any, _inputs: dict) -> list:
        import core
        from core.pipeline.data import SPLITS, load_dataset
        from core.pipeline.serialization import save_split

        ctx.log_line(f"loading {dataset}")
        raw = load_dataset(dataset, data_dir, download=download)
        artifact = core.Artifact(
            "mnist-raw", type="dataset", description=raw.description,
            metadata={"source": raw.source, "dataset": raw.name, "sizes": raw.sizes},
        )
        for i, split in enumerate(SPLITS):
            x, y = raw.splits[split]
            with artifact.new_file(f"{split}.pt", mode="wb") as f:
                save_split(x, y, f)
            ctx.log_line(f"{split}: {len(y):,} examples")
            ctx.progress(i + 1, len(SPLITS), "split")
        return [run.log_artifact(artifact)]

    return execute_stage("load-data", project=project, store=store, config=stage_config({}, dataset), refs={},
                         on_event=on_event, body=body, group=group)


def preprocess_and_log(
    steps: Mapping[str, Any] | None = None,
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str | None = None,
    inputs: Iterable[str] = (),
    download_root: str | os.PathLike[str] | None = None,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> StageResult:
    """Job "preprocess-data": read `mnist-raw:latest` (or the given alias), normalize / add the channel axis,
    log `mnist-preprocess` with the steps as its metadata."""
    parsed = PreprocessSteps.from_mapping(steps if steps is not None else {})
    refs = input_refs("preprocess-data", inputs)

    def body(ctx: StageContext, run: Any, resolved: dict) -> list:
        import core
        from core.pipeline.data import SPLITS, preprocess
        from core.pipeline.serialization import load_split, save_split

        raw_version = run.use_artifact(resolved["mnist-raw"])
        raw_dir = download_input(raw_version, download_root)
        artifact = core.Artifact("mnist-preprocess", type="dataset", description="Preprocessed MNIST dataset",
                                 metadata=parsed.as_dict())
        for i, split in enumerate(SPLITS):
            x, y = load_split(raw_dir / f"{split}.pt", raw_version.qualified_name)
            x, y = preprocess(x, y, **parsed.as_dict())
            with artifact.new_file(f"{split}.pt", mode="wb") as f:
                save_split(x, y, f)
            ctx.log_line(f"{split}: {tuple(x.shape)} {str(x.dtype).removeprefix('torch.')}")
            ctx.progress(i + 1, len(SPLITS), "split")
        return [run.log_artifact(artifact)]

    run_config = stage_config(parsed.as_dict(), dataset)
    return execute_stage("preprocess-data", project=project, store=store, config=run_config, refs=refs,
                         on_event=on_event, body=body, group=group)


def build_model_and_log(
    config: Mapping[str, Any] | None = None,
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str | None = None,
    seed: int = 0,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> StageResult:
    """Job "initialize": build the ConvNet from `config` (seeded, so the same config gives the same weights) and log
    `convnet` with `initialized_model.pth` and the model config as metadata."""
    model_config = ModelConfig.from_mapping(config)

    def body(ctx: StageContext, run: Any, _inputs: dict) -> list:
        import core
        from core.pipeline.checkpoints import save_weights
        from core.pipeline.model import build_model
        from core.pipeline.train import seed_everything

        seed_everything(seed)
        model = build_model(model_config)
        params = sum(p.numel() for p in model.parameters())
        ctx.log_line(f"ConvNet with {params:,} parameters")
        artifact = core.Artifact("convnet", type="model", description="Simple AlexNet style CNN",
                                 metadata=model_config.as_dict())
        with tempfile.TemporaryDirectory(prefix="artifacts-tui-initialize-") as tmp:
            path = save_weights(model, Path(tmp) / "initialized_model.pth")
            artifact.add_file(path, name="initialized_model.pth")
            ctx.progress(1, 1, "model")
            return [run.log_artifact(artifact)]

    run_config = stage_config({**model_config.as_dict(), "seed": seed}, dataset)
    return execute_stage("initialize", project=project, store=store, config=run_config, refs={},
                         on_event=on_event, body=body, group=group)


class TrainLogger:
    """The training loop's hooks in the train stage: events for the caller, `run.log` for the store.

    Kept cheap (a frozen event per batch, `run.log` only every `batch_log_interval` batches): the benchmark holds it
    to within 3% of the bare loop.
    """

    def __init__(self, stage: str, run: Any, emit: EventCallback, n_examples: int, batch_size: int) -> None:
        self.stage, self.run, self.emit, self.n, self.bs = stage, run, emit, n_examples, batch_size
        self.batches_per_epoch = max(1, (n_examples + batch_size - 1) // batch_size)

    def batch_done(self, done: int, total: int, epoch: int) -> None:
        self.emit(Progress(self.stage, done, total, "batch", epoch))

    def train_loss(self, step: int, epoch: int, batch_idx: int, loss: float) -> None:
        values = {"epoch": epoch, "train/loss": loss}
        self.run.log(values, step=step)
        self.emit(Metrics(self.stage, step, values))
        seen = min(batch_idx * self.bs, self.n)
        self.emit(LogLine(self.stage, f"Train Epoch: {epoch} [{seen}/{self.n} "
                                      f"({batch_idx / self.batches_per_epoch:.0%})]  Loss: {loss:.6f}"))

    def validation(self, step: int, epoch: int, loss: float, accuracy: float) -> None:
        values = {"epoch": epoch, "validation/loss": loss, "validation/accuracy": accuracy}
        self.run.log(values, step=step)
        self.emit(Metrics(self.stage, step, values))
        self.emit(LogLine(self.stage, f"Loss/accuracy after {step:05d} examples: {loss:.3f}/{accuracy:.3f}"))


def train_and_log(
    config: Mapping[str, Any] | None = None,
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str | None = None,
    inputs: Iterable[str] = (),
    download_root: str | os.PathLike[str] | None = None,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> StageResult:
    """Job "train": train `convnet:latest` on `mnist-preprocess:latest` (or the given aliases) and log
    `trained-model` (`trained_model.pth`). Logs train/loss every `batch_log_interval` batches and validation/loss and
    validation/accuracy each epoch, at step = examples seen."""
    train_config = TrainConfig.from_mapping(config)
    refs = input_refs("train", inputs)

    def body(ctx: StageContext, run: Any, resolved: dict) -> list:
        import core
        from core.pipeline.checkpoints import check_data_fits, load_model, save_weights
        from core.pipeline.data import SPLITS
        from core.pipeline.serialization import load_split
        from core.pipeline.train import resolve_device, seed_everything, train

        device = resolve_device(train_config.device)
        data_version = run.use_artifact(resolved["mnist-preprocess"])
        model_version = run.use_artifact(resolved["convnet"])
        # The checkpoint first: an unsafe or mismatched one stops the stage before any data is read.
        model_dir = download_input(model_version, download_root)
        model = load_model(model_version.metadata, model_dir / "initialized_model.pth", model_version.qualified_name,
                           device)
        run.config.update(dict(model_version.metadata))
        data_dir = download_input(data_version, download_root)
        training, validation = (load_split(data_dir / f"{s}.pt", data_version.qualified_name) for s in SPLITS[:2])
        check_data_fits(training, model.config, f"{data_version.qualified_name} training")
        check_data_fits(validation, model.config, f"{data_version.qualified_name} validation")
        ctx.log_line(f"training on {len(training[1]):,} examples for {train_config.epochs} epoch(s) on {device}")
        seed_everything(train_config.seed)
        train(model, training, validation, train_config, device,
              TrainLogger(ctx.stage, run, ctx.emit, len(training[1]), train_config.batch_size))
        artifact = core.Artifact("trained-model", type="model", description="Trained NN model",
                                 metadata=dict(model_version.metadata))
        with tempfile.TemporaryDirectory(prefix="artifacts-tui-train-") as tmp:
            artifact.add_file(save_weights(model, Path(tmp) / "trained_model.pth"), name="trained_model.pth")
            return [run.log_artifact(artifact)]

    run_config = stage_config(train_config.as_dict(), dataset)
    return execute_stage("train", project=project, store=store, config=run_config, refs=refs,
                         on_event=on_event, body=body, group=group)


def evaluate_and_log(
    config: Mapping[str, Any] | None = None,
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str | None = None,
    inputs: Iterable[str] = (),
    download_root: str | os.PathLike[str] | None = None,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> StageResult:
    """Job "report": evaluate `trained-model:latest` on the test split of `mnist-preprocess:latest`; loss and
    accuracy go to the summary, the 32 highest-loss examples to "high-loss-examples" as images captioned "pred,label".

    `config` takes the train config's keys; only `batch_size` and `device` matter here.
    """
    eval_config = TrainConfig.from_mapping(config)
    refs = input_refs("report", inputs)

    def body(ctx: StageContext, run: Any, resolved: dict) -> list:
        import core
        from core.pipeline.checkpoints import check_data_fits, load_model, to_image
        from core.pipeline.serialization import load_split
        from core.pipeline.train import evaluate, hardest_examples, resolve_device

        device = resolve_device(eval_config.device)
        data_version = run.use_artifact(resolved["mnist-preprocess"])
        model_version = run.use_artifact(resolved["trained-model"])
        model_dir = download_input(model_version, download_root)
        model = load_model(model_version.metadata, model_dir / "trained_model.pth", model_version.qualified_name,
                           device)
        test = load_split(download_input(data_version, download_root) / "test.pt", data_version.qualified_name)
        check_data_fits(test, model.config, f"{data_version.qualified_name} test")
        loss, accuracy = evaluate(model, test, device, batch_size=eval_config.batch_size)
        ctx.progress(1, 2, "pass")
        hard = hardest_examples(model, test, device, k=HARD_EXAMPLES, batch_size=eval_config.batch_size)
        ctx.progress(2, 2, "pass")
        run.summary.update({"loss": loss, "accuracy": accuracy})
        images = [core.Image(to_image(x), caption=f"{int(pred)},{int(label)}")
                  for x, pred, label in zip(hard.examples, hard.predictions, hard.labels)]
        run.log({"high-loss-examples": images})
        ctx.emit(Metrics(ctx.stage, 0, {"test/loss": loss, "test/accuracy": accuracy}))
        ctx.log_line(f"test loss {loss:.4f}, accuracy {accuracy:.2f}% on {len(test[1]):,} examples; "
                     f"logged the {len(images)} highest-loss examples")
        return []

    run_config = stage_config({"batch_size": eval_config.batch_size, "device": eval_config.device}, dataset)
    return execute_stage("report", project=project, store=store, config=run_config, refs=refs,
                         on_event=on_event, body=body, group=group)


def run_pipeline(
    *,
    project: str = DEFAULT_PROJECT,
    store: Store | None = None,
    dataset: str = "mnist",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    steps: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    train_config: Mapping[str, Any] | None = None,
    inputs: Iterable[str] = (),
    download_root: str | os.PathLike[str] | None = None,
    on_event: EventCallback | None = None,
    group: str | None = None,
) -> list[StageResult]:
    """All five stages in order, stopping at the first that fails or is cancelled (its exception propagates).

    Every config is validated before the first run opens; `group` is the run group of all five runs. `inputs` pins
    an input of the stages that read it (`["mnist-preprocess:v0"]`: train and report read v0 although
    preprocess-data logs a newer version).
    """
    inputs = list(inputs)
    check_dataset(dataset)
    check_inputs(STAGES, inputs)
    steps = PreprocessSteps.from_mapping(steps if steps is not None else {}).as_dict()
    model_config = ModelConfig.from_mapping(model_config).as_dict()
    train_config = TrainConfig.from_mapping(train_config).as_dict()
    names.check_group(group)
    store = open_store(store)
    common = {"project": project, "store": store, "on_event": on_event, "group": group}
    downstream = {**common, "dataset": dataset, "inputs": inputs, "download_root": download_root}
    return [
        load_and_log(dataset=dataset, data_dir=data_dir, download=download, **common),
        preprocess_and_log(steps, **downstream),
        build_model_and_log(model_config, dataset=dataset, seed=train_config["seed"], **common),
        train_and_log(train_config, **downstream),
        evaluate_and_log(train_config, **downstream),
    ]
