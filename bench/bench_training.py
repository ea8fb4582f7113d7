"""What live progress costs: training on digits with events and `run.log` against the same loop with neither.

The train stage hands the loop `core.pipeline.TrainLogger` (a frozen `Progress` event every batch, `run.log` plus a
`Metrics` and a `LogLine` event every `batch_log_interval` batches, into a real run on a real store); the peer runs
`core.pipeline.train.train` with no hooks. Both start from the same seed and weights; runs alternate so that drift
in the machine's load hits both, and the best of each is compared. Goal: at most 3% slower.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import Result

TITLE = "Training with live events and run.log (digits)"
REPEAT = 9
CONFIG = {"batch_size": 32, "epochs": 2, "batch_log_interval": 25}  # the tutorial's interval; digits-sized batches


def run(workdir: Path) -> list[Result]:
    import torch

    import core
    from core.pipeline.config import TrainConfig
    from core.pipeline.data import load_digits, preprocess
    from core.pipeline.model import build_model
    from core.pipeline import TrainLogger
    from core.pipeline.train import seed_everything, train

    data = load_digits()
    training = preprocess(*data.splits["training"])
    validation = preprocess(*data.splits["validation"])
    config = TrainConfig.from_mapping(CONFIG)
    device = torch.device("cpu")
    seed_everything(0)
    initial = build_model().state_dict()
    store = core.open_store(workdir / "store")
    events: list = []

    def fresh_model():
        seed_everything(0)
        model = build_model()
        model.load_state_dict(initial)
        return model

    def bare() -> float:
        model = fresh_model()
        t0 = time.perf_counter()
        train(model, training, validation, config, device, None)
        return time.perf_counter() - t0

    def logged() -> float:
        model = fresh_model()
        events.clear()
        with core.init(project="bench", job_type="train", config=CONFIG, store=store) as run_:
            hooks = TrainLogger("train", run_, events.append, len(training[1]), config.batch_size)
            t0 = time.perf_counter()
            train(model, training, validation, config, device, hooks)
            elapsed = time.perf_counter() - t0
        return elapsed

    bare()  # warm-up: the first convolutions pay one-off kernel set-up
    logged()
    bare_times, logged_times = [], []
    for _ in range(REPEAT):
        bare_times.append(bare())
        logged_times.append(logged())
    ours, peer = min(logged_times), min(bare_times)
    batches = config.epochs * -(-len(training[1]) // config.batch_size)
    return [
        Result(
            name=f"train {config.epochs} epochs on digits ({batches} batches, {len(events)} events)",
            ours=ours, unit="s", peer="same loop, no events or run.log", peer_value=peer,
            goal="<= 1.03x peer", met=ours <= 1.03 * peer,
        )
    ]
