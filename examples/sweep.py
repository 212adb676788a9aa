"""A W&B-format sweep run locally: ten trials of a gradient-boosting classifier, the best printed.

    python examples/sweep.py [examples/sweep.yaml]

Each trial is an autolog run under the sweep's parent run: the trial's params, its fit (autologged
into the trial's run) and a validation accuracy logged per boosting stage, which hyperband uses
to stop hopeless trials early. Needs ``pip install 'autolog-suite[sweeps,sklearn]'``; runs are
stored in ``AUTOLOG_DIR`` or ``./autolog-runs``, the study in ``sweeps.db`` beside them
(``autolog sweep show SWEEP_ID`` prints it again). Takes a few seconds.
"""

from __future__ import annotations

import os
import sys

import autolog

autolog.autolog()  # fits inside a trial are recorded into the trial's run

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

X, y = load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)


def train(config: dict) -> None:
    """One trial: ``config`` holds this trial's values of the sweep's parameters."""
    model = GradientBoostingClassifier(random_state=0, **config).fit(X_train, y_train)
    run = autolog.active_run()
    for stage, predicted in enumerate(model.staged_predict(X_val), start=1):
        run.log_metric("val_accuracy", float((predicted == y_val).mean()), step=stage)


if __name__ == "__main__":
    config_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "sweep.yaml")
    best = autolog.sweep(config_path, train)
    print(f"best: val_accuracy={best.value:.4f} with {best.params} (run {best.run_id})")
