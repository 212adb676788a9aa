"""Throughput of the local store's write path (target: 200,000 metric points per second)."""

from __future__ import annotations

import time

from autolog.records import Metric, RunStart

#: A floor well below the target, so a slow or busy test machine does not fail the suite.
MIN_POINTS_PER_SECOND = 100_000


def test_write_batch_stores_metric_points_fast(backend, client) -> None:
    run_ids = [f"perf-{index}" for index in range(4)]
    backend.write_batch([RunStart(run_id, "perf", run_id, time.time()) for run_id in run_ids])
    keys = [f"train/metric_{index}" for index in range(10)]
    batch_size, batches = 5000, 60
    now = time.time()
    prepared = [
        [
            Metric(run_ids[(b * batch_size + i) // 20_000 % 4], keys[i % 10], i / batch_size, b * 500 + i // 10, now)
            for i in range(batch_size)
        ]
        for b in range(batches)
    ]

    started = time.perf_counter()
    for batch in prepared:
        backend.write_batch(batch)
    elapsed = time.perf_counter() - started

    total = batch_size * batches
    rate = total / elapsed
    print(f"\nwrite_batch: {total:,} points in {elapsed:.2f} s = {rate:,.0f} points/s")
    assert sum(len(client.get_metric_history(r, k)) for r in run_ids for k in keys) == total
    assert rate >= MIN_POINTS_PER_SECOND
