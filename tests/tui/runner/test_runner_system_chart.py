"""The system metrics a run records (`system/...` rows: CPU, RSS, GPU utilisation and memory) are charted beside its
loss in the runner, legibly in an 80x24 pane, from the store alone: the run here is written through core in this
process, as another shell's training would write it (no torch child)."""

from __future__ import annotations

import time

import core
from core import writes
from core.system_metrics import SystemSampler
from tests.helpers.runner import RunnerApp, screen_text, wait_until
from tui.widgets.loss_chart import LossChart

SAMPLES = 30  # every 5 s: two and a half minutes, so the time axis reads in minutes


def _system_row(i: int) -> dict:
    return {"system/cpu_percent": 97.0, "system/rss_mb": 512.0 + i, "system/memory_percent": 2.0,
            "system/gpu.0.gpu_percent": 40.0 + 2 * i, "system/gpu.0.memory_allocated_mb": 8192.0,
            "system/gpu.0.memory_total_mb": 81920.0}


async def test_system_samples_are_charted_beside_the_loss_at_80x24(store, tmp_path, monkeypatch):
    # only the rows written below: the test process's own sampler stays out of the chart
    monkeypatch.setattr(SystemSampler, "sample", lambda self: {})
    run = core.init(project="elsewhere", job_type="train", config={"epochs": 3}, store=store)
    try:
        for step in range(64, 64 * 40, 64):
            run.log({"train/loss": 1000.0 / step, "epoch": 0}, step=step)
        run.flush()
        t0 = time.time()
        writes.append_history(store, run._pk, [], None,
                              system=[(t0 + 5.0 * i, _system_row(i)) for i in range(SAMPLES)])
        app = RunnerApp(store, tmp_path / "downloads")
        async with app.run_test(size=(80, 24)) as pilot:
            chart = app.screen.query_one("#runner-system", LossChart)
            await wait_until(pilot, lambda: len(chart.series.get("gpu", [])) == SAMPLES, timeout=30,
                             what="the run's system samples on the chart")
            await pilot.pause()
            assert list(chart.series) == ["gpu", "vram", "cpu", "ram"]  # the GPU first: the solid line
            assert chart.series["vram"][-1][1] == 10.0  # 8 of 80 GiB, as a share
            loss = app.screen.query_one("#runner-loss", LossChart)
            assert chart.display and chart.region.width >= 24 and loss.region.width >= 24
            assert chart.region.y == loss.region.y and chart.region.x > loss.region.x  # beside the loss

            text = screen_text(app)
            assert "system  ⠤⠤ gpu 98" in text and "◆ vram 10" in text  # legend: names and last values
            axis = [line for line in text.splitlines() if "0s" in line or "1m" in line][-1]
            assert "1m" in axis and "2m" in axis  # time since the run started, in minutes
            plot = "".join(line[loss.region.right:] for line in text.splitlines()[chart.region.y:chart.region.bottom])
            assert sum(0x2801 <= ord(ch) <= 0x28FF for ch in plot) > 20  # a braille line
            assert "100┤" in text  # shares on a 0-100 scale
            assert "RSS 541 MB · GPU0 8.0/80 GiB" in text  # the memory in units on the progress line
            assert all(len(line) <= 80 for line in text.splitlines())
    finally:
        run.finish()


def test_the_sampler_gives_memory_as_a_share_of_ram_too():
    row = SystemSampler().sample()
    assert row["system/rss_mb"] > 0 and 0 < row["system/memory_percent"] < 100
    assert "system/cpu_percent" in row
