"""`from core import wandb_compat as wandb`: W&B's published artifacts tutorial runs unchanged on the embedded store,
and the module behaves as the wandb SDK where scripts can tell (globals, config, summary, log, save, errors)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import core
from core import wandb_compat as wandb

REPO = Path(__file__).resolve().parents[3]
COMPAT = Path(__file__).parent / "tutorial"
TUTORIAL = COMPAT / "tutorial_artifacts.py"
JOB_TYPES = ["load-data", "preprocess-data", "initialize", "train", "report"]


@pytest.fixture(autouse=True)
def _no_run_left_open(monkeypatch):
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    monkeypatch.delenv("WANDB_ARTIFACT_DIR", raising=False)
    yield
    for active in list(wandb._active):
        active.finish()


def _script_env(store_root: Path, *extra_paths: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("WANDB_PROJECT", "WANDB_ARTIFACT_DIR")}
    env.update(ARTIFACTS_TUI_HOME=str(store_root), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(map(str, [REPO, *extra_paths])))
    return env


def _run_script(path: Path, cwd: Path, store_root: Path, *extra_paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path)], cwd=cwd, env=_script_env(store_root, *extra_paths),
                          capture_output=True, text=True, timeout=300)


# -- the published tutorial ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    """W&B's "Track models and datasets" tutorial, run as a script with only its import line and load() changed."""
    work = tmp_path_factory.mktemp("tutorial")
    store_root = work / "store"
    stubs = [] if importlib.util.find_spec("tqdm") else [COMPAT / "stubs"]
    done = _run_script(TUTORIAL, work, store_root, *stubs)
    assert done.returncode == 0, f"the tutorial script failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    store = core.open_store(store_root)
    runs = {r.job_type: r for r in store.runs("artifacts-example")}
    return store, runs, work


@pytest.mark.slow
def test_tutorial_runs_to_the_end_with_five_finished_runs(tutorial):
    store, runs, _ = tutorial
    assert sorted(runs) == sorted(JOB_TYPES)
    assert len(store.runs("artifacts-example")) == 5
    assert {r.state for r in runs.values()} == {"finished"}


@pytest.mark.slow
def test_tutorial_logs_the_four_collections_with_their_metadata(tutorial):
    store, _, _ = tutorial
    got = {(c.name, c.type, c.version_count) for c in store.collections("artifacts-example")}
    assert got == {("mnist-raw", "dataset", 1), ("mnist-preprocess", "dataset", 1), ("convnet", "model", 1),
                   ("trained-model", "model", 1)}
    raw = store.artifact("artifacts-example/mnist-raw:latest")
    assert raw.metadata == {"source": "torchvision.datasets.MNIST", "sizes": [256, 128, 128]}
    assert raw.description == "Raw MNIST dataset, split into train/val/test"
    assert [f.path for f in raw.files()] == ["test.pt", "training.pt", "validation.pt"]
    assert store.artifact("artifacts-example/mnist-preprocess:v0").metadata == {"normalize": True,
                                                                                 "expand_dims": True}
    model_config = {"hidden_layer_sizes": [32, 64], "kernel_sizes": [3], "activation": "ReLU", "pool_sizes": [2],
                    "dropout": 0.5, "num_classes": 10}
    assert store.artifact("artifacts-example/convnet:latest").metadata == model_config  # dict(wandb.config)
    assert store.artifact("artifacts-example/trained-model:latest").metadata == model_config


@pytest.mark.slow
def test_tutorial_lineage_connects_the_five_stages(tutorial):
    store, runs, _ = tutorial
    by_id = {r.id: r.job_type for r in runs.values()}
    edges = {(by_id[e.run_id], e.direction, f"{e.name}:v{e.index}") for e in store.lineage_edges("artifacts-example")}
    assert edges == {
        ("load-data", "output", "mnist-raw:v0"),
        ("preprocess-data", "input", "mnist-raw:v0"), ("preprocess-data", "output", "mnist-preprocess:v0"),
        ("initialize", "output", "convnet:v0"),
        ("train", "input", "mnist-preprocess:v0"), ("train", "input", "convnet:v0"),
        ("train", "output", "trained-model:v0"),
        ("report", "input", "mnist-preprocess:v0"), ("report", "input", "trained-model:v0"),
    }
    assert store.artifact("artifacts-example/trained-model:v0").logged_by().job_type == "train"


@pytest.mark.slow
def test_tutorial_config_and_metrics_are_recorded(tutorial):
    store, runs, _ = tutorial
    assert runs["initialize"].config["hidden_layer_sizes"] == [32, 64]
    train = runs["train"]
    # train_config, then config.update(model_artifact.metadata)
    assert {"batch_size": 128, "epochs": 5, "batch_log_interval": 25, "optimizer": "Adam",
            "activation": "ReLU", "num_classes": 10}.items() <= train.config.items()
    history = store.history(train.id)
    train_rows = [r for r in history if "train/loss" in r]
    valid_rows = [r for r in history if "validation/accuracy" in r]
    assert [r["_step"] for r in train_rows] == [128 + 256 * e for e in range(5)]  # step=example_ct, batch 0
    assert [(r["_step"], r["epoch"]) for r in valid_rows] == [(256 * (e + 1), e) for e in range(5)]
    assert all(isinstance(r["validation/loss"], float) and 0 <= r["validation/accuracy"] <= 100
               for r in valid_rows)
    assert train.summary["validation/accuracy"] == valid_rows[-1]["validation/accuracy"]


@pytest.mark.slow
def test_tutorial_summary_of_tensors_holds_numbers(tutorial):
    _, runs, _ = tutorial
    summary = runs["report"].summary  # run.summary.update({"loss": <0-d tensor>, "accuracy": <0-d tensor>})
    assert type(summary["loss"]) is float and summary["loss"] > 0
    assert type(summary["accuracy"]) is float and 0 <= summary["accuracy"] <= 100


@pytest.mark.slow
def test_tutorial_logs_32_hard_example_images(tutorial):
    from PIL import Image as PILImage

    store, runs, _ = tutorial
    rows = [r for r in store.history(runs["report"].id) if "high-loss-examples" in r]
    assert len(rows) == 1
    images = rows[0]["high-loss-examples"]
    assert len(images) == 32
    for image in images:
        assert image["_type"] == "image-file"
        pred, label = image["caption"].split(",")
        assert pred.isdigit() and label.isdigit()
        with PILImage.open(store.media_path(runs["report"].id, image["path"])) as png:
            assert png.size == (28, 28)
    assert len({image["path"] for image in images}) == 32


@pytest.mark.slow
def test_tutorial_wandb_save_keeps_the_model_files_with_their_runs(tutorial):
    store, runs, work = tutorial
    for job_type, artifact, filename in (("initialize", "convnet", "initialized_model.pth"),
                                         ("train", "trained-model", "trained_model.pth")):
        kept = {f.path: f for f in runs[job_type].files()}
        assert list(kept) == [filename]
        logged = store.artifact(f"artifacts-example/{artifact}:latest").files()[0]
        assert (kept[filename].digest, kept[filename].size) == (logged.digest, logged.size)
        assert kept[filename].size == (work / filename).stat().st_size


@pytest.mark.slow
def test_tutorial_downloads_land_where_wandb_puts_them(tutorial):
    _, _, work = tutorial
    for name in ("mnist-raw:v0", "mnist-preprocess:v0", "convnet:v0", "trained-model:v0"):
        assert any((work / "artifacts" / name).iterdir()), name


@pytest.mark.slow
def test_api_reads_a_version_without_a_run(tutorial, tmp_path):
    store, _, work = tutorial
    version = wandb.Api(store=store.root).artifact("artifacts-example/trained-model:latest", type="model")
    assert (version.name, version.version, version.type) == ("trained-model:v0", "v0", "model")
    root = version.download(tmp_path / "model")
    assert isinstance(root, str)
    assert (Path(root) / "trained_model.pth").read_bytes() == (work / "trained_model.pth").read_bytes()
    same = wandb.Api(overrides={"project": "artifacts-example"}, store=store).artifact("trained-model:v0")
    assert same == version
    assert wandb.run is None


# -- module-level behaviour ---------------------------------------------------------------------------------
def test_run_globals_follow_init_and_finish(store):
    assert wandb.run is None
    with pytest.raises(wandb.UsageError, match=r"wandb.init\(\) before wandb.log\(\)"):
        wandb.log({"loss": 1.0})
    with pytest.raises(wandb.UsageError, match=r"before wandb.config.batch_size"):
        wandb.config.batch_size
    with wandb.init(project="p", job_type="train", config={"batch_size": 8}, store=store) as run:
        assert wandb.run is run
        assert wandb.config is run.config and wandb.summary is run.summary
        wandb.log({"loss": 0.5})
    assert wandb.run is None
    with pytest.raises(wandb.UsageError):
        wandb.summary.update({"x": 1})
    info = store.run("p", run.id)
    assert (info.state, info.job_type) == ("finished", "train")
    assert store.history(run.id) == [{"_step": 0, "loss": 0.5}]
    wandb.finish()  # no run: nothing to do, as in the SDK


def test_config_attribute_item_update_and_double_star(store):
    def build(batch_size, lr, layers):
        return batch_size, lr, layers

    run = wandb.init(project="p", config={"batch_size": 32, "lr": 0.1}, store=store)
    wandb.config.update({"layers": [1, 2]}, allow_val_change=True)
    wandb.config.lr = 0.01
    assert (wandb.config.batch_size, wandb.config["lr"]) == (32, 0.01)
    assert sorted(wandb.config.keys()) == ["batch_size", "layers", "lr"]
    assert build(**wandb.config) == (32, 0.01, [1, 2])
    with pytest.raises(AttributeError):
        wandb.config.missing
    wandb.finish()
    assert store.run("p", run.id).config == {"batch_size": 32, "lr": 0.01, "layers": [1, 2]}


def test_summary_turns_torch_and_numpy_scalars_into_numbers(store):
    import torch

    run = wandb.init(project="p", store=store)
    run.summary.update({"loss": torch.tensor(0.25), "acc": np.float32(0.5), "n": np.int64(3),
                        "grad": torch.tensor(2.0, requires_grad=True) * 2})
    wandb.summary["best"] = torch.tensor(7)
    wandb.log({"step_loss": torch.tensor(1.5)})
    wandb.finish()
    summary = store.run("p", run.id).summary
    assert summary == {"loss": 0.25, "acc": 0.5, "n": 3, "grad": 4.0, "best": 7, "step_loss": 1.5}
    assert type(summary["n"]) is int and type(summary["acc"]) is float


def test_log_commit_false_and_explicit_steps_merge_rows(store):
    run = wandb.init(project="p", store=store)
    wandb.log({"a": 1}, commit=False)
    wandb.log({"b": 2})
    wandb.log({"c": 3}, step=10)
    wandb.log({"d": 4}, step=10)
    wandb.finish()
    assert store.history(run.id) == [{"_step": 0, "a": 1, "b": 2}, {"_step": 10, "c": 3, "d": 4}]


def test_images_of_tensors_arrays_pil_and_files(store, tmp_path):
    from PIL import Image as PILImage

    pil = PILImage.new("RGB", (5, 4), "red")
    pil.save(tmp_path / "red.png")
    run = wandb.init(project="p", store=store)
    wandb.log({"imgs": [wandb.Image(np.zeros((1, 1, 6, 7), dtype=np.float32), caption="batch of one"),
                        wandb.Image(np.full((3, 3), 200, dtype=np.uint8)),
                        wandb.Image(pil, caption=3), wandb.Image(str(tmp_path / "red.png"))]})
    wandb.finish()
    images = store.history(run.id)[0]["imgs"]
    assert [(i["width"], i["height"], i["caption"]) for i in images] == [
        (7, 6, "batch of one"), (3, 3, None), (5, 4, "3"), (5, 4, None)]


def test_artifacts_use_log_and_download_as_the_sdk(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "notes.txt").write_text("n")
    with wandb.init(project="p", job_type="make", store=store) as run:
        art = wandb.Artifact("things", type="dataset", description="d", metadata={"k": 1})
        art.add_dir("data", name="data")
        art.add_file("notes.txt")
        with art.new_file("made.txt") as handle:
            handle.write("made")
        logged = run.log_artifact(art, aliases=["best", "latest"])
        assert logged.wait() is logged
    assert (logged.name, logged.version, logged.aliases) == ("things:v0", "v0", ["latest", "best"])
    with wandb.init(project="p", job_type="use", store=store) as run:
        used = wandb.use_artifact("things:best", type="dataset")
        root = used.download()
    assert root == str(tmp_path / "artifacts" / "things:v0")
    assert sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file()) == [
        "data/a.txt", "made.txt", "notes.txt"]
    assert used.metadata == {"k": 1} and used.description == "d"
    assert [r.job_type for r in store.artifact("p/things:v0").used_by()] == ["use"]


def test_kwargs_that_mean_nothing_offline_are_accepted_and_tags_kept(store):
    run = wandb.init(entity="team", project="p", mode="online", settings=wandb.Settings(start_method="thread"),
                     reinit=True, anonymous="allow", dir="/nonexistent/wandb", tags=["a", "b"], notes="first try",
                     group="sweep-1", resume=None, save_code=False, store=store)
    assert run.tags == ("a", "b")
    run.tags = run.tags + ("c",)
    run.notes = "second try"
    run.name = "renamed"
    wandb.finish()
    info = store.run("p", run.id)
    assert (info.tags, info.notes, info.group, info.name) == (["a", "b", "c"], "second try", "sweep-1", "renamed")
    assert wandb.login() is True


def test_unknown_keyword_is_a_type_error(store):
    with pytest.raises(TypeError, match="projekt"):
        wandb.init(projekt="p", store=store)


@pytest.mark.parametrize(("use", "feature"), [
    (lambda: wandb.watch(object()), "wandb.watch"),
    (lambda: wandb.sweep({}), "wandb.sweep"),
    (lambda: wandb.Histogram([1, 2]), "wandb.Histogram"),
    (lambda: wandb.Api().runs("p", filters={"state": "finished"}), "wandb.Api().runs(filters=...)"),
    (lambda: wandb.init(project="p", save_code=True), "wandb.init(save_code=True)"),
    (lambda: wandb.init(project="p", resume="must"), "wandb.init(resume='must')"),
    (lambda: wandb.Image(np.zeros((2, 2)), boxes={"b": {}}), "wandb.Image(boxes=...)"),
    (lambda: wandb.Artifact("a", type="dataset").add_reference("s3://b/k"), "wandb.Artifact.add_reference"),
])
def test_unsupported_features_fail_with_one_clear_error(use, feature):
    with pytest.raises(wandb.NotAvailableOfflineError) as caught:
        use()
    assert str(caught.value).startswith(f"{feature} is not available offline")
    assert isinstance(caught.value, core.ArtifactsError)
    assert wandb.run is None  # nothing was started


def test_unsupported_names_are_named_in_the_error(store):
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.plot is not available offline"):
        wandb.plot
    assert not hasattr(wandb, "plot")
    run = wandb.init(project="p", store=store)
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.Run\.log_code is not available offline"):
        run.log_code(".")
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.Run\.url "):
        run.url
    logged = run.log_artifact(wandb.Artifact("x", type="t"))
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.Artifact\.delete "):
        logged.delete()
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.Artifact\.url "):
        logged.url
    with pytest.raises(wandb.NotAvailableOfflineError, match=r"^wandb\.Artifact\.share_with_team "):
        logged.share_with_team()


def test_reinit_returns_or_finishes_the_previous_run(store):
    first = wandb.init(project="p", job_type="one", store=store)
    with pytest.warns(UserWarning, match="returning the previous run"):
        assert wandb.init(project="p", job_type="two", store=store) is first
    second = wandb.init(project="p", job_type="three", reinit="finish_previous", store=store)
    assert store.run("p", first.id).state == "finished"
    assert wandb.run is second
    beside = wandb.init(project="p", job_type="four", reinit="create_new", store=store)
    assert wandb.run is second and beside.state == "running"  # create_new leaves wandb.run alone, as the SDK
    beside.finish()
    second.finish()
    assert [r.job_type for r in store.runs("p")] == ["four", "three", "one"]


def test_an_exception_in_the_block_fails_the_run_and_clears_the_globals(store):
    with pytest.raises(RuntimeError):
        with wandb.init(project="p", store=store) as run:
            raise RuntimeError("boom")
    assert wandb.run is None
    info = store.run("p", run.id)
    assert (info.state, info.error) == ("failed", "RuntimeError: boom")


def test_save_policies_keep_the_files_final_content(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ckpt").mkdir()
    live, end, now = tmp_path / "ckpt" / "live.bin", tmp_path / "end.bin", tmp_path / "now.bin"
    live.write_bytes(b"epoch 0")
    now.write_bytes(b"once")
    run = wandb.init(project="p", store=store)
    assert wandb.save("ckpt/*.bin") == ["ckpt/live.bin"]
    assert wandb.save(str(now), policy="now") == [f"{tmp_path.name}/now.bin"]  # absolute: keeps its parent
    assert wandb.save("end.bin", policy="end") == ["end.bin"]  # not written yet: looked for at finish
    end.write_bytes(b"draft")
    live.write_bytes(b"epoch 1, longer")
    end.write_bytes(b"final")
    now.write_bytes(b"changed later")
    with pytest.raises(core.ValidationError, match="no such file"):
        wandb.save("missing.bin")
    with pytest.warns(UserWarning, match="matched no file"):
        assert wandb.save("*.missing") == []
    wandb.finish()
    kept = {f.path: f for f in store.run("p", run.id).files()}
    md5 = lambda data: __import__("base64").b64encode(hashlib.md5(data).digest()).decode()  # noqa: E731
    assert {p: f.digest for p, f in kept.items()} == {
        "ckpt/live.bin": md5(b"epoch 1, longer"), "end.bin": md5(b"final"), f"{tmp_path.name}/now.bin": md5(b"once")}


# -- as a script --------------------------------------------------------------------------------------------
def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "script.py"
    path.write_text("from core import wandb_compat as wandb\n" + textwrap.dedent(body))
    return path


def test_a_script_that_never_calls_finish_loses_nothing(tmp_path):
    script = _script(tmp_path, """
        run = wandb.init(project="p", job_type="forgetful")
        for step in range(3):
            wandb.log({"loss": 1.0 / (step + 1)})
        wandb.summary["best"] = 1
    """)
    done = _run_script(script, tmp_path, tmp_path / "store")
    assert done.returncode == 0, done.stderr
    store = core.open_store(tmp_path / "store")
    (info,) = store.runs("p")
    assert info.state == "finished" and info.summary["best"] == 1
    assert [r["_step"] for r in store.history(info.id)] == [0, 1, 2]


def test_a_script_killed_by_an_exception_marks_its_run_failed(tmp_path):
    script = _script(tmp_path, """
        wandb.init(project="p")
        wandb.log({"loss": 0.5})
        raise ValueError("bad batch")
    """)
    done = _run_script(script, tmp_path, tmp_path / "store")
    assert done.returncode == 1 and "ValueError: bad batch" in done.stderr
    (info,) = core.open_store(tmp_path / "store").runs("p")
    assert (info.state, info.error) == ("failed", "ValueError: bad batch")
    assert info.summary == {"loss": 0.5}


def test_importing_wandb_compat_loads_no_heavy_module(tmp_path):
    code = ("import sys; from core import wandb_compat as wandb; "
            "print(sorted(m for m in ('torch', 'wandb', 'textual', 'rich', 'numpy', 'PIL') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], env=_script_env(tmp_path / "store"), capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
