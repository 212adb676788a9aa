"""The sweep example runs as documented and leaves ten trial runs under one parent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

import autolog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_sweep_example_prints_trials_and_the_best_config(tmp_path):
    env = {**os.environ, "AUTOLOG_DIR": str(tmp_path / "autolog-runs")}
    env.pop("AUTOLOG_TESTING", None)
    done = subprocess.run([sys.executable, str(EXAMPLES / "sweep.py")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("trial ") for line in lines) == 10
    assert "10/10 trials" in done.stderr
    assert lines[-1].startswith("best: val_accuracy=")
    runs = autolog.Client().search_runs()
    parent = next(r for r in runs if r.parent_run_id is None)
    assert parent.name == "gradient-boosting" and parent.status == "FINISHED"
    trials = [r for r in runs if r.parent_run_id == parent.run_id]
    assert len(trials) == 10 and {r.status for r in trials} <= {"FINISHED", "KILLED"}
    assert all(r.tags.get("estimator_name") == "GradientBoostingClassifier" for r in trials)
    assert parent.metrics["best_val_accuracy"] == max(r.metrics["val_accuracy"] for r in trials if r.status == "FINISHED")
