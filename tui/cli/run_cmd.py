"""`artifacts-tui run STAGE|pipeline`: a stage headless (the tutorial's, or one of the user's from
`core.pipeline.registry`), with a progress bar and the loss as it falls; `artifacts-tui stages` lists them.

The stages (`core.pipeline`) never print; this module turns their events into terminal output: on a terminal, one
progress line redrawn in place on stderr (`\\r`), with log lines (the losses) printed above it on stdout; otherwise
plain lines (progress at every quarter). It ends with the versions the run(s) logged and their aliases. Strings that
came from the store or files go through `tui.safe.safe_str`, so they cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import IO, Any

from core.errors import NotFoundError
from tui.cli.shared import open_cli_store
from tui.safe import safe_str

BAR_WIDTH = 24
REDRAW_INTERVAL_S = 0.1
# TrainConfig's keys, each a flag of `run` (batch_size: --batch-size)
TRAIN_FLAGS = {key: f"--{key.replace('_', '-')}"
               for key in ("epochs", "batch_size", "batch_log_interval", "optimizer", "device", "seed")}


def register(subparsers) -> None:
    from core.pipeline.registry import DATASETS, DEFAULT_DATASET, DEFAULT_PROJECT, tutorial_registry

    choices = tutorial_registry().names()
    parser = subparsers.add_parser(
        "run",
        help="run a pipeline stage (the tutorial's, all five, or your own) headless",
        description="Run a stage of W&B's 'Track models and datasets' tutorial, the whole pipeline, or a stage of "
        "your own, logging runs and artifacts to the store. STAGE is the job type: "
        f"{', '.join(c for c in choices if c != 'pipeline')}; 'pipeline' runs all five in order. Your own stages "
        "come from --stages MODULE:ATTR, $ARTIFACTS_TUI_STAGES (MODULE:ATTR[,MODULE:ATTR]) and the entry points "
        "of group 'artifacts_tui.stages'; `artifacts-tui stages` lists them.",
    )
    parser.add_argument("stage", metavar="STAGE|pipeline",
                        help="one of: " + ", ".join(choices) + ", or the name of a stage of your own")
    parser.add_argument("--project", default=DEFAULT_PROJECT, help=f"project (default: {DEFAULT_PROJECT})")
    parser.add_argument("--wandb", metavar="ENTITY[/PROJECT]", default=argparse.SUPPRESS,
                        help="log the runs to a W&B server through wandb.init (same job types, names, aliases)")
    parser.add_argument("--dataset", choices=DATASETS, default=DEFAULT_DATASET,
                        help="mnist (torchvision; downloads when it can) or digits (bundled, offline); "
                        f"default {DEFAULT_DATASET}")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="where MNIST/raw/ is read or downloaded (default: ~/.cache/artifacts-tui/datasets)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default 128)")
    parser.add_argument("--batch-log-interval", type=int, default=None,
                        help="log train/loss every N batches (default 25)")
    parser.add_argument("--optimizer", default=None, help="torch.optim optimizer (default Adam)")
    parser.add_argument("--device", default=None,
                        help="cpu, cuda, cuda:N or mps (default: cuda when available, else cpu); a device this "
                        "machine lacks fails before any run is created")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument("--input", dest="inputs", metavar="NAME:ALIAS", action="extend", nargs="+", default=[],
                        help="read this version instead of NAME:latest, e.g. --input mnist-preprocess:v0")
    parser.add_argument("--download-root", metavar="DIR", default=None,
                        help="where input artifacts are downloaded (default: ./artifacts/NAME:vN, as W&B)")
    parser.add_argument("--group", metavar="NAME", default=None,
                        help="the W&B run group of every run this command creates (wandb.init(group=...)), "
                        "e.g. to find the five runs of one pipeline later")
    parser.add_argument("--stages", metavar="MODULE:ATTR[,...]", action="append", default=[],
                        help="load stages of your own: a core.pipeline.Stage, a list of them, or a function "
                        "decorated with @core.pipeline.stage(...) (repeatable; the current directory is importable)")
    parser.add_argument("--config", metavar="KEY=VALUE", action="append", default=[],
                        help="a setting of your own stage, parsed by the type of its default, e.g. --config lr=0.1 "
                        "(repeatable; unknown keys are refused)")
    parser.set_defaults(handler=run_command, parser=parser)

    listing = subparsers.add_parser(
        "stages", help="list the stages `run` and the TUI can launch, your own included",
        description="List the stages `artifacts-tui run` and the TUI's launch form offer: the tutorial's, "
        "'pipeline', and yours (from --stages, $ARTIFACTS_TUI_STAGES and the 'artifacts_tui.stages' entry points), "
        "with their inputs, outputs and settings.",
    )
    listing.add_argument("--stages", metavar="MODULE:ATTR[,...]", action="append", default=[],
                         help="load these stages of your own too (repeatable)")
    listing.set_defaults(handler=stages_command)


def _specs(values: list[str]) -> list[str]:
    """--stages a:b,c:d --stages e:f -> ["a:b", "c:d", "e:f"]"""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _train_config(args: argparse.Namespace) -> dict[str, Any]:
    given = {key: getattr(args, key) for key in TRAIN_FLAGS}
    return {k: v for k, v in given.items() if v is not None}


def _user_config(stage: Any, args: argparse.Namespace, train_config: dict[str, Any]) -> dict[str, Any]:
    """A user stage's settings from --config, and from the training flags that name one of its settings (--epochs 3
    for a stage with an "epochs" setting); --device is always accepted (it is checked, and passed on if declared)."""
    from core.errors import ValidationError
    from core.pipeline.user_stages import parse_config_args, resolve_config

    overrides = {}
    for key, value in train_config.items():
        if key in stage.config:
            overrides[key] = value
        elif key != "device":
            known = ", ".join(stage.config) or "none"
            raise ValidationError(f"stage {stage.name!r} has no setting {key!r} ({TRAIN_FLAGS[key]}); its "
                                  f"settings: {known} (set them with --config KEY=VALUE)")
    overrides.update(parse_config_args(stage, args.config))
    return resolve_config(stage, overrides)


def run_command(args: argparse.Namespace) -> int:
    from core import names
    from core.errors import ValidationError
    from core.pipeline import Cancelled, StageCall, check_device, check_inputs, load_registry

    # Everything a user can get wrong is checked here, before the store is opened and any run is created.
    registry = load_registry(_specs(args.stages))
    if args.stage not in registry:
        args.parser.error(f"argument STAGE|pipeline: invalid choice: {args.stage!r} (choose from "
                          f"{', '.join(registry.names())})")
    stage = registry.get(args.stage)
    names.check_group(args.group)
    train_config = _train_config(args)
    if stage.is_tutorial:
        if args.config:
            takes = f"takes {', '.join(TRAIN_FLAGS.values())}" if stage.uses_training_config else "has none"
            raise ValidationError(f"--config sets the settings of your own stages; {stage.name!r} {takes}")
        config: dict[str, Any] = {}
    else:
        config = _user_config(stage, args, train_config)
    check_inputs([registry.get(name) for name in stage.runs], args.inputs)
    check_device(args.device)
    store = open_cli_store(args)
    project = store.default_project or args.project  # --wandb ENTITY/PROJECT names the project
    display = ProgressDisplay(sys.stdout, sys.stderr)
    call = StageCall(project=project, store=store, dataset=args.dataset, data_dir=args.data_dir,
                     train_config=train_config, config=config, inputs=tuple(args.inputs),
                     download_root=args.download_root, on_event=display.handle, group=args.group)
    try:
        results = stage.launch(call)
    except Cancelled:
        display.close()
        print("artifacts-tui: cancelled", file=sys.stderr)
        return 130
    finally:
        display.close()
    _print_outcome(store, results, sys.stdout)
    return 0


def stages_command(args: argparse.Namespace) -> int:
    from core.pipeline import load_registry
    from tui.cli.shared import printable

    for stage in load_registry(_specs(args.stages)):
        reads = ", ".join(stage.inputs) or "-"
        logs = ", ".join(stage.outputs) or "-"
        print(printable(f"{stage.name:<16} {stage.label}"))
        if stage.steps:
            print(printable(f"    runs {', '.join(stage.steps)}"))
        else:
            print(printable(f"    reads {reads}; logs {logs}"))
        if stage.config:
            print(printable("    settings " + " ".join(f"{k}={json.dumps(v)}" for k, v in stage.config.items())))
        if not stage.is_tutorial:
            print(printable(f"    from {stage.origin}"))
    return 0


def _print_outcome(store: Any, results: list, out: IO[str]) -> None:
    rows = []
    for result in results:
        for logged in result.outputs:
            try:  # aliases as they are now ("latest" may have moved since)
                aliases = store.artifact(f"{logged.name}:{logged.version}", project=logged.project).aliases
            except NotFoundError:
                aliases = list(logged.aliases)
            note = "  (unchanged: no new version)" if not logged.created else ""
            rows.append((safe_str(f"{logged.project}/{logged.qualified_name}"),
                         f"[{safe_str(', '.join(aliases))}]{note}"))
    width = max((len(ref) for ref, _ in rows), default=0)
    print("logged versions:" if rows else "done.", file=out)
    for ref, rest in rows:
        print(f"  {ref:<{width}}  {rest}", file=out)
    for result in results:
        if result.stage == "report" and result.summary.get("accuracy") is not None:
            print(f"  test accuracy {result.summary['accuracy']:.2f}%, loss {result.summary['loss']:.4f}", file=out)
    out.flush()


class ProgressDisplay:
    """Turns pipeline events into terminal output; `handle` is the stages' `on_event` callback."""

    def __init__(self, out: IO[str], err: IO[str], tty: bool | None = None) -> None:
        self.out, self.err = out, err
        self.tty = err.isatty() if tty is None else tty
        self._bar_shown = False
        self._bar_text = ""
        self._last_draw = 0.0
        self._last_quarter: dict[str, int] = {}

    def handle(self, event: Any) -> None:
        from core.pipeline import LogLine, Progress, StageFailed, StageFinished, StageStarted

        if isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, LogLine):
            self._line(f"  {self._safe(event.text)}")
        elif isinstance(event, StageStarted):
            self._last_quarter[event.stage] = 0
            used = f" using {', '.join(event.inputs)}" if event.inputs else ""
            self._line(f"== {event.stage} (run {event.run_id}){self._safe(used)}")
        elif isinstance(event, StageFinished):
            self._clear_bar()
        elif isinstance(event, StageFailed):
            self._clear_bar()
            if event.state == "cancelled":
                self._line(f"== {event.stage} cancelled")

    @staticmethod
    def _safe(text: str) -> str:
        return safe_str(text)

    def _progress(self, event: Any) -> None:
        if self.tty:
            now = time.monotonic()
            if event.done < event.total and now - self._last_draw < REDRAW_INTERVAL_S:
                return
            self._last_draw = now
            self._draw_bar(event)
            return
        quarter = int(4 * event.fraction)
        if quarter > self._last_quarter.get(event.stage, 0):
            self._last_quarter[event.stage] = quarter
            print(f"  {event.stage}: {event.fraction:.0%} ({event.done}/{event.total} {event.unit})",
                  file=self.err, flush=True)

    def _draw_bar(self, event: Any) -> None:
        filled = int(BAR_WIDTH * event.fraction)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        epoch = f" epoch {event.epoch}" if event.epoch is not None else ""
        text = f"\r  {event.stage} [{bar}] {event.fraction:4.0%} {event.done}/{event.total} {event.unit}{epoch}"
        self.err.write(text + "\x1b[K")
        self.err.flush()
        self._bar_shown = True
        self._bar_text = text

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._bar_shown = False

    def _line(self, text: str) -> None:
        redraw = self._bar_shown
        self._clear_bar()
        print(text, file=self.out, flush=True)
        if redraw:
            self.err.write(self._bar_text + "\x1b[K")
            self.err.flush()
            self._bar_shown = True

    def close(self) -> None:
        self._clear_bar()
