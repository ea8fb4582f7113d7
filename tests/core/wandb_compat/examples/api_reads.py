"""W&B-style: reading and editing with the public API (`wandb.Api()`), as W&B's "Public API" examples do, after
model_registry.py has run, with one change: `import wandb` became `from core import wandb_compat as wandb`."""

from core import wandb_compat as wandb

api = wandb.Api()

artifact = api.artifact("models-demo/digits-model:latest", type="model")
print("latest", artifact.name, artifact.aliases)
producer = artifact.logged_by()
print("logged by", producer.name, producer.config["lr"])

versions = [v.version for v in api.artifacts("model", "models-demo/digits-model")]
print("versions", versions)
for run in api.runs("models-demo"):
    print("run", run.id, run.job_type, [a.name for a in run.logged_artifacts()], [a.name for a in run.used_artifacts()])

train = api.run(f"{producer.entity}/models-demo/{producer.id}")
losses = [row["loss"] for row in train.scan_history(keys=["loss"])]
print("losses", losses)

artifact.description = "the epoch-1 weights"
artifact.metadata["reviewed"] = True
artifact.aliases.append("reviewed")
artifact.tags = ["digits"]
artifact.save()

registered = api.artifact("model-registry/digits-classifier:production")
print("registry", registered.name, registered.source_name, registered.aliases)
assert api.artifact_exists("models-demo/digits-model:reviewed")
assert not api.artifact_exists("models-demo/digits-model:v9")
try:
    api.artifact("models-demo/no-such-model:latest")
except wandb.errors.CommError as missing:
    print("missing", type(missing).__name__)
