"""`from core import wandb_compat as wandb`: the module-level wandb SDK surface that artifact pipelines use, over
the embedded store, so that a wandb script runs unchanged with no server and no network, lineage included.

W&B's own SDK cannot use artifacts offline (`use_artifact` raises in offline mode and a logged artifact gets no
version); changing the import line is all it takes to run such a script on an air-gapped node.

Provided, behaving as the SDK does: `init` (a run that is also a context manager; sets `wandb.run`,
`wandb.config`, `wandb.summary`), `config` (attribute and item access, `update`, `**config`), `log` (numbers,
images, tables), `summary` (torch/numpy scalars and 0-d tensors become numbers), `Artifact` (drafts, objects
inside them, the logged version, editing, links: see `artifacts.py`), `Table` and `Image` (`media.py`),
`use_artifact`, `log_artifact`, `log_model`, `use_model`, `link_model`, `link_artifact`, `save`, `finish`,
`Api()` reads (`api.py`) and `errors` (the SDK's own classes). Anything else of the SDK (`wandb.watch`,
`run.url`, `wandb.plot`, ...) raises `NotAvailableOfflineError` naming it, rather than silently losing data.

Decisions:
- Store: `init(store=...)` (a `core.Store` or a path), else `core.open_store()` ($ARTIFACTS_TUI_HOME, ...).
  `dir=` and $WANDB_DIR are where the SDK keeps its own files; they do not move the store, so every stage of a
  pipeline lands in the one store the TUI shows, whatever directory it runs in.
- Project: `project=`, else $WANDB_PROJECT, else "uncategorized" (the SDK's order).
- Accepted and ignored (they have no meaning offline): `entity`, `mode`, `settings`, `anonymous`, `force`,
  `allow_val_change`, `dir`. `tags`, `notes` and `group` are kept on the run; setting `run.tags`, `run.notes`,
  `run.group` or `run.name` later is saved too. `resume`, `fork_from`, `save_code`, `sync_tensorboard`, ... raise
  when switched on.
- `reinit` as in the SDK: with a run active, `init` returns it (scripts' default), finishes it first
  (`reinit=True` / "finish_previous", or by default in a notebook), or starts another beside it
  ("create_new", which leaves `wandb.run` alone).
- `login()` returns True and does nothing: there is no account offline, and nothing is lost.
- `log({"preds": table})` stores the table as the SDK does: in an artifact `run-<run id>-preds` of type
  "run_table" (at `preds.table.json`), the history row holding a "table-file" pointing at it.
- `link_artifact` / `link_model` record the link in the store (`Store.link_version`); the model registry of
  `link_model` is the project "model-registry", as in the SDK.
- `wandb.save(path)` keeps the file with the run (`RunInfo.files()`); policy "live" saves it now and again at
  finish if it changed, "end" at finish (the file may be written after the call), "now" once. A glob is expanded
  when `save` is called, as in the SDK; a path or glob that matches no file is an error or a warning, never
  silence.
- A run left unfinished is finished when the process exits ("failed" when an uncaught exception ends it,
  "cancelled" for KeyboardInterrupt), as the SDK does, so no buffered metric is lost.
"""

from __future__ import annotations

import atexit
import glob as glob_module
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core import names, writes
from core.errors import ValidationError
from core.run import Config, Run
from core.wandb_compat import artifacts as _artifacts
from core.wandb_compat import errors
from core.wandb_compat.api import Api
from core.wandb_compat.artifacts import Artifact
from core.wandb_compat.errors import Error, NotAvailableOfflineError, UsageError, unavailable
from core.wandb_compat.media import Image, from_sdk_image, is_sdk_value, table_class
from core.wandb_compat.run_artifacts import ArtifactMethods

__all__ = [
    "Api", "Artifact", "Error", "Image", "NotAvailableOfflineError", "Settings", "Table", "UsageError", "config",
    "errors", "finish", "init", "link_artifact", "link_model", "log", "log_artifact", "log_model", "login", "run",
    "save", "summary", "use_artifact", "use_model",
]

class Settings:
    """Accepted so that `wandb.init(settings=wandb.Settings(...))` runs; no setting changes anything offline."""

    def __init__(self, **settings: Any) -> None:
        self.__dict__.update(settings)


_SWITCHES = ("resume", "resume_from", "fork_from", "save_code", "tensorboard", "sync_tensorboard", "monitor_gym")


class _PreInit:
    """`wandb.config` / `wandb.summary` before `init`: any use is a clear error, as in the SDK."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def __repr__(self) -> str:
        return f"<wandb.{self._name} before wandb.init()>"

    def _fail(self, what: str):
        raise UsageError(f"You must call wandb.init() before wandb.{self._name}{what}")

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        self._fail(f".{key}")

    def __setattr__(self, key: str, value: Any) -> None:
        self._fail(f".{key}")

    def __getitem__(self, key: Any) -> Any:
        self._fail(f"[{key!r}]")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._fail(f"[{key!r}]")

    def __iter__(self):
        self._fail("")

    def __contains__(self, key: Any) -> bool:
        self._fail("")


run: "CompatRun | None" = None
config: Any = _PreInit("config")
summary: Any = _PreInit("summary")
_active: list["CompatRun"] = []
_hooks_installed = False


class CompatConfig(Config):
    """`wandb.config`: the run's Config, with the SDK's `update(d, allow_val_change=None)` signature (so that
    `allow_val_change=True` is not stored as a key)."""

    def update(self, d: Any = None, allow_val_change: bool | None = None) -> None:  # type: ignore[override]
        if isinstance(d, str):
            raise unavailable("wandb.config.update(<YAML file>)")
        super().update(d if d is not None else {})

    def setdefaults(self, d: Mapping) -> None:
        super().update({k: v for k, v in dict(d).items() if k not in self})


def _kept(field: str, column: str | None):
    """A run attribute the SDK lets scripts change after init; the change is saved to the store."""
    slot = f"_kept_{field}"

    def get(self):
        return self.__dict__.get(slot)

    def set(self, value):
        if field == "tags":
            value = tuple(value or ())
            if not all(isinstance(t, str) for t in value):
                raise ValidationError(f"run tags must be strings, got {value!r}")
        elif value is not None and not isinstance(value, str):
            raise ValidationError(f"run {field} must be a string, got {type(value).__name__}")
        if slot in self.__dict__:  # set by the script after init: save it
            self._persist(field, column, value)
        self.__dict__[slot] = value

    return property(get, set)


class CompatRun(ArtifactMethods, Run):
    """The run `wandb_compat.init` returns: `core.Run` with the SDK's signatures, artifacts as the SDK's objects,
    and a clear error for any Run feature we do not provide."""

    name = _kept("name", None)
    tags = _kept("tags", "tags")
    notes = _kept("notes", "notes")
    group = _kept("group", "grp")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending_saves: dict[Path, tuple[Path, tuple[int, int] | None]] = {}
        super().__init__(*args, **kwargs)
        self.config = CompatConfig(dict(self.config), on_change=self._save_config)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        raise unavailable(f"wandb.Run.{name}")

    def _persist(self, field: str, column: str | None, value: Any) -> None:
        if column is not None:
            writes.update_run(self.store, self._pk, **{column: list(value) if field == "tags" else value})
            return
        if not value:
            raise ValidationError("a run name must be a non-empty string")
        with self.store.db.write() as conn:  # writes.update_run has no name field
            conn.execute("UPDATE runs SET name = ? WHERE id = ?", (value, self._pk))

    # -- the SDK's signatures ---------------------------------------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None,
            sync: bool | None = None) -> None:
        """As `wandb.log`: `commit=False` keeps the step open, so the next row merges into it. A `wandb.Table`
        is logged as the SDK logs it (see the module docstring); the SDK's `wandb.Image` is taken as ours."""
        if commit is False and step is None:
            step = self.step
        if isinstance(data, Mapping) and any(is_sdk_value(v) or isinstance(v, (list, tuple)) for v in data.values()):
            self._check_open()
            data = {key: self._media(key, value) for key, value in data.items()}
        super().log(data, step=step, commit=commit)

    def _media(self, key: Any, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [from_sdk_image(v) for v in value]
        if not is_sdk_value(value):
            return value
        if isinstance(value, table_class()) or type(value).__name__ == "Table":
            return self._log_table(str(key), value)
        converted = from_sdk_image(value)
        if converted is value:
            raise unavailable(f"wandb.log of {type(value).__name__}")
        return converted

    def save(self, glob_str: str | os.PathLike | bytes, base_path: str | os.PathLike | None = None,
             policy: str = "live", glob: bool = True) -> list[str]:
        """Keep files with the run; -> their names within the run. Paths resolve as in the SDK: relative to
        `base_path`, else to the working directory; an absolute path keeps its parent directory's name."""
        self._check_open()
        if policy not in ("live", "end", "now"):
            raise ValidationError(f'wandb.save policy must be "live", "end" or "now", got {policy!r}')
        if isinstance(glob_str, bytes):
            glob_str = glob_str.decode()
        pattern = os.path.abspath(os.fspath(glob_str))
        if base_path is not None:
            base = Path(os.path.abspath(base_path))
        elif not os.path.isabs(os.fspath(glob_str)):
            base = Path(os.getcwd())
        else:
            base = Path(pattern).parent.parent
        if glob:
            matches = sorted(p for p in glob_module.glob(pattern, recursive=True) if os.path.isfile(p))
        else:
            matches = [pattern] if os.path.isfile(pattern) else []
        literal = not glob or not glob_module.has_magic(pattern)
        if not matches and literal and policy == "end":  # may be written later: looked for at finish
            matches = [pattern]
        if not matches:
            if literal:
                raise ValidationError(f"cannot save {os.fspath(glob_str)!r} with the run: no such file")
            warnings.warn(f"wandb.save({os.fspath(glob_str)!r}) matched no file; nothing saved", stacklevel=2)
            return []
        saved = []
        for match in map(Path, matches):
            if not match.is_relative_to(base):
                raise ValidationError(f"wandb.save: {match} is not under base_path {base}")
            saved.append(self._save_file(match, base) if policy != "end" else
                         names.check_path(match.relative_to(base).as_posix()))
            if policy != "now":
                self._pending_saves[match] = (base, _stat(match) if policy == "live" else None)
        return saved

    def _save_file(self, path: Path, base: Path) -> str:
        return super().save(glob_module.escape(str(path)), base_path=str(base))[0]

    def _save_pending(self) -> None:
        for path, (base, saved_stat) in self._pending_saves.items():
            now = _stat(path)
            if now is None:
                kept = "its copy saved earlier is kept" if saved_stat else "nothing saved"
                warnings.warn(f"wandb.save: {path} is missing when the run finishes; {kept}", stacklevel=3)
            elif now != saved_stat:
                self._save_file(path, base)
        self._pending_saves.clear()

    def finish(self, exit_code: int | None = None, quiet: bool | None = None, *, state: str | None = None,
               error: str | None = None) -> None:
        try:
            if self.state == "running" and self._pending_saves:
                self._save_pending()
        finally:
            try:
                super().finish(exit_code, state=state, error=error)
            finally:
                _forget(self)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


# -- module state -------------------------------------------------------------------------------------------
def _set_globals(new: CompatRun | None) -> None:
    global run, config, summary
    run = new
    config = new.config if new is not None else _PreInit("config")
    summary = new.summary if new is not None else _PreInit("summary")


def _forget(finished: CompatRun) -> None:
    if finished in _active:
        _active.remove(finished)
    if run is finished:
        _set_globals(None)


def _current(function: str) -> CompatRun:
    if run is None:
        raise UsageError(f"You must call wandb.init() before wandb.{function}()")
    return run


def _in_notebook() -> bool:
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


def _finish_on_exit() -> None:
    for active in reversed(list(_active)):
        try:
            active.finish()
        except Exception as exc:  # the interpreter is going away: say so, once per run
            print(f"wandb_compat: could not finish run {active.name}: {exc}", file=sys.stderr)


def _install_hooks() -> None:
    """Finish runs a script leaves open (as the SDK does): failed on an uncaught exception, else finished."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        state = "cancelled" if issubclass(exc_type, KeyboardInterrupt) else "failed"
        for active in reversed(list(_active)):
            try:
                active.finish(state=state, error=f"{exc_type.__name__}: {exc}")
            except Exception:
                pass
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_finish_on_exit)


# -- the module-level surface -------------------------------------------------------------------------------
def init(entity: str | None = None, project: str | None = None, dir: Any = None, id: str | None = None,
         name: str | None = None, notes: str | None = None, tags: Iterable[str] | None = None, config: Any = None,
         config_exclude_keys: Iterable[str] | None = None, config_include_keys: Iterable[str] | None = None,
         allow_val_change: bool | None = None, group: str | None = None, job_type: str | None = None,
         mode: str | None = None, force: bool | None = None, reinit: bool | str | None = None,
         settings: Any = None, anonymous: Any = None, *, store: Any = None, **switches: Any) -> CompatRun:
    """Start a run on the embedded store, as `wandb.init`. See the module docstring for the keyword decisions."""
    for key, value in switches.items():
        if key not in _SWITCHES:
            raise TypeError(f"init() got an unexpected keyword argument {key!r}")
        if value not in (None, False) and not (key == "resume" and value == "never"):
            raise unavailable(f"wandb.init({key}={value!r})")
    if _active:
        if reinit in (True, "finish_previous") or (reinit in (None, "default") and _in_notebook()):
            for active in reversed(list(_active)):
                active.finish()
        elif reinit != "create_new":
            warnings.warn("wandb.init() called while a run is active; returning the previous run (pass "
                          "reinit='finish_previous' to start a new one)", stacklevel=2)
            return run if run is not None else _active[-1]
    cfg = _config_dict(config)
    if config_include_keys:
        cfg = {k: v for k, v in cfg.items() if k in set(config_include_keys)}
    if config_exclude_keys:
        cfg = {k: v for k, v in cfg.items() if k not in set(config_exclude_keys)}
    from core.store import Store, open_store

    if entity:
        _artifacts.remember_entity(entity)
    the_store = store if isinstance(store, Store) else open_store(store)
    new = CompatRun(the_store, project or os.environ.get("WANDB_PROJECT") or "uncategorized", job_type, cfg,
                    name, run_id=id, tags=tuple(tags or ()), notes=notes, group=group)
    _active.append(new)
    _install_hooks()
    if reinit != "create_new":
        _set_globals(new)
    return new


def _config_dict(config: Any) -> dict:
    if config is None:
        return {}
    if isinstance(config, (str, os.PathLike)):
        raise unavailable("wandb.init(config=<YAML file>)")
    if isinstance(config, Mapping):
        return dict(config)
    if hasattr(config, "__dict__"):  # argparse.Namespace, as the SDK accepts
        return dict(vars(config))
    raise ValidationError(f"wandb.init(config=...) takes a dict or an argparse.Namespace, got "
                          f"{type(config).__name__}")


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None,
        sync: bool | None = None) -> None:
    _current("log").log(data, step=step, commit=commit)


def save(glob_str: Any, base_path: Any = None, policy: str = "live", glob: bool = True) -> list[str]:
    return _current("save").save(glob_str, base_path=base_path, policy=policy, glob=glob)


def use_artifact(artifact_or_name: Any, type: str | None = None, aliases: Any = None,
                 use_as: str | None = None) -> Artifact:
    return _current("use_artifact").use_artifact(artifact_or_name, type=type, aliases=aliases)


def log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,
                 aliases: Iterable[str] | None = None, tags: Iterable[str] | None = None) -> Artifact:
    return _current("log_artifact").log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)


def log_model(path: Any, name: str | None = None, aliases: Iterable[str] | None = None) -> None:
    _current("log_model").log_model(path, name=name, aliases=aliases)


def use_model(name: str) -> str:
    return _current("use_model").use_model(name)


def link_model(path: Any, registered_model_name: str, name: str | None = None,
               aliases: Iterable[str] | None = None) -> Artifact:
    return _current("link_model").link_model(path, registered_model_name, name=name, aliases=aliases)


def link_artifact(artifact: Any, target_path: str, aliases: Iterable[str] | None = None) -> Artifact:
    return _current("link_artifact").link_artifact(artifact, target_path, aliases=aliases)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (a no-op when none is active, as in the SDK)."""
    if run is not None:
        run.finish(exit_code)


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to offline; True, as the SDK answers when it is logged in."""
    return True


def __getattr__(name: str) -> Any:
    if name == "Table":  # the SDK's class, imported when a script first names it
        return table_class()
    if name == "__version__":  # the installed SDK's, read without importing it
        from importlib.metadata import version

        return version("wandb")
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise unavailable(f"wandb.{name}")


def __dir__() -> list[str]:
    return sorted(__all__)
