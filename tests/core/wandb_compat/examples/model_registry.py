"""W&B-style: models logged with `log_model`, promoted with `link_model` / `link_artifact`, used with `use_model`,
and a logged artifact waited on (`artifact.wait()`), as W&B's model-registry examples do, with one change:
`import wandb` became `from core import wandb_compat as wandb`."""

from core import wandb_compat as wandb

import json
import os

import numpy as np

os.makedirs("checkpoints", exist_ok=True)

with wandb.init(project="models-demo", job_type="train", config={"lr": 0.01, "epochs": 2}) as run:
    for epoch in range(run.config.epochs):
        weights = np.full((4, 4), epoch, dtype=np.float32)
        np.save(f"checkpoints/epoch-{epoch}.npy", weights)
        run.log({"epoch": epoch, "loss": 1.0 / (epoch + 1)})
        run.log_model(path=f"checkpoints/epoch-{epoch}.npy", name="digits-model", aliases=[f"epoch-{epoch}"])

    card = wandb.Artifact("digits-model-card", type="model-card", description="what the model is for")
    with card.new_file("card.json", mode="w") as handle:
        json.dump({"task": "digits", "lr": run.config.lr}, handle)
    card = run.log_artifact(card)
    card.wait()
    print("card", card.name, card.version, card.id, card.qualified_name)

    best = run.use_artifact("digits-model:epoch-1")
    run.link_artifact(best, "model-registry/digits-classifier", aliases=["staging"])
    run.link_model(path="checkpoints/epoch-1.npy", registered_model_name="digits-classifier",
                   name="digits-model", aliases=["production"])

with wandb.init(project="models-demo", job_type="inference") as run:
    path = run.use_model("digits-model:latest")
    weights = np.load(path)
    run.summary["weight"] = float(weights[0, 0])
    print("used", path)
