"""Objects in artifacts through `from core import wandb_compat as wandb`: `wandb.Table` and `wandb.Image` stored in
the wandb SDK's own layout, checked against what the real SDK (installed, offline, no run) builds from the same
data, and read back by the SDK's own classes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import core
from core import wandb_compat as wandb


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    monkeypatch.delenv("WANDB_ARTIFACT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # ./artifacts of every download lands here
    yield
    for active in list(wandb._active):
        active.finish()


@pytest.fixture(scope="module")
def sdk():
    import wandb as real

    return real


PIXELS = [np.full((4, 5), 40 * i, dtype=np.uint8) for i in range(3)]


def predictions(mod):
    """The same predictions table built with either module: ids, images, scores, labels (one missing)."""
    table = mod.Table(columns=["id", "image", "score", "label"])
    for i, pixels in enumerate(PIXELS):
        table.add_data(i, mod.Image(pixels, caption=f"digit {i}"), 0.5 * i, None if i == 1 else "cat")
    return table


def built(mod):
    art = mod.Artifact("preds", type="predictions")
    art.add(predictions(mod), "eval_table")
    art.add(mod.Image(PIXELS[0]), "first")
    return art


def test_a_table_is_stored_in_the_sdks_layout_byte_for_byte(sdk, store):
    ours, theirs = built(wandb), built(sdk)
    assert {p: (e.digest, e.size) for p, e in ours.manifest.entries.items()} == {
        p: (e.digest, e.size) for p, e in theirs.manifest.entries.items()}
    assert sorted(ours.manifest.entries)[0] == "eval_table.table.json"
    assert {p.split("/")[0] for p in ours.manifest.entries} == {"eval_table.table.json", "first.image-file.json",
                                                                "media"}
    assert ours.digest == theirs.digest
    with wandb.init(project="p", store=store) as run:
        run.log_artifact(ours)
    assert store.artifact("p/preds:v0").digest == theirs.digest
    root = ours.download()
    with open(theirs.manifest.entries["eval_table.table.json"].local_path) as handle:
        expected = json.load(handle)
    with open(os.path.join(root, "eval_table.table.json")) as handle:
        assert json.load(handle) == expected


def test_the_sdks_own_table_class_reads_what_was_stored(sdk, store):
    with wandb.init(project="p", store=store) as run:
        run.log_artifact(built(wandb))
    logged = wandb.Api(store=store).artifact("p/preds:latest")
    with open(logged.get_entry("eval_table").download()) as handle:
        table = sdk.Table.from_json(json.load(handle), logged)
    assert table.columns == ["id", "image", "score", "label"]
    assert table.get_column("score") == [0.0, 0.5, 1.0] and table.get_column("label") == ["cat", None, "cat"]
    images = table.get_column("image")
    assert [(i.image.size, i._caption) for i in images] == [((5, 4), f"digit {n}") for n in range(3)]
    assert np.array_equal(np.asarray(images[2].image), PIXELS[2])


def test_get_returns_the_table_and_the_image_as_added(sdk, store):
    art = built(wandb)
    with wandb.init(project="p", store=store) as run:
        run.log_artifact(art)
    with wandb.init(project="p", job_type="evaluate", store=store) as run:
        used = run.use_artifact("preds:latest")
        table = used.get("eval_table")
        assert table == used["eval_table"] == predictions(sdk)  # the SDK's equality: columns, types, cells
        assert isinstance(table, wandb.Table) and isinstance(table, sdk.Table)
        assert [row[0] for row in table.data] == [0, 1, 2]
        assert table.get_column("id", convert_to="numpy").tolist() == [0, 1, 2]
        first = used.get("first")
        assert isinstance(first, sdk.Image) and np.array_equal(np.asarray(first.image), PIXELS[0])
        assert used.get("no-such-object") is None
    assert len(os.listdir(os.path.join("artifacts", "preds:v0", "media", "images"))) == 3  # came along with get


def test_table_building_is_the_sdks(sdk):
    table = wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
    table.add_column("c", [True, False])
    assert table.columns == ["a", "b", "c"] and table.data == [[1, "x", True], [2, "y", False]]
    assert table.get_column("a") == [1, 2]
    with pytest.raises(TypeError):  # the SDK's column type check: "b" holds strings
        table.add_data(3, 4.5, True)
    with pytest.raises(ValueError, match="expects 3 columns"):
        table.add_data(1)
    from_array = wandb.Table(columns=["x", "y"], data=np.arange(6).reshape(3, 2))
    assert from_array.get_column("y") == [1, 3, 5]
    assert wandb.Table(columns=["img"], data=[[wandb.Image(PIXELS[1])]]).data[0][0].image.size == (5, 4)


def test_dataframes_in_and_out_where_pandas_is_installed():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    table = wandb.Table(dataframe=frame)
    assert table.columns == ["a", "b"] and table.get_dataframe().equals(frame)


def test_adding_objects_follows_the_sdks_rules(sdk, tmp_path):
    art = wandb.Artifact("objs", type="dataset")
    table = wandb.Table(columns=["a"], data=[[1]])
    first = art.add(table, "t")
    assert (first.path, art.add(table, "other")) == ("t.table.json", first)  # the same object: one entry
    assert art.add(wandb.Table(columns=["a"], data=[[2]]), "t").digest == first.digest  # taken: kept
    replaced = art.add(wandb.Table(columns=["a"], data=[[3]]), "t", overwrite=True)
    assert replaced.digest != first.digest and art.manifest.entries["t.table.json"].digest == replaced.digest
    art["img"] = wandb.Image(PIXELS[2])
    assert "img.image-file.json" in art.manifest.entries
    with pytest.raises(TypeError, match="expected one of"):
        art.add({"not": "a wandb object"}, "x")
    with pytest.raises(sdk.sdk.artifacts.exceptions.ArtifactNotLoggedError, match="Artifact.get"):
        art.get("t")
    staging = sdk.sdk.artifacts.staging.get_staging_dir()
    assert not os.path.isdir(staging) or os.listdir(staging) == []  # the SDK's staged copies are taken and gone


def test_a_table_in_run_log_goes_into_a_run_table_artifact(store):
    with wandb.init(project="p", store=store) as run:
        wandb.log({"preds": wandb.Table(columns=["x", "y"], data=[[1, 2], [3, 4]]), "loss": 0.5})
    row = store.history(run.id)[0]
    assert row["loss"] == 0.5
    cell = row["preds"]
    assert (cell["_type"], cell["path"], cell["ncols"], cell["nrows"]) == ("table-file", "preds.table.json", 2, 2)
    logged = wandb.Api(store=store).artifact(f"p/run-{run.id}-preds:latest", type="run_table")
    assert logged.get("preds").data == [[1, 2], [3, 4]]
    assert [a.name for a in wandb.Api(store=store).run(f"p/{run.id}").logged_artifacts()] == [
        f"run-{run.id}-preds:v0"]


def test_an_sdk_image_read_from_an_artifact_can_be_logged_again(store):
    art = wandb.Artifact("imgs", type="dataset")
    art.add(wandb.Image(PIXELS[1], caption="one"), "one")
    with wandb.init(project="p", store=store) as run:
        run.log_artifact(art)
        image = run.use_artifact("imgs:v0").get("one")
        run.log({"again": image, "both": [image, wandb.Image(PIXELS[0])]})
    row = store.history(run.id)[0]
    assert row["again"]["_type"] == "image-file" and row["again"]["caption"] == "one"
    assert [i["width"] for i in row["both"]] == [5, 5]
    assert isinstance(core.open_store(store.root).media_path(run.id, row["again"]["path"]), os.PathLike)
