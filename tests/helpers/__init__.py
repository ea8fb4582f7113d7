"""What the tests share, imported as `from tests.helpers.<module> import ...` (never from a conftest or a test module).

- `store`: writing file trees, snapshotting a store, starting `store_workers.py` (run as a script by path).
- `fake_wandb`: an in-memory W&B server behind a duck-typed `wandb.Api` and `wandb.init`.
- `wandb_sdk`: the real wandb SDK torn down with a bound, for the few tests that use it.
- `app`: the TUI tests' demo store, `settle`, keyboard walks and the screen as text.
- `runner`: the runner's tests' small host app and bounded waits.
- `lineage_tutorial`, `lineage_checks`: the tutorial's lineage graph, and checks of a drawing against its graph.
"""
