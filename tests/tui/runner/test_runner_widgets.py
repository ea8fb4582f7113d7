"""The runner's widgets as a user reads them: the chart's axes, ticks and legend (series told apart without colour),
the progress lines, and the hardest examples drawn as half-block pixels."""

from __future__ import annotations

import math
import time

from rich.style import Style

from core.pipeline.events import LoggedVersion, Metrics, Progress, StageFinished, StageStarted
from tui.runner.job_view import Job
from tui.widgets.image_grid import load_tiles, render_tiles
from tui.widgets.loss_chart import MARKERS, format_count, nice_ticks, render_chart
from tui.widgets.run_progress import progress_lines


def _plain(lines) -> list[str]:
    return [line.plain for line in lines]


def _braille(text: str) -> int:
    return sum(1 for ch in text if 0x2801 <= ord(ch) <= 0x28FF)


TRAIN = [(64 * i, 2.3 * math.exp(-i / 20) + 0.1) for i in range(1, 120)]
VALID = [(64 * 40, 0.9), (64 * 80, 0.4), (64 * 119, 0.3)]


def test_chart_has_axes_ticks_and_a_legend_in_half_an_80_column_pane():
    lines = _plain(render_chart("loss", {"train/loss": TRAIN, "validation/loss": VALID}, 39, 10))
    assert len(lines) == 10 and all(len(line) <= 39 for line in lines)
    legend, plot, axis, labels = lines[0], lines[1:-2], lines[-2], lines[-1]
    assert "train" in legend and "validation" in legend and "0.3" in legend  # names and last values
    # y ticks: numbers on the left, decreasing downwards, each on a row marked ┤
    ticks = [float(line.split("┤")[0]) for line in plot if "┤" in line]
    assert len(ticks) >= 3 and ticks == sorted(ticks, reverse=True)
    assert ticks[0] >= max(y for _, y in TRAIN) and ticks[-1] <= min(y for _, y in TRAIN)
    # x axis: a baseline with tick marks, labelled in examples seen
    assert axis.strip().startswith("└") and axis.count("┬") >= 3
    assert labels.split()[0] == "0" and any(label.endswith("k") for label in labels.split())


def test_series_are_told_apart_by_shape_not_only_colour():
    lines = _plain(render_chart("loss", {"train/loss": TRAIN, "validation/loss": VALID}, 60, 16))
    plot = "\n".join(lines[1:-2])
    assert plot.count(MARKERS[0]) == len(VALID)  # one marker per validation point
    assert _braille(plot) > 30  # the training loss is a braille line
    assert lines[0].index("⠤") < lines[0].index("train") < lines[0].index(MARKERS[0]) < lines[0].index("validation")


def test_many_points_keep_their_spikes_and_reach_the_right_edge():
    points = [(i, 1.0) for i in range(50_000)]
    points[25_000] = (25_000, 5.0)  # one spike among 50k points
    lines = _plain(render_chart("loss", {"train/loss": points}, 40, 12))
    plot = [line.split("┤", 1)[-1].split("│", 1)[-1] for line in lines[1:-2]]
    assert _braille(plot[0]) >= 1  # the spike reaches the top row
    bottom_rows = "".join(row[-1:] for row in plot)
    assert _braille(bottom_rows) >= 1  # the line runs to the last column


def test_awkward_data_renders_without_errors():
    for series in ({}, {"a": [(0, 1.0)]}, {"a": [(5, 2.0), (5, 2.0)]}, {"a": [(0, float("nan")), (1, math.inf)]},
                   {"a": [(0, -3.0), (10, 1e7)]}):
        lines = render_chart("m", series, 30, 8)
        assert 1 <= len(lines) <= 8 and all(line.cell_len <= 30 for line in lines)
    assert _plain(render_chart("m", {}, 30, 8))[1] == "waiting for data…"
    assert render_chart("m", {"a": [(0, 1.0)]}, 30, 2)  # too small for a plot: still a title


def test_nice_ticks_and_counts():
    ticks, step = nice_ticks(0.13, 2.4, 6)
    assert step == 0.5 and ticks[0] <= 0.13 and ticks[-1] >= 2.4
    inside, _ = nice_ticks(0, 3591, 3, inside=True)
    assert all(0 <= t <= 3591 for t in inside) and len(inside) >= 3
    assert [format_count(v) for v in (0, 950, 1200, 60_000, 1_500_000)] == ["0", "950", "1.2k", "60k", "1.5M"]


def _training_job() -> Job:
    job = Job(key=1, title="train", project="p", state="running", epochs=5, started_at=time.time() - 30)
    job.apply(StageStarted("train", "p", "abc123", ("convnet:v0",)))
    job.device = "cpu"
    job.set_progress(Progress("train", 100, 470, "batch", 1))
    job._rate_origin = (time.time() - 20, 0)
    job.set_progress(Progress("train", 120, 470, "batch", 1))
    job.apply(Metrics("train", 7_680, {"train/loss": 0.4, "epoch": 1}))
    return job


def test_progress_lines_show_batches_epochs_elapsed_eta_and_device():
    head, bar, tail = _plain(progress_lines(_training_job(), 80))
    assert "train" in head and "running" in head and "abc123" in head and "device cpu" in head
    assert "━" in bar and "─" in bar and "120/470 batches" in bar and "26%" in bar
    assert "epoch 2/5" in tail and "7,680 examples" in tail and "elapsed 00:30" in tail
    eta = tail.split("ETA ")[1].strip()
    assert eta != "--:--" and 50 <= int(eta[:2]) * 60 + int(eta[3:5]) <= 60  # 350 batches left at 6 a second


def test_finished_and_failed_jobs_say_what_happened():
    job = _training_job()
    job.apply(StageFinished("train", "p", "abc123", (LoggedVersion("p", "trained-model", "v3", "model"),)))
    job.state = "finished"
    assert job.versions_logged == ["trained-model:v3"]
    failed = _training_job()
    failed.state, failed.error = "failed", "RuntimeError: CUDA out of memory\x1b[31m " + "x" * 200
    head, *error = _plain(progress_lines(failed, 60))
    assert "failed" in head and "elapsed" in head
    assert error[0].startswith("RuntimeError: CUDA out of memory␛[31m") and len(error) == 2
    assert all(len(line) <= 60 for line in error)


def test_hardest_examples_are_drawn_as_half_block_pixels_with_safe_captions(store):
    import numpy as np

    import core

    square = np.zeros((24, 24), dtype=np.uint8)
    square[:14, :] = 255  # drawn at 12x12: rows 0-6 white, 7-11 black
    with core.init(project="p", job_type="report", store=store) as run:
        run.log({"high-loss-examples": [core.Image(square, caption="7,1"),
                                        core.Image(square, caption="[red]3\x1b,8")]})
    (row,) = store.history(run.id)
    rows = row["high-loss-examples"] + [{"path": "../../store.db", "caption": "bad"}]
    tiles = load_tiles(store, run.id, rows)
    assert [t.caption for t in tiles] == ["7,1", "[red]3\x1b,8", "bad"]
    assert tiles[2].pixels == () and tiles[2].problem == "unreadable"  # a path outside the run's media is refused
    lines = render_tiles(tiles, 80)
    text = "\n".join(line.plain for line in lines)
    assert "7,1" in text and "[red]3␛,8" in text and "\x1b" not in text and "unreadable" in text
    top = lines[0]
    cell = next(span for span in top.spans if span.start == 0)
    style = cell.style if isinstance(cell.style, Style) else Style.parse(cell.style)
    assert top.plain[0] == "▀" and style.color.triplet == (255, 255, 255) and style.bgcolor.triplet == (255, 255, 255)
    middle = lines[3]  # pixel rows 6 (white) and 7 (black) share this line
    middle_style = next(span for span in middle.spans if span.start == 0).style
    assert middle_style.color.triplet == (255, 255, 255) and middle_style.bgcolor.triplet == (0, 0, 0)
