"""W&B-style: a dataset split logged as Tables, predictions logged as a Table in an artifact and in the run, and an
evaluation that reads `artifact.get("predictions")` (as W&B's Tables and "log predictions" examples do), with one
change: `import wandb` became `from core import wandb_compat as wandb`. Data: scikit-learn's bundled digits; the
"model" is a nearest-centroid classifier, so the script takes seconds."""

from core import wandb_compat as wandb

import numpy as np
from sklearn.datasets import load_digits

digits = load_digits()
images, labels = digits.images[:60], digits.target[:60]
splits = {"train": range(0, 40), "test": range(40, 60)}

# 1. log the dataset split, one table per split
with wandb.init(project="tables-demo", job_type="upload") as run:
    dataset = wandb.Artifact("digits-split", type="dataset", metadata={"rows": len(labels)})
    for split, rows in splits.items():
        table = wandb.Table(columns=["id", "image", "label"])
        for i in rows:
            table.add_data(i, wandb.Image(images[i] * 16), int(labels[i]))
        dataset.add(table, split)
    run.log_artifact(dataset)

# 2. train on the train table, log predictions on the test table
with wandb.init(project="tables-demo", job_type="evaluate", config={"model": "nearest-centroid"}) as run:
    dataset = run.use_artifact("digits-split:latest")
    train, test = dataset.get("train"), dataset.get("test")
    x = np.stack([np.asarray(img.image, dtype=float) for img in train.get_column("image")]).reshape(len(train.data), -1)
    y = np.array(train.get_column("label"))
    centroids = np.stack([x[y == d].mean(axis=0) for d in range(10)])

    columns = ["id", "image", "guess", "truth"] + [f"score_{d}" for d in range(10)]
    predictions = wandb.Table(columns=columns)
    for row_id, img, label in test.data:
        pixels = np.asarray(img.image, dtype=float).reshape(-1)
        scores = -np.linalg.norm(centroids - pixels, axis=1)
        predictions.add_data(row_id, img, int(np.argmax(scores)), label, *scores.tolist())

    run.log({"predictions_table": predictions})
    artifact = wandb.Artifact("digits-predictions", type="evaluation")
    artifact.add(predictions, "predictions")
    run.log_artifact(artifact)
    artifact.wait()
    print("logged", artifact.name, artifact.version)

# 3. a later analysis reads the predictions back
with wandb.init(project="tables-demo", job_type="analysis") as run:
    predictions = run.use_artifact("digits-predictions:latest").get("predictions")
    guesses, truths = predictions.get_column("guess"), predictions.get_column("truth")
    accuracy = float(np.mean(np.array(guesses) == np.array(truths)))
    run.summary["accuracy"] = accuracy
    print("accuracy", accuracy)
