"""Hostile strings and files in every field: each is refused with a ValidationError (nothing written) or stored and
read back exactly; never a UnicodeEncodeError, RecursionError or raw OSError."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core
from tests.helpers.store import store_snapshot, write_tree

SURROGATE = "bad\udcff"


@pytest.fixture
def run(store):
    r = core.init(project="p", store=store)
    yield r
    r.finish()


def test_percent_encoded_traversal_nested_six_deep_is_refused():
    deep = ".."
    for _ in range(6):
        deep = deep.replace("%", "%25").replace(".", "%2e")
    with pytest.raises(core.ValidationError, match=r"\.\."):
        core.names.check_path(f"{deep}/{deep}/etc/passwd")


@pytest.mark.parametrize("field", ["description", "type", "alias", "project", "job_type", "run name", "path",
                                   "metadata value", "metadata key"])
def test_a_lone_surrogate_in_any_field_is_a_validation_error_and_writes_nothing(store, tmp_path, field):
    data = write_tree(tmp_path / "d", {"f.txt": "x"})
    before = store_snapshot(store)
    with pytest.raises(core.ValidationError):
        if field in ("project", "job_type", "run name"):
            kwargs = {"project": SURROGATE} if field == "project" else (
                {"job_type": SURROGATE} if field == "job_type" else {"name": SURROGATE})
            core.init(project=kwargs.pop("project", "p"), store=store, **kwargs)
        else:
            with core.init(project="p", store=store) as r:
                art = core.Artifact("a", type=SURROGATE if field == "type" else "dataset",
                                    description=SURROGATE if field == "description" else None,
                                    metadata={"k": SURROGATE} if field == "metadata value" else (
                                        {SURROGATE: 1} if field == "metadata key" else None))
                art.add_file(data / "f.txt", name=SURROGATE if field == "path" else None)
                r.log_artifact(art, aliases=[SURROGATE] if field == "alias" else [])
    after = store_snapshot(store)
    assert after["versions"] == before["versions"] and after["files"] == before["files"]  # no orphan blob either


def test_a_directory_holding_a_name_that_is_not_utf8_is_refused_naming_it(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.txt").write_text("ok")
    with open(os.path.join(os.fsencode(tree), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"x")
    art = core.Artifact("a", type="dataset")
    with pytest.raises(core.ValidationError, match="not UTF-8"):
        art.add_dir(tree)
    assert art.sources() == {}


def test_metadata_nested_3000_deep_or_self_referential_is_refused():
    deep: dict = {}
    node = deep
    for _ in range(3000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(core.ValidationError, match="nested"):
        core.Artifact("a", type="dataset", metadata=deep)
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(core.ValidationError, match="nested"):
        core.Artifact("a", type="dataset", metadata=loop)


def test_a_huge_integer_in_metadata_is_refused():
    with pytest.raises(core.ValidationError, match="digits"):
        core.Artifact("a", type="dataset", metadata={"n": 10 ** 5000})


def test_a_file_and_a_directory_at_one_path_are_refused_when_built(tmp_path):
    data = write_tree(tmp_path / "d", {"f.txt": "x"})
    art = core.Artifact("a", type="dataset")
    art.add_file(data / "f.txt", name="a")
    with pytest.raises(core.ValidationError, match="already a file"):
        art.add_file(data / "f.txt", name="a/b")
    other = core.Artifact("b", type="dataset")
    other.add_file(data / "f.txt", name="a/b")
    with pytest.raises(core.ValidationError, match="directory"):
        other.add_file(data / "f.txt", name="a")


def test_a_name_component_over_255_bytes_is_refused_when_built(tmp_path):
    data = write_tree(tmp_path / "d", {"f.txt": "x"})
    art = core.Artifact("a", type="dataset")
    with pytest.raises(core.ValidationError, match="255"):
        art.add_file(data / "f.txt", name="é" * 128)  # 256 bytes in UTF-8


def test_a_symlink_loop_in_add_dir_says_what_to_do(tmp_path):
    tree = write_tree(tmp_path / "tree", {"ok.txt": "ok"})
    os.symlink(tree / "loop-a", tree / "loop-b")
    os.symlink(tree / "loop-b", tree / "loop-a")
    os.symlink(tree / "self", tree / "self")
    art = core.Artifact("a", type="dataset")
    with pytest.raises(core.ValidationError, match="nothing was added"):
        art.add_dir(tree)
    assert art.sources() == {}


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=texts, key=texts, value=texts)
def test_any_text_in_description_and_metadata_round_trips_exactly(run, description, key, value):
    art = core.Artifact("round-trip", type="dataset", description=description, metadata={key: value})
    with art.new_file("f.txt", mode="w") as handle:
        handle.write(description)
    version = run.log_artifact(art)
    stored = run.store.artifact(f"p/round-trip:{version.version}")
    assert stored.description == description  # the content is the description: same content, same description
    if version.logged_by() is None or stored.metadata == {key: value}:
        return
    assert stored.metadata == version.metadata  # re-logged content keeps the first metadata (API.md: dedup)
