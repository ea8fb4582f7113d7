"""`r`: the launch form. Pick a stage (the whole pipeline, one of the tutorial's, or one of your own), the project
and dataset, the input versions (any `name:alias` in the store; "latest" by default) and the training settings (a
stage of your own: its settings as `KEY=VALUE ...`); ctrl+s (or the Start button) starts it. Enter in a field moves
to the next one and never starts a launch: a person tabbing through the form with enter must not start an hours-long
training by accident (the form opens on the Stage field, not on Start). Each stage's fields start as its last launch
left them (`remembered`: the job queue's memory of this store's launches, earlier sessions' included). The stages
come from the stage registry; yours are listed by a child process (`launch_request.stage_catalog`) in a worker and
join the list when it answers.

The form returns a `tui.runner.launch_request.LaunchRequest` through `dismiss` (None when cancelled); the runner
queues it.
It checks the request with the pipeline's own validation before returning, so what it accepts a stage accepts too,
and it refuses a stage whose input is not in the store yet, naming the stage to run first. The choices of inputs are
read from the store through `StoreCalls.fetch`; when that fails the form says why under the inputs, and changing the
stage or project, or ctrl+r, reads them again.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import Integer
from textual.widgets import Button, Input, Label, Select, Static

from core.errors import ArtifactsError, NotFoundError, ValidationError
from core.pipeline.config import OPTIMIZERS, TrainConfig
from core.pipeline.registry import DATASET_LABELS
from core.pipeline.user_stages import parse_config_args
from tui.format import describe_error
from tui.runner.launch_request import (
    LaunchRequest,
    known_stages,
    missing_input_hint,
    stage_catalog,
    stage_inputs,
    uses_training_config,
)
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreCalls
from tui.widgets.key_footer import KeyFooter

__all__ = ["LaunchScreen", "input_choices"]

VERSIONS_OFFERED = 50  # newest versions of a collection offered as inputs
DATASETS = [(label, name) for name, label in DATASET_LABELS.items()]
DEVICES = [("auto (cuda when available)", "auto"), ("cpu", "cpu"), ("cuda", "cuda"), ("mps", "mps")]
INT_FIELDS = {"epochs": "epochs", "batch-size": "batch_size", "interval": "batch_log_interval"}
FIELD_NAMES = {"epochs": "epochs", "batch-size": "batch size", "interval": "log interval (batches)"}


def input_choices(store: Any, project: str, name: str) -> list[tuple[str, str]]:
    """(label, "name:alias") for an input: latest first, then other aliases, then the newest versions by number.
    None of them when the project has no such artifact (or is no valid project name); other errors propagate."""
    try:
        count = store.version_count(project, name)
        versions = store.versions(project, name, offset=max(0, count - VERSIONS_OFFERED), limit=VERSIONS_OFFERED)
    except (NotFoundError, ValidationError):
        return []
    newest_first = list(reversed(versions))
    choices = []
    for version in newest_first:
        if "latest" in version.aliases:
            choices.append((f"{name}:latest (v{version.index})", f"{name}:latest"))
    for version in newest_first:
        for alias in version.aliases:
            if alias != "latest":
                choices.append((f"{name}:{alias} (v{version.index})", f"{name}:{alias}"))
    choices += [(version.qualified_name, version.qualified_name) for version in newest_first]
    return [(safe_str(label), ref) for label, ref in choices]


def _row(label: str, widget: Any, row_id: str | None = None) -> Horizontal:
    return Horizontal(Label(label, classes="launch-label"), widget, classes="launch-row", id=row_id)


def _stage_options() -> list[tuple[str, str]]:
    return [(safe_str(stage.label), stage.name) for stage in known_stages()]


def _settings_text(settings: dict[str, Any]) -> str:
    """A user stage's settings as the form's field shows them: `lr=0.01 epochs=3` (quoted where needed)."""
    return " ".join(shlex.quote(f"{k}={v if isinstance(v, str) else json.dumps(v)}") for k, v in settings.items())


class LaunchScreen(StoreCalls, ModalScreen[LaunchRequest | None]):
    """The form; `initial` pre-fills it (the last launch, or a stage picked elsewhere); `remembered` holds the last
    launch of each stage, which fills the fields when that stage is picked."""

    CSS_PATH = "../styles/runner.tcss"  # loaded when the screen first opens, not with the first screen

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s,ctrl+enter", "start", "Start", tooltip="Start the launch (enter moves to the next field)"),
        # A modal screen does not pass keys on to the app's bindings: the app's refresh, which calls refresh_data.
        Binding("ctrl+r", "app.refresh_store", "Refresh", show=False),
    ]

    def __init__(self, store: Any, initial: LaunchRequest | None = None,
                 remembered: Mapping[str, LaunchRequest] | None = None) -> None:
        super().__init__(classes="dialog", id="launch")
        self.store = store
        self.remembered = remembered if remembered is not None else {}
        self.initial = initial or LaunchRequest()
        self._opened_with = self.initial  # a stage of the user's joins the list later: it is picked then
        self._filled_for = self.initial.stage  # the stage whose settings the fields hold
        self._stage_fallback: str | None = None
        self._choices: dict[str, list[tuple[str, str]]] = {}
        self._shown: tuple | None = None
        self._mounting = asyncio.Lock()
        self._stage_names: list[str] = []
        self._inputs_failed = False

    def compose(self) -> ComposeResult:
        initial = self.initial
        config = TrainConfig.from_mapping(initial.train_config)
        with Vertical(id="launch-box"):
            title = Text("Run a pipeline stage", style="bold")
            title.append("   enter next field · ctrl+s start · esc cancel", style="dim")
            yield Static(title, id="launch-title")
            options = _stage_options()
            self._stage_names = [name for _, name in options]
            stage = initial.stage if initial.stage in {name for _, name in options} else options[0][1]
            self._stage_fallback = stage if stage != initial.stage else None  # shown until the user's stages load
            yield _row("Stage", Select(options, value=stage, allow_blank=False, compact=True, id="launch-stage"))
            yield _row("Project", Input(initial.project, compact=True, id="launch-project", max_length=128))
            yield _row("Dataset", Select(DATASETS, value=initial.dataset, allow_blank=False, compact=True,
                                         id="launch-dataset"), row_id="launch-dataset-row")
            yield Vertical(id="launch-inputs")
            yield _row("Settings", Input("", compact=True, id="launch-config", placeholder="KEY=VALUE ..."),
                       row_id="launch-config-row")
            with Vertical(id="launch-training"):
                yield _row("Epochs", self._int_input("epochs", config.epochs))
                yield _row("Batch size", self._int_input("batch-size", config.batch_size))
                yield _row("Optimizer", Select([(o, o) for o in OPTIMIZERS], value=config.optimizer,
                                               allow_blank=False, compact=True, id="launch-optimizer"))
                yield _row("Log interval", self._int_input("interval", config.batch_log_interval))
                device = config.device if config.device in {value for _, value in DEVICES} else "auto"
                yield _row("Device", Select(DEVICES, value=device, allow_blank=False, compact=True,
                                            id="launch-device"))
            yield Static("", id="launch-error")
            with Horizontal(id="launch-buttons"):
                yield Button("Start (ctrl+s)", variant="primary", compact=True, id="launch-start")
                yield Button("Cancel", compact=True, id="launch-cancel")
        yield KeyFooter()

    @staticmethod
    def _int_input(name: str, value: int) -> Input:
        return Input(str(value), type="integer", compact=True, id=f"launch-{name}",
                     validators=[Integer(minimum=1, failure_description=f"{FIELD_NAMES[name]} must be ≥ 1")])

    def on_mount(self) -> None:
        self._stage_changed()
        self.query_one("#launch-stage", Select).focus()
        # the user's stages, listed by a child process (once per TUI process)
        self.fetch("launch-stages", lambda: stage_catalog().problems, self._show_stages)

    def _show_stages(self, problems: tuple[str, ...]) -> None:
        if not self.query("#launch-stage"):
            return
        select = self.query_one("#launch-stage", Select)
        options = _stage_options()
        if [name for _, name in options] != self._stage_names:
            opened, wanted = self._opened_with, self.stage
            self._stage_names = [name for _, name in options]
            select.set_options(options)
            if self._stage_fallback == wanted and opened.stage in known_stages():
                # the form opened on a stage of the user's and nobody picked another since: its fields as opened
                wanted = self._filled_for = opened.stage
                self._fill(opened)
            self._stage_fallback = None
            select.value = wanted
        if problems:
            self.query_one("#launch-error", Static).update(
                safe_text(f"some of your stages did not load: {problems[0]}", "bold red"))

    # -- what the form shows --------------------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        return str(self.query_one("#launch-stage", Select).value)

    @property
    def project(self) -> str:
        return self.query_one("#launch-project", Input).value.strip()

    @on(Select.Changed, "#launch-stage")
    def _stage_changed(self) -> None:
        if not self.query("#launch-stage"):  # a change that arrives after the form closed
            return
        remembered = self.remembered.get(self.stage)
        if self.stage != self._filled_for:
            self._filled_for = self.stage
            if remembered is not None:
                self._fill(remembered)
        stage = known_stages().get(self.stage) if self.stage in known_stages() else None
        self.query_one("#launch-training").display = uses_training_config(self.stage)
        self.query_one("#launch-dataset-row").display = stage is None or stage.uses_dataset
        settings = self.query_one("#launch-config-row")
        settings.display = bool(stage and stage.config and not stage.is_tutorial)
        if settings.display:
            given = dict(self.initial.config) if self.initial.stage == self.stage else {}
            self.query_one("#launch-config", Input).value = _settings_text({**stage.config, **given})
        self._load_inputs()

    def _fill(self, request: LaunchRequest) -> None:
        """The fields as `request` had them (its stage is the one shown); its pinned inputs are offered first."""
        try:
            config = TrainConfig.from_mapping(request.train_config)
        except ArtifactsError:  # booked by another version with settings this one refuses: keep the fields
            return
        self.initial = request
        self.query_one("#launch-project", Input).value = request.project
        if request.dataset in {name for _, name in DATASETS}:
            self.query_one("#launch-dataset", Select).value = request.dataset
        for name, value in (("epochs", config.epochs), ("batch-size", config.batch_size),
                            ("interval", config.batch_log_interval)):
            self.query_one(f"#launch-{name}", Input).value = str(value)
        self.query_one("#launch-optimizer", Select).value = config.optimizer
        devices = {value for _, value in DEVICES}
        self.query_one("#launch-device", Select).value = config.device if config.device in devices else "auto"

    @on(Input.Changed, "#launch-project")
    def _project_changed(self) -> None:
        if self.query("#launch-stage"):
            self._load_inputs()

    def _load_inputs(self) -> None:
        names = stage_inputs(self.stage)
        self.query_one("#launch-inputs").display = bool(names)
        if names:
            self._read_choices(self.project, names)

    def _read_choices(self, project: str, names: tuple[str, ...]) -> None:
        self.fetch("launch-inputs", lambda: {name: input_choices(self.store, project, name) for name in names},
                   lambda choices: self._show_choices(project, names, choices),
                   on_error=lambda error: self._choices_failed(project, names, error))

    def refresh_data(self) -> None:
        """ctrl+r (the app's refresh): read the input choices again."""
        if self.query("#launch-stage"):
            self._load_inputs()

    def _choices_failed(self, project: str, names: tuple[str, ...], error: BaseException) -> None:
        if not self.query("#launch-stage") or project != self.project or names != stage_inputs(self.stage):
            return
        message = safe_text(f"could not read the versions of {', '.join(names)}: {describe_error(error)}", "bold red")
        message.append("  (ctrl+r retries)", style="dim")
        self.query_one("#launch-error", Static).update(message)
        self._inputs_failed = True

    async def _show_choices(self, project: str, names: tuple[str, ...],
                            choices: dict[str, list[tuple[str, str]]]) -> None:
        if not self.query("#launch-stage"):
            return
        if project != self.project or names != stage_inputs(self.stage):
            return  # the form moved on while we read
        if self._inputs_failed:
            self._inputs_failed = False
            self.query_one("#launch-error", Static).update("")
        if (project, names, choices) == self._shown:
            return
        self._shown = (project, names, choices)
        self._choices = choices
        pinned = {ref.rpartition(":")[0].rpartition("/")[2]: ref for ref in self.initial.inputs}
        rows = []
        for name in names:
            options = choices[name]
            if options:
                refs = [ref for _, ref in options]
                value = pinned.get(name) if pinned.get(name) in refs else refs[0]
                widget: Any = Select(options, value=value, allow_blank=False, compact=True,
                                     id=f"launch-input-{name}", classes="launch-input")
            else:
                widget = Static(safe_text(f"not in this project yet: {missing_input_hint(name)}", "red"))
            rows.append(_row(name, widget))
        async with self._mounting:  # two quick changes must not mount the same ids twice
            box = self.query_one("#launch-inputs")
            await box.remove_children()
            await box.mount_all(rows)

    # -- starting ---------------------------------------------------------------------------------------------

    def _request(self) -> LaunchRequest:
        """The request the form describes; a `ValidationError` naming the first problem."""
        stage = self.stage
        inputs = []
        names = stage_inputs(stage)
        if names and (self._shown is None or self._shown[:2] != (self.project, names)):
            raise ValidationError("still reading the versions of the inputs from the store; try again")
        for name in names:
            if not self._choices.get(name):
                raise ValidationError(f"{name} is not in project {self.project!r} yet: {missing_input_hint(name)}")
            value = self.query_one(f"#launch-input-{name}", Select).value
            ref = str(value) if value != Select.NULL else f"{name}:latest"
            if ref != f"{name}:latest":
                inputs.append(ref)
        config: dict[str, Any] = {}
        if uses_training_config(stage):
            for field, key in INT_FIELDS.items():
                widget = self.query_one(f"#launch-{field}", Input)
                try:
                    config[key] = int(widget.value)
                except ValueError:
                    raise ValidationError(f"{FIELD_NAMES[field]} must be a whole number, "
                                          f"got {widget.value!r}") from None
            config["optimizer"] = str(self.query_one("#launch-optimizer", Select).value)
            device = str(self.query_one("#launch-device", Select).value)
            config["device"] = None if device == "auto" else device
        settings: dict[str, Any] = {}
        if self.query_one("#launch-config-row").display:
            text = self.query_one("#launch-config", Input).value
            try:
                pairs = shlex.split(text)
            except ValueError as error:
                raise ValidationError(f"settings {text!r}: {error}") from None
            settings = parse_config_args(known_stages().get(stage), pairs)
        request = LaunchRequest(stage=stage, project=self.project,
                                dataset=str(self.query_one("#launch-dataset", Select).value),
                                inputs=tuple(inputs), train_config=config, config=settings)
        request.validate()
        return request

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#launch-start")
    def action_start(self) -> None:
        try:
            request = self._request()
        except ArtifactsError as error:
            self.query_one("#launch-error", Static).update(safe_text(str(error), "bold red"))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#launch-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
