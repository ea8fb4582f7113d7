"""`artifacts-tui run STAGE|pipeline`: the tutorial's stages headless, with a progress bar and the loss as it falls.

The stages (`core.pipeline`) never print; this module turns their events into terminal output: on a terminal, one
progress line redrawn in place on stderr (`\\r`), with log lines (the losses) printed above it on stdout; otherwise
plain lines (progress at every quarter). It ends with the versions the run(s) logged and their aliases. Strings that
came from the store or files go through `tui.safe.safe_str`, so they cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

from core.errors import NotFoundError
from tui.cli.shared import open_cli_store
from tui.safe import safe_str

STAGE_CHOICES = ("load-data", "preprocess-data", "initialize", "train", "report", "pipeline")
BAR_WIDTH = 24
REDRAW_INTERVAL_S = 0.1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a tutorial pipeline stage (or all five) headless",
        description="Run a stage of W&B's 'Track models and datasets' tutorial, or the whole pipeline, logging "
        "runs and artifacts to the store. STAGE is the job type: load-data, preprocess-data, initialize, train, "
        "report; 'pipeline' runs all five in order.",
    )
    parser.add_argument("stage", choices=STAGE_CHOICES, metavar="STAGE|pipeline",
                        help="one of: " + ", ".join(STAGE_CHOICES))
    parser.add_argument("--project", default="artifacts-example", help="project (default: artifacts-example)")
    parser.add_argument("--wandb", metavar="ENTITY[/PROJECT]", default=argparse.SUPPRESS,
                        help="log the runs to a W&B server through wandb.init (same job types, names, aliases)")
    parser.add_argument("--dataset", choices=("mnist", "digits"), default="mnist",
                        help="mnist (torchvision; downloads when it can) or digits (bundled, offline); default mnist")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="where MNIST/raw/ is read or downloaded (default: ~/.cache/artifacts-tui/datasets)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default 128)")
    parser.add_argument("--batch-log-interval", type=int, default=None,
                        help="log train/loss every N batches (default 25)")
    parser.add_argument("--optimizer", default=None, help="torch.optim optimizer (default Adam)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument("--input", dest="inputs", metavar="NAME:ALIAS", action="extend", nargs="+", default=[],
                        help="read this version instead of NAME:latest, e.g. --input mnist-preprocess:v0")
    parser.add_argument("--download-root", metavar="DIR", default=None,
                        help="where input artifacts are downloaded (default: ./artifacts/NAME:vN, as W&B)")
    parser.set_defaults(handler=run_command)


def _train_config(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        "epochs": args.epochs, "batch_size": args.batch_size, "batch_log_interval": args.batch_log_interval,
        "optimizer": args.optimizer, "device": args.device, "seed": args.seed,
    }
    return {k: v for k, v in given.items() if v is not None}


def run_command(args: argparse.Namespace) -> int:
    # core.pipeline here and in `handle`, not at the top: every subcommand imports this module, and it costs the
    # others a tenth of a second.
    from core import pipeline
    from core.pipeline import check_inputs

    stages = pipeline.STAGES if args.stage == "pipeline" else (args.stage,)
    check_inputs(stages, args.inputs)
    store = open_cli_store(args)
    project = getattr(store, "default_project", None) or args.project  # --wandb ENTITY/PROJECT names the project
    display = ProgressDisplay(sys.stdout, sys.stderr)
    train_config = _train_config(args)
    common = {"project": project, "store": store, "on_event": display.handle}
    downstream = {"dataset": args.dataset, "inputs": args.inputs, "download_root": args.download_root}
    try:
        if args.stage == "pipeline":
            results = pipeline.run_pipeline(dataset=args.dataset, data_dir=args.data_dir, train_config=train_config,
                                            inputs=args.inputs, download_root=args.download_root, **common)
        elif args.stage == "load-data":
            results = [pipeline.load_and_log(dataset=args.dataset, data_dir=args.data_dir, **common)]
        elif args.stage == "preprocess-data":
            results = [pipeline.preprocess_and_log(None, **downstream, **common)]
        elif args.stage == "initialize":
            results = [pipeline.build_model_and_log(None, dataset=args.dataset, seed=train_config.get("seed", 0),
                                                    **common)]
        elif args.stage == "train":
            results = [pipeline.train_and_log(train_config, **downstream, **common)]
        else:
            results = [pipeline.evaluate_and_log(train_config, **downstream, **common)]
    except pipeline.Cancelled:
        display.close()
        print("artifacts-tui: cancelled", file=sys.stderr)
        return 130
    finally:
        display.close()
    _print_outcome(store, results, sys.stdout)
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
