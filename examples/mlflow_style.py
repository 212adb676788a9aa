"""MLflow-style tracking on autolog's local store: MLflow code with only the imports changed.

    python examples/mlflow_style.py [tracking folder]

Logs a small learning-rate sweep by hand (params, a metric per epoch, an artifact), autologs one
scikit-learn fit into the same experiment, logs and registers the best model, gives it an alias,
then queries the runs as MLflow's client would and loads the model back by its ``models:/`` URI.
Nothing is downloaded; it takes a few seconds. The runs land in the folder given (default
``./mlruns``).
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split

import autolog as mlflow
from autolog import Client as MlflowClient

mlflow.set_tracking_uri(sys.argv[1] if len(sys.argv) > 1 else "./mlruns")
experiment = mlflow.set_experiment("iris-sweep")
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

best = None
for eta0 in (0.001, 0.01, 0.1):
    with mlflow.start_run(run_name=f"sgd-eta{eta0}") as run:
        mlflow.log_params({"eta0": eta0, "loss": "log_loss", "epochs": 5})
        model = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=eta0, random_state=0)
        for epoch in range(5):
            model.partial_fit(X_train, y_train, classes=np.unique(y))
            mlflow.log_metric("val_accuracy", model.score(X_test, y_test), step=epoch)
        with tempfile.TemporaryDirectory() as scratch:
            notes = os.path.join(scratch, "notes.md")
            with open(notes, "w") as fh:
                fh.write(f"SGD with a constant learning rate of {eta0}\n")
            mlflow.log_artifact(notes, artifact_path="docs")
        if best is None or model.score(X_test, y_test) > best[1]:
            best = (run.info.run_id, model.score(X_test, y_test), model)

mlflow.autolog(log_models=False)  # an autologged fit goes to the same experiment
LogisticRegression(max_iter=500).fit(X_train, y_train)

with mlflow.start_run(run_id=best[0]):  # reopen the best run to add its model
    info = mlflow.log_model(best[2], name="model", input_example=X_test[:3], registered_model_name="iris-classifier")

client = MlflowClient()
client.set_registered_model_alias("iris-classifier", "champion", info.registered_model_version)
print(f"experiment {experiment.name!r} has id {experiment.experiment_id}")
for run in client.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="params.loss = 'log_loss'",
    order_by=["metrics.val_accuracy DESC"],
):
    print(f"{run.info.run_id[:8]}  {run.info.run_name:12s}  eta0={run.data.params['eta0']:6s}  "
          f"val_accuracy={run.data.metrics['val_accuracy']:.3f}  started at {run.info.start_time} ms")
champion = mlflow.load_model("models:/iris-classifier@champion")
print(f"champion is version {info.registered_model_version}: accuracy {champion.score(X_test, y_test):.3f}")
