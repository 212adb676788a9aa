"""A run resumed from a checkpoint continues in place, without duplicated steps."""

from __future__ import annotations

import time

from autolog.backends.local import LocalBackend

from autolog.client import Client
from autolog.records import Metric, RunEnd, RunStart, RunStatus


def test_resumed_run_keeps_history_up_to_the_checkpoint_and_runs_again(tmp_path):
    backend = LocalBackend(str(tmp_path))
    t0 = time.time()
    first = [RunStart("r", "exp", "train", t0)]
    first += [Metric("r", "loss", 1.0 / (s + 1), s, t0 + s) for s in range(1, 71)]
    first += [RunEnd("r", RunStatus.FAILED, t0 + 80)]
    backend.write_batch(first)
    resumed = [RunStart("r", "exp", "train", t0 + 100, resume_step=50)]
    resumed += [Metric("r", "loss", 0.5, s, t0 + 100 + s) for s in range(51, 91)]
    backend.write_batch(resumed)
    client = Client(str(tmp_path))
    run = client.get_run("r")
    assert run.status == "RUNNING" and run.end_time is None
    assert run.start_time == t0
    steps = [p.step for p in client.get_metric_history("r", "loss")]
    assert steps == list(range(1, 91))
    assert run.metrics["loss"] == 0.5
    backend.write_batch([RunEnd("r", RunStatus.FINISHED, t0 + 200)])
    assert client.get_run("r").status == "FINISHED"
    backend.close()


def test_resume_that_rewinds_below_every_point_recomputes_latest_values(tmp_path):
    backend = LocalBackend(str(tmp_path))
    t0 = time.time()
    backend.write_batch([RunStart("r", "exp", "train", t0), Metric("r", "acc", 0.9, 10, t0)])
    backend.write_batch([RunStart("r", "exp", "train", t0 + 1, resume_step=5)])
    run = Client(str(tmp_path)).get_run("r")
    assert "acc" not in run.metrics
    backend.close()
