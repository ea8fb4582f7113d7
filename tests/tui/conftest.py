"""Fixtures for the TUI tests: a small real store built through the public API and an app on it with a frozen
clock. The helpers the tests call (`settle`, `open_version`, `screen_text`, ...) are in tests/helpers/app.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers.app import build_demo_store, frozen_clock
from tui.app import ArtifactsApp


@pytest.fixture(autouse=True)
def _venv_on_path(monkeypatch):
    """As in an activated venv: `artifacts-tui` is on PATH, so hints name it plainly (the same on every machine)."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def demo_store(store):
    build_demo_store(store)
    return store


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    # The Files tab's "downloaded" column looks at ./artifacts/name:vN: run in a directory of the test's own.
    monkeypatch.chdir(tmp_path)

    def make(store, **kwargs) -> ArtifactsApp:
        if "clock" not in kwargs:  # not setdefault: frozen_clock reads every version (100k in the big stores)
            kwargs["clock"] = frozen_clock(store) if store.projects() else None
        kwargs.setdefault("poll_interval", 0.5)
        return ArtifactsApp(store=store, **kwargs)

    return make
