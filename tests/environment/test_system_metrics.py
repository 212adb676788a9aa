"""Optional system metrics: sampled while a run is open, logged as ``system/...`` metrics."""

from __future__ import annotations

import os
import time

import pytest

import autolog
from autolog import system_metrics


@pytest.fixture(autouse=True)
def _stop_sampler():
    yield
    system_metrics.stop()


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(1000))


def test_an_open_run_gets_cpu_and_memory_samples_and_its_child_does_not():
    autolog.autolog(system_metrics=True, system_metrics_interval=0.05)
    with autolog.run(name="train") as run, autolog.run(name="inner") as inner:
        ballast = bytearray(64 * 2**20)  # noqa: F841 - resident memory the samples must see
        _busy(0.6)
    autolog.flush()
    client = autolog.Client()
    stored = client.get_run(run.run_id)
    rss = client.get_metric_history(run.run_id, "system/process_rss_megabytes")
    assert len(rss) >= 3
    assert [p.step for p in rss] == list(range(len(rss)))
    assert max(p.value for p in rss) > 64
    for key in ("system/process_cpu_percentage", "system/cpu_utilization_percentage",
                "system/system_memory_usage_megabytes"):
        assert key in stored.metrics
    cpu = [p.value for p in client.get_metric_history(run.run_id, "system/process_cpu_percentage")]
    assert max(cpu) > 1 and max(cpu) <= 100 * (os.cpu_count() or 1) + 5  # busy, at most every core
    assert 0 <= stored.metrics["system/cpu_utilization_percentage"] <= 100
    assert not [k for k in client.get_run(inner.run_id).metrics if k.startswith("system/")]


def test_sampling_stops_when_the_run_ends_and_is_off_by_default():
    autolog.autolog(system_metrics=True, system_metrics_interval=0.05)
    with autolog.run() as sampled:
        time.sleep(0.3)
    autolog.flush()
    client = autolog.Client()
    count = len(client.get_metric_history(sampled.run_id, "system/process_rss_megabytes"))
    time.sleep(0.3)
    autolog.flush()
    assert count >= 2 and len(client.get_metric_history(sampled.run_id, "system/process_rss_megabytes")) == count

    system_metrics.stop()
    autolog.autolog()
    with autolog.run() as plain:
        time.sleep(0.3)
    autolog.flush()
    assert not [k for k in client.get_run(plain.run_id).metrics if k.startswith("system/")]


def test_one_probe_reading_has_the_process_and_machine_values():
    probe = system_metrics.Probe()
    _busy(0.1)
    values = probe.sample()
    assert values["system/process_rss_megabytes"] > 1
    assert values["system/process_cpu_percentage"] > 0
    assert set(values) >= {"system/cpu_utilization_percentage", "system/system_memory_usage_megabytes"}
    probe.close()
