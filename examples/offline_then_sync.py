"""Offline first: train with no server, send the runs to MLflow later.

    python examples/offline_then_sync.py                          # train only: the local store
    python examples/offline_then_sync.py http://127.0.0.1:5000    # then sync them to that server

Training writes to the local store (``AUTOLOG_DIR`` or ``./autolog-runs``): no server, no network.
Given a tracking URI, the runs are then sent with ``autolog.sync``: the first call sends every
run (start times, params, every metric point with its step and time, the models in MLflow's
sklearn flavor, plots, the search's child runs under their parent), the second sends nothing,
because the store remembers what the server has. The same from a shell:
``autolog sync --to mlflow --option tracking_uri=http://127.0.0.1:5000``.
"""

from __future__ import annotations

import sys

import autolog

autolog.autolog(experiment="offline")  # the local store only: works on a plane

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

X, y = load_breast_cancer(return_X_y=True)
LogisticRegression(max_iter=500).fit(X, y)
GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
with autolog.run(name="manual") as run:
    for step in range(100):
        run.log_metric("loss", 1.0 / (step + 1), step=step)

print("trained:", len(autolog.Client().search_runs("offline")), "runs in the local store")

if len(sys.argv) > 1:  # later, where the server can be reached
    options = {"tracking_uri": sys.argv[1]}
    print(autolog.sync("mlflow", experiment="offline", options=options, progress=sys.stderr))
    print(autolog.sync("mlflow", experiment="offline", options=options))  # nothing new: sends nothing
