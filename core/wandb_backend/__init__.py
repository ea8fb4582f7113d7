"""The store interface of API.md served from a W&B server through `wandb.Api` (the team backend).

`store` composes the pieces: `client` (the guarded SDK calls and their errors), `session_cache` (what was fetched
this session), `remote_cache` (manifests and bytes kept in the local store, with their gc roots), `convert` (SDK
objects to core's value objects), `runs` (runs, history and lineage) and `run` (a run logged through `wandb.init`).
Nothing here is imported by `core` at start-up; the wandb SDK loads on the first call that needs it.
"""
