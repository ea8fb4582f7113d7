"""The runs view: the table (created, runtime, sort, filter, group by pipeline, stable metric columns, pages), a
run's tabs (config, summary, artifacts, chart), several runs compared in one chart, and jumps to and from versions."""

from __future__ import annotations

import threading
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widgets import OptionList
from textual.worker import WorkerCancelled

import core
from tests.helpers.app import move_to_run, open_version, screen_text, wait_until
from tests.helpers.app import settle as settle_once
from tui.screens.runs import COMPARE_SAMPLES, RunsScreen
from tui.widgets.artifact_tree import ArtifactTree
from tui.widgets.loss_chart import LossChart
from tui.widgets.run_details import RunDetails
from tui.run_query import ROW_PAGE, ViewSpec, build_view, format_runtime, matches, parse_filter, summary_keys
from tui.widgets.run_table import RunTable

# name, job type, group, config, summary, runtime (s), hours before the newest demo run
PIPELINE_RUNS = [
    ("train-a-fast", "train", "pipeline-a", {"lr": 0.01, "opt": {"name": "adam"}}, {"accuracy": 95.0, "loss": 0.05},
     65, 4),
    ("train-a-slow", "train", "pipeline-a", {"lr": 0.001, "opt": {"name": "sgd"}}, {"accuracy": 91.0, "loss": 0.2},
     3700, 3),
    ("train-b-fast", "train", "pipeline-b", {"lr": 0.01}, {"accuracy": 93.0, "loss": 0.1}, 300, 2),
    ("eval-b", "evaluate", "pipeline-b", {}, {"accuracy": 92.0}, 20, 1),
]


def add_pipeline_runs(store) -> None:
    """Two pipelines (W&B groups) beside the demo's three ungrouped runs; the train runs log 20 steps of train/loss
    and val/acc. Times are set in the rows so that ages and runtimes read the same on every machine."""
    newest = max(run.created_at for run in store.runs("demo")).timestamp()
    for i, (name, job, group, config, summary, runtime, hours) in enumerate(PIPELINE_RUNS):
        with core.init(project="demo", job_type=job, name=name, id=f"pipe{i:04d}", group=group, config=config,
                       store=store) as run:
            if job == "train":
                for step in range(20):
                    run.log({"train/loss": (i + 1) / (step + 1), "val/acc": 80 + i + step / 2}, step=step)
            run.summary.update(summary)
        created = newest - hours * 3600
        with store.db.write() as conn:
            conn.execute("UPDATE runs SET created_at = ?, updated_at = ?, heartbeat_at = ? WHERE run_id = ?",
                         (created, created + runtime, created + runtime, f"pipe{i:04d}"))


@pytest.fixture
def pipelines_store(demo_store):
    add_pipeline_runs(demo_store)
    return demo_store


def names(app) -> list[str]:
    """The first cell of every row, top to bottom (headers and the "more" row included)."""
    table = app.screen.query_one(RunTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


def marked_rows(app) -> list[str]:
    """The rows whose label column shows the mark."""
    table = app.screen.query_one(RunTable)
    return [table.get_row_at(i)[0].plain for i, row in enumerate(table.ordered_rows) if row.label.plain == "*"]


def columns(app) -> list[str]:
    return [column.label.plain for column in app.screen.query_one(RunTable).ordered_columns]


def header_line(app) -> str:
    return next(line for line in screen_text(app).splitlines() if "Name" in line and "State" in line)


def status_line(app) -> str:
    return app.screen.query_one("#runs-status").render().plain


async def settle(pilot) -> None:
    """`settle`, also when fast keys made newer store calls cancel older ones while it waited on them."""
    for _ in range(20):
        try:
            return await settle_once(pilot)
        except WorkerCancelled:
            await pilot.pause()
    raise AssertionError("the app never settled")


async def burst(pilot, *keys: str) -> None:
    """Keys as a paste, tmux send-keys or a fast typist over SSH deliver them: all queued before the app handles
    the first (`pilot.press` waits for the app after each key), then a settle."""
    app = pilot.app
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
    await settle(pilot)


async def open_runs(pilot) -> None:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)


def test_filter_words_sort_order_and_metric_columns():
    class Run:  # what the pure functions read of a core.RunInfo
        def __init__(self, name, state="finished", job="train", group=None, config=None, summary=None, age=0):
            self.id, self.name, self.state, self.job_type, self.group = name.upper(), name, state, job, group
            self.config, self.summary, self.tags = config or {}, summary or {}, []
            self.created_at = datetime(2025, 1, 1, tzinfo=timezone.utc) - timedelta(hours=age)
            self.updated_at = self.heartbeat_at = self.created_at + timedelta(seconds=60 * age)

    a = Run("alpha", config={"lr": 0.01, "opt": {"name": "adam"}}, summary={"acc": 0.9, "loss": 0.3}, group="g1")
    b = Run("beta", state="running", config={"lr": 0.001}, summary={"acc": 0.7}, age=1, group="g1")
    c = Run("gamma", state="failed", job="eval", config={"lr": "0.01"}, summary={"loss": 0.1, "f1": 0.5}, age=2)

    def kept(text):
        return [run.name for run in (a, b, c) if matches(run, parse_filter(text))]

    assert kept("state:run") == ["beta"] and kept("state:failed,running") == ["beta", "gamma"]
    assert kept("lr=0.01") == ["alpha", "gamma"]          # a number, or text that reads as one
    assert kept("lr>0.005 job:train") == ["alpha"] and kept("lr!=0.01") == ["beta"]
    assert kept("opt.name=ADAM") == ["alpha"] and kept("acc<0.8") == ["beta"] and kept("f1=") == ["gamma"]
    assert kept("-state:failed et") == ["beta"] and kept("group:g1 alp") == ["alpha"]
    assert kept('name:"gam') == ["gamma"]                  # an unclosed quote while typing
    now = datetime(2025, 1, 1, 1, tzinfo=timezone.utc)

    def order(**spec):
        return [row.name if hasattr(row, "state") else f"[{row.name}]"
                for row in build_view([a, b, c], ViewSpec(**spec), now).rows]

    assert order() == ["alpha", "beta", "gamma"]           # newest first, as the store gives them
    assert order(sort="m:acc") == ["alpha", "beta", "gamma"] and order(sort="m:acc", descending=False) == [
        "beta", "alpha", "gamma"]                          # a run without the metric is last either way
    assert order(sort="runtime") == ["beta", "gamma", "alpha"]  # running: to now (1 h); gamma: 2 min; alpha: 0
    assert order(sort="state", descending=False) == ["beta", "gamma", "alpha"]
    assert order(grouped=True) == ["[g1]", "alpha", "beta", "[None]", "gamma"]
    assert order(grouped=True, collapsed=frozenset({"\0group:g1"})) == ["[g1]", "[None]", "gamma"]
    assert order(limit=2) == ["alpha", "beta"] and build_view([a, b, c], ViewSpec(limit=2), now).more == 1
    assert [format_runtime(s) for s in (5, 65, 3700, 90000)] == ["5s", "1m05s", "1h01m", "1d01h"]
    # metric columns: the keys most runs share; once shown they keep their place while they are still there
    assert summary_keys([a, b, c]) == ["acc", "loss", "f1"]
    assert summary_keys([c], previous=["acc", "loss"]) == ["loss", "f1"]
    assert summary_keys([a, b, c], previous=["f1"]) == ["f1", "acc", "loss"]


@pytest.mark.slow
async def test_sort_and_filter_from_the_keyboard_at_80x24(pipelines_store, make_app):
    app = make_app(pipelines_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "/ Filter" in footer and "s Sort" in footer
        header = header_line(app)
        assert "Created▼" in header and "Runtime" in header and "accuracy" in header and "loss" in header
        assert names(app) == ["eval-broken", "train-convnet", "load-digits", "eval-b", "train-b-fast",
                              "train-a-slow", "train-a-fast"]
        rows = {line.split()[0]: line for line in screen_text(app).splitlines() if line.split()}
        assert "2h" in rows["train-b-fast"] and "5m00s" in rows["train-b-fast"] and "93" in rows["train-b-fast"]
        assert "7 runs" in status_line(app) and "sort Created▼" in status_line(app)

        await pilot.press("s")  # the next column: runtime, longest first
        await settle(pilot)
        assert "Runtime▼" in header_line(app) and "Created▼" not in header_line(app)
        assert names(app)[0] == "train-a-slow" and "1h01m" in screen_text(app)
        await burst(pilot, "s", "S")  # accuracy, then the other way: lowest first, a run without one last
        assert "accuracy▲" in header_line(app) and "sort accuracy▲" in status_line(app)
        assert names(app) == ["load-digits", "train-a-slow", "eval-b", "train-b-fast", "train-a-fast",
                              "train-convnet", "eval-broken"]

        # the metric columns stay the same whatever run is highlighted
        table = app.screen.query_one(RunTable)
        shown = columns(app)
        assert shown == ["Name", "Job", "State", "Created", "Runtime", "accuracy▲", "loss"]
        for _ in range(table.row_count):
            await pilot.press("down")
            await pilot.pause()
            assert columns(app) == shown
        await settle(pilot)
        assert columns(app) == shown and app.screen.query_one(RunDetails).run_id == "eval0001"  # the last row

        # a filter typed fast, and keys that act on its rows straight away (its letters are no commands: l, r)
        await burst(pilot, "slash", *"state:fin lr=0.01 train", "enter", "down", "space")
        assert type(app.screen).__name__ == "RunsScreen"
        assert names(app) == ["train-b-fast", "train-a-fast"]
        assert "2 of 7 runs match state:fin lr=0.01 train" in status_line(app)
        assert "1 marked" in status_line(app)
        marked = next(line for line in screen_text(app).splitlines() if "train-a-fast" in line)
        assert marked.split()[:2] == ["*", "train-a-fast"]
        await burst(pilot, "escape")  # clears the filter; the mark stays
        assert len(names(app)) == 7 and "7 runs" in status_line(app) and "1 marked" in status_line(app)
        await burst(pilot, "slash", *"-job:train accuracy>=92", "enter")
        assert names(app) == ["eval-b"]
        await burst(pilot, "slash", *" opt.name=adam")  # the filter reopens with its text, to edit
        assert await wait_until(pilot, lambda: names(app) == [])  # the rows follow once the typing pauses
        assert "0 of 7 runs match -job:train accuracy>=92 opt.name=adam" in status_line(app)
        await burst(pilot, "escape", "question_mark")
        help_text = screen_text(app)
        for key in ("Filter", "Sort", "Reverse", "Group", "Mark", "Compare"):
            assert key in help_text, key
        await pilot.press("escape", "escape")  # the help, then the runs view
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplorerScreen"


@pytest.mark.slow
async def test_group_by_pipeline_fold_a_group_and_mark_it(pipelines_store, make_app):
    app = make_app(pipelines_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert names(app) == ["▾ no group", "eval-broken", "train-convnet", "load-digits",
                              "▾ pipeline-b", "eval-b", "train-b-fast",
                              "▾ pipeline-a", "train-a-slow", "train-a-fast"]
        assert "by pipeline" in status_line(app)
        assert "3 runs" in next(line for line in screen_text(app).splitlines() if "▾ no group" in line)
        await burst(pilot, "ctrl+end", "up", "up", "enter")  # the pipeline-a header: enter folds it
        assert names(app)[-1] == "▸ pipeline-a" and "train-a-slow" not in names(app)
        await burst(pilot, "space")  # on a header: every run of the group
        assert "2 marked" in status_line(app)
        await burst(pilot, "enter", "g")  # unfold, then back to one list
        assert "by pipeline" not in status_line(app) and not any(name.startswith("▾") for name in names(app))
        assert marked_rows(app) == ["train-a-slow", "train-a-fast"]


@pytest.mark.slow
async def test_compare_overlays_one_metric_of_each_marked_run(pipelines_store, make_app, monkeypatch):
    reads = []
    history = pipelines_store.history

    def recorded(run_id, after_step=None, samples=None):
        reads.append((run_id, samples, threading.current_thread() is threading.main_thread()))
        return history(run_id, after_step=after_step, samples=samples)

    monkeypatch.setattr(pipelines_store, "history", recorded)
    app = make_app(pipelines_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot)
        await burst(pilot, "slash", *"group:pipeline-a", "enter", "space", "down", "space", "v")
        details = app.screen.query_one(RunDetails)
        chart = app.screen.query_one("#compare-plot", LossChart)
        assert details.active_tab == "run-compare"
        assert list(chart.series) == ["train-a-slow", "train-a-fast"] and details.compare_metric == "train/loss"
        text = screen_text(app)
        assert "train/loss of 2 runs" in text and "train-a-slow" in text and "◆ train-a-fast" in text
        compared = [(run_id, samples) for run_id, samples, _ in reads if samples == COMPARE_SAMPLES]
        assert sorted(compared) == [("pipe0000", COMPARE_SAMPLES), ("pipe0001", COMPARE_SAMPLES)]
        assert not any(on_main for _, _, on_main in reads)  # every history read off the UI thread

        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert details.compare_metric == "val/acc" and "val/acc of 2 runs" in screen_text(app)
        assert chart.series["train-a-fast"][-1] == (19, 89.5)

        # a third run, one without a history, then one unmarked: the chart follows
        await burst(pilot, "escape", "slash", *"pipeline-b", "enter", "space", "down", "space")
        assert list(chart.series) == ["train-a-slow", "train-a-fast", "train-b-fast"]
        assert "of 3 runs" in screen_text(app) and "(1 without it)" in screen_text(app)
        await pilot.press("space")
        await settle(pilot)
        assert list(chart.series) == ["train-a-slow", "train-a-fast"]
        assert "of 2 runs  2/2  (1 without it)" in screen_text(app)
        assert len([r for r in reads if r[1] == COMPARE_SAMPLES]) == 4  # each run read once: no re-reads


@pytest.mark.slow
async def test_long_runs_lists_are_paged_and_a_run_asked_for_is_shown(demo_store, make_app):
    project_id = demo_store.db.read_one("SELECT id FROM projects WHERE name = 'demo'")["id"]
    start = max(run.created_at for run in demo_store.runs("demo")).timestamp() - 10_000
    with demo_store.db.write() as conn:
        conn.executemany(
            "INSERT INTO runs (run_id, project_id, name, job_type, state, created_at, updated_at, heartbeat_at, "
            "host, pid, summary) VALUES (?, ?, ?, 'sweep', 'finished', ?, ?, ?, 'elsewhere', 1, ?)",
            [(f"bulk{i:04d}", project_id, f"sweep-{i:03d}", start + i, start + i + 30, start + i + 30,
              f'{{"accuracy": {i / 10}}}') for i in range(250)])
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot)
        table = app.screen.query_one(RunTable)
        assert table.row_count == ROW_PAGE + 1 and names(app)[-1].startswith("… 153 more rows")
        await burst(pilot, "ctrl+end", "enter")  # the "more" row: another page, the cursor on its first row
        await settle(pilot)
        assert table.row_count == 2 * ROW_PAGE + 1 and table.cursor_row == ROW_PAGE
        await pilot.press("escape")
        await settle(pilot)
        # what the lineage view's `o` and the explorer do: open the view on one run, far down the list
        app.push_screen(RunsScreen(demo_store, "demo", "bulk0010"))
        await settle(pilot)
        table = app.screen.query_one(RunTable)
        assert table.current_run_id == "bulk0010" and table.row_count <= 3 * ROW_PAGE + 1


@pytest.mark.slow
async def test_runs_table_and_a_runs_tabs(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Name" in line and "State" in line)
        assert "Job" in header and "Created" in header and "Runtime" in header and "accuracy" in header
        rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in
                ("load-digits", "train-convnet", "eval-broken")}
        assert "load-data" in rows["load-digits"] and "✓ finished" in rows["load-digits"] and "3m" in rows["load-digits"]
        assert "97.5" in rows["train-convnet"]
        assert "✗ failed" in rows["eval-broken"]

        await move_to_run(pilot, "eval-broken")
        assert "evaluation failed on purpose" in screen_text(app)

        await move_to_run(pilot, "load-digits")
        text = screen_text(app)
        assert "load0001" in text and "mnist-raw:v0" in text and "mnist-raw:v2" in text
        await pilot.press("2")
        await settle(pilot)
        assert 'dataset: "digits"' in screen_text(app) and "seed: 0" in screen_text(app)
        await pilot.press("3")
        await settle(pilot)
        assert "accuracy: 90" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        chart = app.screen.query_one(RunDetails)
        assert chart.metrics == ["accuracy", "train/loss"]
        assert chart.metric == "train/loss"
        assert list(app.screen.query_one(LossChart).series) == ["train/loss"]
        assert "last 0.1 at step 9" in screen_text(app)
        chart.action_metric(1)
        await settle(pilot)
        assert "accuracy" in screen_text(app) and "last 90 at step 9" in screen_text(app)
        assert list(app.screen.query_one(LossChart).series) == ["accuracy"]
        await pilot.press("left_square_bracket")  # the key steps back, with the run table focused
        await settle(pilot)
        assert chart.metric == "train/loss" and "last 0.1 at step 9" in screen_text(app)


@pytest.mark.slow
async def test_jump_from_a_run_to_a_version_and_back(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        # explorer -> the run that logged v1
        await open_version(pilot, "demo/mnist-raw:v1")
        runs = app.screen.query_one("#overview-runs", OptionList)
        runs.focus()
        runs.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "RunsScreen"
        table = app.screen.query_one(RunTable)
        assert table.get_row_at(table.cursor_row)[0].plain == "load-digits"

        # run -> one of its outputs, selected in the explorer
        artifacts = app.screen.query_one("#run-artifacts", OptionList)
        artifacts.focus()
        target = next(i for i in range(artifacts.option_count) if "mnist-raw:v0" in str(artifacts.get_option_at_index(i).prompt))
        artifacts.highlighted = target
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplorerScreen"
        tree = app.screen.query_one(ArtifactTree)
        assert tree.cursor_node.data.ref == "demo/mnist-raw:v0"
        assert "v0 of 3" in screen_text(app)

        # escape from the runs view goes back with the selection unchanged
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert tree.cursor_node.data.ref == "demo/mnist-raw:v0"


@pytest.mark.slow
async def test_moving_to_another_run_with_the_chart_open_keeps_the_app_alive(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await move_to_run(pilot, "load-digits")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one(RunDetails).metric == "train/loss"
        table = app.screen.query_one(RunTable)
        await pilot.press("up" if table.cursor_row else "down")
        await settle(pilot)
        assert app.is_running and type(app.screen).__name__ == "RunsScreen"
        assert app.screen.query_one(RunDetails).metric is None
        assert "no metrics logged" in screen_text(app)
        await move_to_run(pilot, "load-digits")
        assert app.screen.query_one(RunDetails).metric == "train/loss"
