"""The lineage model read from a real store (`artifacts-tui lineage` printing it: tests/cli/test_lineage_cmd.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import core
from core.lineage import draw, view
from core.lineage.build import build_graph, version_ref_id
from tests.helpers.lineage_tutorial import PROJECT, build_tutorial_store, tutorial_graph

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def tutorial_store():
    store = core.open_store()  # the default home: ARTIFACTS_TUI_HOME, isolated per test
    build_tutorial_store(store)
    return store


def test_store_graph_is_the_tutorial_graph(tutorial_store):
    built = build_graph(tutorial_store, PROJECT)
    expected = tutorial_graph()
    assert list(built.nodes) == list(expected.nodes)
    assert {n.id: n.text for n in built.nodes.values()} == {n.id: n.text for n in expected.nodes.values()}
    assert set(built.edges) == set(expected.edges)


def test_store_graph_draws_like_the_golden(tutorial_store):
    built = build_graph(tutorial_store, PROJECT)
    for level in ("type", "version"):
        golden = (GOLDEN / f"tutorial-{level}-80-unicode.txt").read_text(encoding="utf-8")
        assert draw(view(built, level), 80) == golden


def test_version_ref_id():
    assert version_ref_id("p/mnist-raw:v3") == "version:p/mnist-raw:v3"
    with pytest.raises(ValueError):
        version_ref_id("p/mnist-raw:latest")
