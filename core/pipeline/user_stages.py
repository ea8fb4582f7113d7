"""The user's own stages: how they are written, registered, configured and run beside the tutorial's.

A stage is a plain function of three arguments, marked with `@stage(...)`:

    from core.pipeline import stage

    @stage("fit-probe", inputs=["mnist-preprocess"], outputs=["probe"], config={"lr": 0.01, "epochs": 3})
    def fit_probe(run, inputs, config):
        data = inputs["mnist-preprocess"]          # a core.ArtifactVersion, already used by `run` (lineage)
        ...
        run.log_artifact(core.Artifact("probe", type="model"))

It runs inside `harness.execute_stage`: its inputs are resolved by `name:alias` (default "latest", `--input NAME:ALIAS`
pins one) before the run opens, so a missing one is a `NotFoundError` and no run; the run has job type = the stage's
name and config = its settings (defaults overridden by `--config KEY=VALUE`, each parsed by its default's type); it
ends "finished", "failed" (an exception escaped) or "cancelled" (Ctrl-C, SIGINT) as the tutorial's do.

Where stages come from (`load_registry`): the entry points of group `artifacts_tui.stages` of installed packages,
then `$ARTIFACTS_TUI_STAGES` (`module:attr[,module:attr]`), then `--stages module:attr`. An attribute is a `Stage`, a
list of them, or a function decorated with `@stage`. A module that does not import, a missing attribute, or a function
that cannot take `(run, inputs, config)` is one `ValidationError` naming the spec, raised before any run is created.
The TUI lists user stages without importing them (`describe_user_stages` asks a child process), so user code can
neither load torch into the TUI nor write over its screen.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import ArtifactsError, ValidationError
from core.pipeline.registry import Registry, Stage, StageCall, tutorial_registry

if TYPE_CHECKING:
    from core.pipeline.harness import StageResult

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "check_stage_function",
    "describe_user_stages",
    "load_registry",
    "load_spec",
    "parse_config_args",
    "resolve_config",
    "run_user_stage",
    "stage",
]

ENTRY_POINT_GROUP = "artifacts_tui.stages"
ENV_VAR = "ARTIFACTS_TUI_STAGES"
SIGNATURE = "(run, inputs, config)"
MARK = "__artifacts_tui_stage__"  # the attribute `@stage` puts on the function it decorates
F = TypeVar("F", bound=Callable[..., Any])


# -- writing a stage ---------------------------------------------------------------------------------------------

def check_stage_function(function: object, where: str) -> None:
    """A `ValidationError` unless `function` can be called as `function(run, inputs, config)`."""
    if not callable(function):
        raise ValidationError(f"{where} is a {type(function).__name__}, not a stage function {SIGNATURE}")
    if inspect.iscoroutinefunction(function) or inspect.isgeneratorfunction(function) \
            or inspect.isasyncgenfunction(function):
        raise ValidationError(f"stage function {where} must be a plain function {SIGNATURE}, not async or a "
                              f"generator")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have none to show; calling them tells
        return
    try:
        signature.bind(None, None, None)
    except TypeError:
        raise ValidationError(f"stage function {where} must take {SIGNATURE}; it takes {signature}") from None


def stage(name: str | F | None = None, *, inputs: Iterable[str] = (), outputs: Iterable[str] = (),
          config: Mapping[str, Any] | None = None, label: str = "", description: str = "") -> Any:
    """Mark `fn(run, inputs, config)` as a stage; `@stage` alone names it after the function (`fit_probe` ->
    "fit-probe"). The function is returned unchanged (callable as before); its `Stage` is in `fn.__artifacts_tui_stage__`.
    """
    def mark(function: F) -> F:
        where = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', function)!s}"
        check_stage_function(function, where)
        doc = (inspect.getdoc(function) or "").strip().splitlines()
        setattr(function, MARK, Stage(
            name if isinstance(name, str) else function.__name__.replace("_", "-"), function,
            inputs=tuple(inputs), outputs=tuple(outputs), config=dict(config or {}), label=label,
            description=description or (doc[0] if doc else ""), origin=where,
        ))
        return function

    if callable(name):  # bare @stage
        function, name = name, None
        return mark(function)
    return mark


# -- registering stages ------------------------------------------------------------------------------------------

def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, ArtifactsError) else f"{type(exc).__name__}: {text}"


def _stages_of(value: object, where: str) -> list[Stage]:
    if isinstance(value, Stage):
        if value.function is None:
            raise ValidationError(f"{where}: stage {value.name!r} has no function")
        if not value.is_tutorial:
            check_stage_function(value.function, f"{value.name!r} ({where})")
        return [value]
    marked = getattr(value, MARK, None)
    if isinstance(marked, Stage):
        return [marked]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _stages_of(item, where)]
    if callable(value):
        raise ValidationError(f"{where} is a function without @core.pipeline.stage(...): decorate it, or name a "
                              f"core.pipeline.Stage")
    raise ValidationError(f"{where} is a {type(value).__name__}, not a Stage, a list of Stages or a function "
                          f"decorated with @core.pipeline.stage")


def _cwd_importable() -> None:
    # `artifacts-tui run --stages mystages:fit` run next to mystages.py, as `python -m` would find it; appended, so
    # a file there can never shadow an installed module.
    here = os.getcwd()
    if "" not in sys.path and here not in sys.path:
        sys.path.append(here)


def load_spec(spec: str, source: str = "--stages") -> list[Stage]:
    """The stages `module:attr` names (`attr` may be dotted). Every failure is one `ValidationError` naming `spec`."""
    module_name, sep, attr = str(spec).strip().partition(":")
    where = f"{source} {spec!r}"
    if not sep or not module_name or not attr:
        raise ValidationError(f"{where} must be MODULE:ATTR, e.g. mystages:fit")
    try:
        module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except ArtifactsError as exc:  # e.g. a @stage with a wrong signature, raised as the module is imported
        raise ValidationError(f"{where}: {_one_line(exc)}") from None
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything on import, SystemExit included
        raise ValidationError(f"{where}: module {module_name!r} does not import: {_one_line(exc)}") from None
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ValidationError(f"{where}: module {module_name!r} has no attribute {attr!r}") from None
        except Exception as exc:  # noqa: BLE001 - a module __getattr__ of the user's
            raise ValidationError(f"{where}: reading {part!r} failed: {_one_line(exc)}") from None
    from dataclasses import replace

    return [replace(s, origin=f"{source} {spec}") for s in _stages_of(value, f"{where}: {attr}")]


def _entry_point_specs() -> list[tuple[str, str]]:
    from importlib.metadata import entry_points

    specs = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(getattr(ep, "dist", None), "name", None)
        source = f"entry point {ep.name!r}" + (f" of {dist}" if dist else "")
        specs.append((f"{ep.module}:{ep.attr}" if ep.attr else ep.module, source))
    return specs


def _env_specs(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(part.strip(), f"${ENV_VAR}") for part in environ.get(ENV_VAR, "").split(",") if part.strip()]


def _sources(specs: Iterable[str], environ: Mapping[str, str] | None, entry_points: bool) -> list[tuple[str, str]]:
    environ = os.environ if environ is None else environ
    return [*(_entry_point_specs() if entry_points else []), *_env_specs(environ),
            *((str(s), "--stages") for s in specs)]


def load_registry(specs: Iterable[str] = (), *, environ: Mapping[str, str] | None = None,
                  entry_points: bool = True, keep_going: bool = False) -> Registry:
    """The tutorial's stages plus the user's: from entry points, `$ARTIFACTS_TUI_STAGES`, then `specs`.

    The first problem is a `ValidationError`; with `keep_going` every problem is kept in `Registry.problems` instead
    and the stages that did load are registered.
    """
    sources = _sources(specs, environ, entry_points)
    if any(not source.startswith("entry point") for _, source in sources):
        _cwd_importable()
    accepted: list[Stage] = []
    problems: list[str] = []
    for spec, source in sources:
        try:
            loaded = load_spec(spec, source)
            Registry([*accepted, *loaded])  # a name taken twice is the spec's problem
        except ValidationError as exc:
            if not keep_going:
                raise
            problems.append(str(exc))
            continue
        accepted += loaded
    return Registry(accepted, problems)


# -- settings ----------------------------------------------------------------------------------------------------

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "text"
    if isinstance(default, list):
        return "a JSON list"
    if isinstance(default, dict):
        return "a JSON object"
    return "a JSON value"


def _from_text(text: str, default: Any) -> Any:
    """`text` read as the type of `default`; ValueError when it is not one."""
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValueError(text)
    if isinstance(default, int):
        return int(text.strip())
    if isinstance(default, float):
        return float(text.strip())
    if isinstance(default, str):
        return text
    if default is None:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return json.loads(text)


def _checked(key: str, value: Any, default: Any) -> Any:
    """`value` when it fits the type of `default` (an int where a float is expected becomes a float)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, list):
        ok = isinstance(value, (list, tuple))
        value = list(value) if ok else value
    elif isinstance(default, dict):
        ok = isinstance(value, dict)
    else:
        ok = True
    if not ok:
        raise ValidationError(f"{key} must be {_kind(default)} (its default is {json.dumps(default)}), got "
                              f"{value!r}")
    return value


def _unknown(stage: Stage, key: str) -> ValidationError:
    known = ", ".join(stage.config) if stage.config else "none"
    return ValidationError(f"stage {stage.name!r} has no setting {key!r}; its settings: {known}")


def parse_config_args(stage: Stage, pairs: Iterable[str]) -> dict[str, Any]:
    """`["lr=0.1", "epochs=5"]` (`--config` values) parsed by the types of `stage`'s defaults; a later key wins."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = str(pair).partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValidationError(f"--config {pair!r} must be KEY=VALUE, e.g. --config lr=0.1")
        if key not in stage.config:
            raise _unknown(stage, key)
        default = stage.config[key]
        try:
            value = _from_text(text, default)
        except ValueError:
            raise ValidationError(f"stage {stage.name!r}: --config {key}={text}: {key} must be {_kind(default)} "
                                  f"(its default is {json.dumps(default)})") from None
        try:
            parsed[key] = _checked(key, value, default)
        except ValidationError as exc:
            raise ValidationError(f"stage {stage.name!r}: --config {key}={text}: {exc}") from None
    return parsed


def resolve_config(stage: Stage, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`stage`'s settings: its defaults with `overrides` (Python values) checked against their types on top."""
    from core import names

    config = dict(stage.config)
    for key, value in (overrides or {}).items():
        if key not in stage.config:
            raise _unknown(stage, str(key))
        try:
            config[key] = _checked(key, value, stage.config[key])
        except ValidationError as exc:
            raise ValidationError(f"stage {stage.name!r}: {exc}") from None
    return names.clean_json_value(config, f"stage {stage.name!r} config")


# -- running one -------------------------------------------------------------------------------------------------

def run_user_stage(stage_: Stage, call: StageCall) -> StageResult:
    """Run a user's stage as the tutorial's run: inputs resolved first, its own run, events, a `StageResult`."""
    from core.pipeline.harness import check_inputs, execute_stage, input_refs

    if stage_.function is None:  # described by another process: load it here
        registry = load_registry(keep_going=True)
        if stage_.name not in registry:
            raise ValidationError(f"stage {stage_.name!r} did not load here: {'; '.join(registry.problems)}"
                                  if registry.problems else f"stage {stage_.name!r} is no longer registered")
        stage_ = registry.get(stage_.name)
    function = stage_.function
    assert function is not None
    config = resolve_config(stage_, call.config)
    check_inputs([stage_], call.inputs)

    def body(_ctx: Any, run: Any, resolved: dict) -> list:
        used = {name: run.use_artifact(version) for name, version in resolved.items()}
        logged: list = []
        log_artifact = run.log_artifact

        def recording_log_artifact(*args: Any, **kwargs: Any) -> Any:
            version = log_artifact(*args, **kwargs)
            logged.append(version)
            return version

        with contextlib.suppress(AttributeError):  # the versions it logs, for the result and the CLI's summary
            run.log_artifact = recording_log_artifact
        function(run, used, dict(config))
        return logged

    return execute_stage(stage_.name, project=call.project, store=call.store, config=config,
                         refs=input_refs(stage_, call.inputs), on_event=call.on_event, body=body, group=call.group)


# -- listing them without importing them -------------------------------------------------------------------------

def describe_user_stages(timeout: float = 30.0) -> Registry:
    """The registry with the user's stages as another process loads them (`Stage.function` None: `launch` loads it
    in the process that runs it). No child is started when no entry point or `$ARTIFACTS_TUI_STAGES` names one.
    Problems (a module that does not import, a child that fails) are in `Registry.problems`; this never raises."""
    if not _sources((), None, True):
        return tutorial_registry()
    import core

    env = dict(os.environ)
    ours = str(Path(core.__file__).resolve().parent.parent)  # the child must import this very `core`
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ours, env.get("PYTHONPATH", "")) if p)
    code = "from core.pipeline.user_stages import _describe_main; _describe_main()"
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        return Registry(problems=[f"loading your stages took over {timeout:.0f} s; check ${ENV_VAR} and the "
                                  f"{ENTRY_POINT_GROUP!r} entry points"])
    except OSError as exc:
        return Registry(problems=[f"could not start {sys.executable} to list your stages: {exc}"])
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        return Registry([Stage.from_description(d) for d in data["stages"]], data["problems"])
    except (IndexError, KeyError, TypeError, ValueError, ArtifactsError):
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return Registry(problems=[f"listing your stages failed: {last}"])


def _describe_main() -> None:
    """In the child of `describe_user_stages`: the user's stages as one JSON line on stdout."""
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # what user modules print on import is not our answer
        registry = load_registry(keep_going=True)
    json.dump({"stages": [s.describe() for s in registry.user_stages], "problems": list(registry.problems)}, out)
    out.write("\n")
    out.flush()
