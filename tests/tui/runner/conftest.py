"""Fixtures of the runner's tests: a store that already holds the tutorial's data and model, built once, so that a
test can train without re-running the first stages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.runner.launch_request import LaunchRequest, run_request


@pytest.fixture(scope="session")
def prepared_template(tmp_path_factory) -> Path:
    """A store with mnist-raw, mnist-preprocess and convnet logged from the digits dataset (built once)."""
    import core

    root = tmp_path_factory.mktemp("runner-template")
    store = core.open_store(root / "store")
    run_request(LaunchRequest(stage="load-data"), store=store, download_root=root / "downloads")
    run_request(LaunchRequest(stage="preprocess-data"), store=store, download_root=root / "downloads")
    run_request(LaunchRequest(stage="initialize"), store=store, download_root=root / "downloads")
    return root / "store"


@pytest.fixture
def prepared_store(prepared_template, tmp_path):
    import core

    shutil.copytree(prepared_template, tmp_path / "prepared")
    return core.open_store(tmp_path / "prepared")
