"""Several processes writing one store at once: nothing corrupted, nothing lost."""

from __future__ import annotations

import subprocess
import sys
import time

from autolog.client import Client

RUNS, BATCHES, POINTS = 3, 15, 2000


def test_two_processes_writing_at_once_lose_no_record(tracking_dir, writer_script) -> None:
    # Both start on an empty directory, so they also race to create the database and schema.
    writers = [
        subprocess.Popen(
            [sys.executable, writer_script, tracking_dir, "batches", tag, str(RUNS), str(BATCHES), str(POINTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    reader = Client(tracking_dir)
    reads = 0
    while any(writer.poll() is None for writer in writers):
        reader.search_runs(filter_string="metrics.m >= 0")  # reading alongside never fails
        reads += 1
        time.sleep(0.01)
    outputs = [writer.communicate(timeout=60) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], outputs
    assert reads > 0

    runs = reader.search_runs()
    assert len(runs) == 2 * RUNS
    assert reader.list_experiments() == ["exp-a", "exp-b"]
    total = BATCHES * POINTS
    for run in runs:
        assert run.status == "FINISHED"
        assert run.params == {f"p{index}": str(index) for index in range(BATCHES)}
        assert run.tags == {"last_batch": str(BATCHES - 1)}
        assert run.metrics == {"m": float(total - 1)}
        history = reader.get_metric_history(run.run_id, "m")
        assert [point.step for point in history] == list(range(total))
