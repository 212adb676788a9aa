"""Records for a run that already ended (post-training metrics) go to the same W&B run."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("wandb")

from autolog.records import Metric, RunEnd, RunStart, RunStatus


def test_metric_after_end_resumes_the_same_run_in_the_same_project(tmp_path):
    import harness_wandb as module
    harness = module.HARNESS_CLASS(tmp_path)
    backend = harness.make_backend()
    try:
        now = time.time()
        backend.start_run(RunStart("late1", "exp", "late-run", now))
        backend.log_metrics("late1", [Metric("late1", "loss", 1.0, 1, now)])
        backend.end_run(RunEnd("late1", RunStatus.FINISHED, now))
        backend.log_metrics("late1", [Metric("late1", "accuracy_score_X_test", 0.75, 0, now)])
        backend.close()
        from autolog.backends.wandb import wandb_run_id

        run_id = wandb_run_id("late1")
        assert len(module.run_files(harness.wandb_dir, run_id)) == 2  # the run, then its resumption
        resumed = module.read_offline_run(harness.wandb_dir, run_id)
        assert resumed.project == "autolog-contract" and resumed.name == "late-run"
        keys = {key for row in resumed.history for key in row}
        assert {"loss", "accuracy_score_X_test"} <= keys
    finally:
        harness.teardown()
