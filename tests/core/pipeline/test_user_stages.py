"""The user's own stages: written as `fn(run, inputs, config)` with `@stage(...)`, registered through `--stages`,
`$ARTIFACTS_TUI_STAGES` or an entry point, run like the tutorial's (inputs by name:alias before the run opens, job
type = the stage's name, settings validated), and every mistake in them one line with exit 1 and no run."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import core
from core.errors import NotFoundError, ValidationError
from core.pipeline import Stage, StageCall, load_registry, stage
from core.pipeline.user_stages import describe_user_stages, parse_config_args, resolve_config
from tui.cli import main

REPO = Path(core.__file__).resolve().parent.parent
_names = itertools.count()

STAGE_MODULE = '''
import core
from core.pipeline import Stage, stage


@stage("fit-probe", inputs=["features"], outputs=["probe"],
       config={"lr": 0.01, "epochs": 3, "note": "", "norm": True, "layers": [8]})
def fit_probe(run, inputs, config):
    """Fit a probe on the features."""
    features = inputs["features"]
    text = (features.download(root=config["note"] or None) / "x.txt").read_text()
    probe = core.Artifact("probe", type="model", metadata={**config, "trained_on": features.qualified_name})
    with probe.new_file("probe.txt") as f:
        f.write(f"{text} lr={config['lr']} epochs={config['epochs']}")
    run.log_artifact(probe, aliases=["candidate"])
    run.summary.update({"score": 0.5})


def count_files(run, inputs, config):
    run.summary.update({"files": len(inputs["features"].files())})


LISTED = [Stage("count-files", count_files, inputs=["features"], label="count the files")]
'''


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A directory on sys.path (and on a child's PYTHONPATH) for the user's modules; `write(text)` adds one and
    returns its unique name (modules stay cached in sys.modules, so every test gets fresh names)."""
    where = tmp_path / "mods"
    where.mkdir()
    monkeypatch.syspath_prepend(str(where))
    written: list[str] = []

    def write(text: str) -> str:
        name = f"user_stage_mod_{os.getpid()}_{next(_names)}"
        (where / f"{name}.py").write_text(textwrap.dedent(text))
        written.append(name)
        return name

    write.path = where
    yield write
    for name in written:
        sys.modules.pop(name, None)


def _features(store, project="p"):
    """features:v0 (alias best) and features:v1 (latest), each one x.txt."""
    versions = []
    for text in ("zero", "one"):
        with core.init(project=project, job_type="prep", store=store) as run:
            art = core.Artifact("features", type="dataset")
            with art.new_file("x.txt") as f:
                f.write(text)
            versions.append(run.log_artifact(art, aliases=["best"] if text == "zero" else []))
    return versions


def _cli(capsys, store_dir, *argv):
    code = main(["--store", str(store_dir), "run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _child(tmp_path, module_dir, *argv, env=None):
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(module_dir.path)]), **(env or {})}
    return subprocess.run([sys.executable, "-m", "tui.cli", *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=environ, stdin=subprocess.DEVNULL)


def _no_runs(store_dir, project="p"):
    store = core.open_store(store_dir)
    return [r.job_type for r in store.runs(project) if r.job_type != "prep"] == []


# -- writing a stage -------------------------------------------------------------------------------------------

def test_the_decorator_registers_the_function_and_leaves_it_callable():
    @stage(inputs=["features"], config={"k": 2})
    def score_it(run, inputs, config):
        """Score it."""
        return config["k"]

    found = score_it.__artifacts_tui_stage__
    assert (found.name, found.inputs, dict(found.config), found.description) == (
        "score-it", ("features",), {"k": 2}, "Score it.")
    assert score_it(None, {}, {"k": 5}) == 5

    @stage
    def bare_one(run, inputs, config, extra=None):
        pass

    assert bare_one.__artifacts_tui_stage__.name == "bare-one"


@pytest.mark.parametrize("source", [
    "def f(run, inputs):\n    pass",
    "def f(run, inputs, config, needed):\n    pass",
    "async def f(run, inputs, config):\n    pass",
    "def f(run, inputs, config):\n    yield 1",
])
def test_a_function_that_cannot_be_a_stage_is_refused_where_it_is_decorated(source):
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(ValidationError, match=r"must (take \(run, inputs, config\)|be a plain function)"):
        stage("f")(namespace["f"])


# -- settings --------------------------------------------------------------------------------------------------

def _probe(**config):
    return Stage("probe-fit", lambda run, inputs, config: None, config=config or {"lr": 0.01, "epochs": 3,
                                                                                  "norm": True, "note": "",
                                                                                  "layers": [8], "any": None})


def test_config_values_are_parsed_by_the_type_of_their_default():
    parsed = parse_config_args(_probe(), ["lr=0.1", "epochs=5", "norm=no", "note=a=b c", "layers=[16, 4]",
                                          "any={\"x\": 1}", "epochs=6"])
    assert parsed == {"lr": 0.1, "epochs": 6, "norm": False, "note": "a=b c", "layers": [16, 4], "any": {"x": 1}}
    assert parse_config_args(_probe(), ["lr=1"]) == {"lr": 1.0}  # an integer where a number is wanted
    assert resolve_config(_probe(), {"epochs": 7}) == {"lr": 0.01, "epochs": 7, "norm": True, "note": "",
                                                       "layers": [8], "any": None}


@pytest.mark.parametrize("pair, message", [
    ("lrr=0.1", "stage 'probe-fit' has no setting 'lrr'; its settings: lr, epochs, norm, note, layers, any"),
    ("epochs=1.5", "--config epochs=1.5: epochs must be an integer (its default is 3)"),
    ("lr=fast", "--config lr=fast: lr must be a number (its default is 0.01)"),
    ("lr=inf", "lr must be a number"),
    ("norm=maybe", "norm must be true or false (its default is true)"),
    ("layers={\"a\": 1}", "layers must be a JSON list"),
    ("epochs", "--config 'epochs' must be KEY=VALUE"),
    ("=3", "must be KEY=VALUE"),
])
def test_a_bad_config_value_or_unknown_key_is_one_clear_error(pair, message):
    with pytest.raises(ValidationError) as error:
        parse_config_args(_probe(), [pair])
    assert message in str(error.value) and "\n" not in str(error.value)


def test_python_values_are_checked_too():
    with pytest.raises(ValidationError, match="epochs must be an integer"):
        resolve_config(_probe(), {"epochs": True})
    with pytest.raises(ValidationError, match="has no setting 'seed'"):
        resolve_config(_probe(), {"seed": 1})


def test_bad_config_on_the_command_line_is_refused_before_any_run(tmp_path, capsys, module_dir):
    name = module_dir(STAGE_MODULE)
    _features(core.open_store(tmp_path / "s"))
    for bad in (["--config", "epochs=many"], ["--config", "lrr=1"], ["--batch-size", "8"]):
        code, _, err = _cli(capsys, tmp_path / "s", "fit-probe", "--stages", f"{name}:fit_probe", "--project", "p",
                            *bad)
        assert code == 1 and err.count("\n") == 1 and err.startswith("artifacts-tui: error: stage 'fit-probe'")
    assert "set them with --config KEY=VALUE" in err
    assert _no_runs(tmp_path / "s")


def test_config_is_only_for_user_stages(tmp_path, capsys):
    code, _, err = _cli(capsys, tmp_path / "s", "initialize", "--config", "lr=1")
    assert code == 1 and "--config sets the settings of your own stages; 'initialize' has none" in err


# -- running one -----------------------------------------------------------------------------------------------

def test_a_user_stage_runs_from_the_cli_reads_its_input_by_alias_and_logs_a_model_with_lineage(tmp_path,
                                                                                             module_dir):
    name = module_dir(STAGE_MODULE)
    store_dir = tmp_path / "s"
    v0, _v1 = _features(core.open_store(store_dir))
    proc = _child(tmp_path, module_dir, "--store", str(store_dir), "run", "fit-probe", "--stages",
                  f"{name}:fit_probe", "--project", "p", "--input", "features:best", "--config", "lr=0.1",
                  "--config", "epochs=5", "--config", f"note={tmp_path / 'dl'}", "--group", "sweep-1")
    assert proc.returncode == 0, proc.stderr
    assert "== fit-probe (run " in proc.stdout and "using features:v0" in proc.stdout
    assert "p/probe:v0  [latest, candidate]" in proc.stdout

    store = core.open_store(store_dir)
    run = store.runs("p")[0]
    assert (run.job_type, run.state, run.group) == ("fit-probe", "finished", "sweep-1")
    assert run.config == {"lr": 0.1, "epochs": 5, "note": str(tmp_path / "dl"), "norm": True, "layers": [8]}
    assert run.summary["score"] == 0.5
    assert [v.qualified_name for v in run.inputs()] == ["features:v0"]  # pinned by alias, not latest
    probe = store.artifact("probe:latest", project="p")
    assert probe.logged_by().id == run.id and [r.id for r in v0.used_by()] == [run.id]
    assert probe.metadata["trained_on"] == "features:v0" and probe.metadata["lr"] == 0.1
    assert (tmp_path / "dl" / "x.txt").read_text() == "zero"


def test_a_missing_input_fails_before_the_run_opens(tmp_path, capsys, module_dir):
    name = module_dir(STAGE_MODULE)
    code, _, err = _cli(capsys, tmp_path / "s", "fit-probe", "--stages", f"{name}:fit_probe", "--project", "p")
    assert code == 1 and err.count("\n") == 1
    assert "stage 'fit-probe' needs input 'features:latest', which is not in project 'p'" in err
    assert core.open_store(tmp_path / "s").runs("p") == []
    with pytest.raises(NotFoundError):
        load_registry([f"{name}:fit_probe"]).get("fit-probe").launch(
            StageCall(project="p", store=core.open_store(tmp_path / "s")))


def test_an_input_the_stage_does_not_read_is_refused(tmp_path, capsys, module_dir):
    name = module_dir(STAGE_MODULE)
    code, _, err = _cli(capsys, tmp_path / "s", "fit-probe", "--stages", f"{name}:fit_probe", "--input", "convnet:v0")
    assert code == 1 and "fit-probe does not use 'convnet' (it uses: features)" in err


def test_a_stage_that_raises_ends_its_run_failed(tmp_path, capsys, module_dir):
    name = module_dir('''
        from core.pipeline import stage

        @stage("explode")
        def explode(run, inputs, config):
            raise RuntimeError("the probe diverged")
    ''')
    with pytest.raises(RuntimeError, match="diverged"):  # not an ArtifactsError: the CLI lets it be a traceback
        _cli(capsys, tmp_path / "s", "explode", "--stages", f"{name}:explode", "--project", "p")
    (run,) = core.open_store(tmp_path / "s").runs("p")
    assert (run.job_type, run.state) == ("explode", "failed")


def test_the_env_var_and_a_list_of_stages_register_them(tmp_path, capsys, module_dir, monkeypatch):
    name = module_dir(STAGE_MODULE)
    monkeypatch.setenv("ARTIFACTS_TUI_STAGES", f" {name}:LISTED , {name}:fit_probe")
    assert load_registry().names()[-2:] == ("count-files", "fit-probe")
    _features(core.open_store(tmp_path / "s"))
    code, out, err = _cli(capsys, tmp_path / "s", "count-files", "--project", "p")
    assert code == 0, err
    assert "done." in out
    assert core.open_store(tmp_path / "s").runs("p")[0].summary["files"] == 1


def test_an_entry_point_registers_a_stage(tmp_path, module_dir, monkeypatch):
    name = module_dir(STAGE_MODULE)
    dist = module_dir.path / "my_probes-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-probes\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[artifacts_tui.stages]\nprobe = {name}:fit_probe\n")
    registry = load_registry()
    assert "fit-probe" in registry
    assert registry.get("fit-probe").origin == f"entry point 'probe' of my-probes {name}:fit_probe"
    assert "fit-probe" not in load_registry(entry_points=False)


# -- bad input ---------------------------------------------------------------------------------------------------

BROKEN = {
    "does not import": ("import a_module_that_is_not_there_at_all\n", "x",
                        "module '{name}' does not import: ModuleNotFoundError: No module named "
                        "'a_module_that_is_not_there_at_all'"),
    "syntax error": ("def f(:\n", "f", "module '{name}' does not import: SyntaxError:"),
    "raises on import": ("raise SystemExit('no')\n", "f", "module '{name}' does not import: SystemExit: no"),
    "wrong signature": ("from core.pipeline import stage\n@stage('w')\ndef w(run, inputs):\n    pass\n", "w",
                        "stage function {name}.w must take (run, inputs, config); it takes (run, inputs)"),
    "missing attr": ("X = 1\n", "fit", "module '{name}' has no attribute 'fit'"),
    "not decorated": ("def fit(run, inputs, config):\n    pass\n", "fit",
                      "is a function without @core.pipeline.stage(...)"),
    "not a stage": ("fit = 3\n", "fit", "is a int, not a Stage, a list of Stages"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_user_stage_is_one_line_exit_1_and_no_run(case, tmp_path, capsys, module_dir):
    source, attr, message = BROKEN[case]
    name = module_dir(source)
    _features(core.open_store(tmp_path / "s"))
    code, out, err = _cli(capsys, tmp_path / "s", "w", "--stages", f"{name}:{attr}", "--project", "p")
    assert code == 1 and out == ""
    assert err.startswith(f"artifacts-tui: error: --stages '{name}:{attr}': ") and err.count("\n") == 1
    assert message.format(name=name) in err
    assert _no_runs(tmp_path / "s")


def test_a_spec_without_an_attribute_is_refused(tmp_path, capsys):
    code, _, err = _cli(capsys, tmp_path / "s", "x", "--stages", "just_a_module")
    assert code == 1 and "--stages 'just_a_module' must be MODULE:ATTR, e.g. mystages:fit" in err


@pytest.mark.parametrize("case", ["does not import", "wrong signature"])
def test_a_broken_user_stage_in_a_fresh_process_is_one_line_and_no_traceback(case, tmp_path, module_dir):
    source, attr, message = BROKEN[case]
    name = module_dir(source)
    store_dir = tmp_path / "s"
    _features(core.open_store(store_dir))
    proc = _child(tmp_path, module_dir, "--store", str(store_dir), "run", "w", "--project", "p",
                  env={"ARTIFACTS_TUI_STAGES": f"{name}:{attr}"})
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"$ARTIFACTS_TUI_STAGES '{name}:{attr}'" in proc.stderr and message.format(name=name) in proc.stderr
    assert _no_runs(store_dir)


# -- listing them for the TUI ----------------------------------------------------------------------------------

def test_user_stages_are_listed_by_a_child_process_and_run_where_launched(tmp_path, module_dir, monkeypatch):
    good = module_dir(STAGE_MODULE)
    noisy = module_dir('print("hello from an import")\n')
    broken = module_dir("import a_module_that_is_not_there_at_all\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), str(module_dir.path)]))
    monkeypatch.setenv("ARTIFACTS_TUI_STAGES", f"{noisy}:nothing,{good}:fit_probe,{broken}:x")
    registry = describe_user_stages(timeout=60)
    assert registry.names()[-1] == "fit-probe" and registry.get("fit-probe").function is None
    assert dict(registry.get("fit-probe").config)["lr"] == 0.01
    assert len(registry.problems) == 2 and "has no attribute 'nothing'" in registry.problems[0]
    assert "does not import" in registry.problems[1]
    assert good not in sys.modules  # listed without importing the user's module here

    import tui.runner.launch_request as lr

    monkeypatch.setattr(lr, "_catalog", None)
    monkeypatch.chdir(tmp_path)  # the stage downloads its input to ./artifacts, as W&B
    store = core.open_store(tmp_path / "s")
    _features(store)
    request = lr.LaunchRequest(stage="fit-probe", project="p", inputs=("features:best",), config={"lr": 0.5},
                               group="g")
    with pytest.raises(ValidationError, match="no setting 'seed'"):
        lr.LaunchRequest(stage="fit-probe", project="p", config={"seed": 1}).validate()
    (result,) = lr.run_request(request, store=store, download_root=tmp_path / "dl")
    run = store.run("p", result.run_id)
    assert (run.job_type, run.config["lr"], run.group) == ("fit-probe", 0.5, "g")
    assert [o.qualified_name for o in result.outputs] == ["probe:v0"]
    assert request.cli_args() == ["run", "fit-probe", "--project", "p", "--input", "features:best", "--config",
                                  "lr=0.5", "--group", "g"]


def test_no_child_is_started_without_user_stages(monkeypatch):
    monkeypatch.delenv("ARTIFACTS_TUI_STAGES", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("started a child"))
    assert describe_user_stages().user_stages == ()
