"""Fixtures of the store tests; the helpers they share are in tests/helpers/store.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def project() -> str:
    return "artifacts-example"


@pytest.fixture(autouse=True)
def _wandb_dirs_in_tmp(tmp_path_factory, monkeypatch):
    """The wandb SDK stages artifact files under ~/.local/share/wandb unless told otherwise: keep them in tmp."""
    base = tmp_path_factory.mktemp("wandb-dirs")
    for var in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(var, str(base / var.lower()))
