"""A separate process writing to a local store, for the concurrency and crash tests.

    python writer_process.py TRACKING_DIR batches TAG RUNS BATCHES POINTS
        writes RUNS runs, each BATCHES batches of POINTS metric points plus a param and a tag
        per batch, then ends them FINISHED; prints "done"
    python writer_process.py TRACKING_DIR hang
        starts a run, writes one batch of metrics, prints its run id, then sleeps until killed
"""

from __future__ import annotations

import sys
import time

from autolog.backends.local import LocalBackend

from autolog.records import Metric, Params, RunEnd, RunStart, RunStatus, Tags


def write_batches(backend: LocalBackend, tag: str, runs: int, batches: int, points: int) -> None:
    run_ids = [f"{tag}-run-{index}" for index in range(runs)]
    backend.write_batch([RunStart(run_id, f"exp-{tag}", run_id, time.time()) for run_id in run_ids])
    for batch_index in range(batches):
        now = time.time()
        batch: list = []
        for run_id in run_ids:
            batch.append(Params(run_id, {f"p{batch_index}": str(batch_index)}))
            batch.append(Tags(run_id, {"last_batch": str(batch_index)}))
            first = batch_index * points
            batch += [Metric(run_id, "m", float(step), step, now) for step in range(first, first + points)]
        backend.write_batch(batch)
    backend.write_batch([RunEnd(run_id, RunStatus.FINISHED, time.time()) for run_id in run_ids])
    print("done", flush=True)


def hang(backend: LocalBackend) -> None:
    run_id = f"hang-{time.time_ns()}"
    backend.write_batch(
        [RunStart(run_id, "crash", "doomed", time.time()), Metric(run_id, "loss", 1.0, 0, time.time())]
    )
    print(run_id, flush=True)
    time.sleep(600)


if __name__ == "__main__":
    directory, mode, *rest = sys.argv[1:]
    local = LocalBackend(directory)
    if mode == "batches":
        write_batches(local, rest[0], *(int(value) for value in rest[1:]))
    else:
        hang(local)
