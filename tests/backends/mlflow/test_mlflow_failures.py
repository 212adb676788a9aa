"""Failures: a server that goes away, and retries after a call failed part-way."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from autolog.records import Metric, RunEnd, RunStart, RunStatus


class FailOnce:
    """Wraps a client method: the ``nth`` call raises ``exc`` (before reaching the server, or after
    when ``after`` is true, as a lost reply looks), every other call goes through."""

    def __init__(self, real, nth=1, exc=None, after=False):
        self.real, self.nth, self.after, self.calls = real, nth, after, 0
        self.exc = exc or ConnectionError("connection reset")

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.nth and not self.after:
            raise self.exc
        result = self.real(*args, **kwargs)
        if self.calls == self.nth:
            raise self.exc
        return result


def test_start_run_retried_after_a_partial_failure_creates_one_run(driver, client):
    backend = driver.backend
    backend._client.log_batch = FailOnce(backend._client.log_batch)  # the initial tags fail
    run = RunStart(uuid.uuid4().hex, driver.experiment, "once", time.time(), tags={"k": "v"})
    with pytest.raises(ConnectionError):
        driver.call("start_run", run)
    driver.call("start_run", run)  # the dispatcher's retry
    driver.end(run.run_id)
    runs = client.search_runs([driver.mlflow_run(run.run_id).info.experiment_id])
    assert len(runs) == 1 and runs[0].data.tags["k"] == "v"


def test_create_run_whose_reply_was_lost_is_found_not_duplicated(driver, client):
    backend = driver.backend
    backend._client.create_run = FailOnce(backend._client.create_run, after=True)
    run = RunStart(uuid.uuid4().hex, driver.experiment, "lost-reply", time.time())
    with pytest.raises(ConnectionError):
        driver.call("start_run", run)
    driver.call("start_run", run)
    driver.end(run.run_id)
    runs = client.search_runs([driver.mlflow_run(run.run_id).info.experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"


def test_log_metrics_retry_resumes_at_the_failed_chunk(driver, client):
    run_id = driver.start()
    backend = driver.backend
    spy = FailOnce(backend._client.log_batch, nth=2)
    backend._client.log_batch = spy
    points = [Metric(run_id, "loss", float(i), i, 1000.0 + i) for i in range(2500)]
    with pytest.raises(ConnectionError):
        driver.call("log_metrics", run_id, points)
    driver.call("log_metrics", run_id, points)  # the dispatcher retries the same call
    assert spy.calls == 4  # chunk 1, chunk 2 (failed), chunk 2 again, chunk 3: chunk 1 not resent
    driver.end(run_id)
    history = client.get_metric_history(driver.mlflow_run(run_id).info.run_id, "loss")
    assert [m.step for m in history] == list(range(2500))


def test_server_down_calls_fail_fast_then_succeed_after_restart_losing_nothing(mlflow_server, client):
    """The session's server is stopped mid-run and restarted on the same port and store."""
    from autolog.backends.mlflow import MlflowBackend

    lane = ThreadPoolExecutor(max_workers=1)
    try:
        backend = MlflowBackend(tracking_uri=mlflow_server.url)
        run = RunStart(uuid.uuid4().hex, "outage", "outage", time.time())
        backend.on_run_start(run)
        lane.submit(backend.start_run, run).result()
        first = [Metric(run.run_id, "loss", 1.0, 0, time.time())]
        lane.submit(backend.log_metrics, run.run_id, first).result()

        mlflow_server.stop()
        second = [Metric(run.run_id, "loss", 0.5 / (i + 1), i + 1, time.time()) for i in range(1500)]
        for call, args in [
            (backend.log_metrics, (run.run_id, second)),
            (backend.log_params, (run.run_id, {"lr": "0.1"})),
            (backend.end_run, (RunEnd(run.run_id, RunStatus.FINISHED, time.time()),)),
        ]:
            with pytest.raises(Exception) as failure:  # a call that hung would time out instead
                lane.submit(call, *args).result(timeout=60)
            assert not isinstance(failure.value, TimeoutError), f"{call.__name__} hung"
            assert backend.is_transient(failure.value), repr(failure.value)

        mlflow_server.start()
        lane.submit(backend.log_metrics, run.run_id, second).result()  # the dispatcher's retries
        lane.submit(backend.log_params, run.run_id, {"lr": "0.1"}).result()
        lane.submit(backend.end_run, RunEnd(run.run_id, RunStatus.FINISHED, time.time())).result()

        stored = client.get_run(backend.mlflow_run_id(run.run_id))
        assert stored.info.status == "FINISHED" and stored.data.params == {"lr": "0.1"}
        history = client.get_metric_history(stored.info.run_id, "loss")
        assert [m.step for m in history] == list(range(1501))
    finally:
        lane.shutdown()
        if not mlflow_server.healthy():
            mlflow_server.start()


def test_errors_the_server_answers_are_not_transient(driver):
    from mlflow.exceptions import MlflowException, RestException

    backend = driver.backend
    assert not backend.is_transient(RestException({"error_code": "INVALID_PARAMETER_VALUE", "message": "no"}))
    assert backend.is_transient(RestException({"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}))
    assert not backend.is_transient(MlflowException("bad model"))
    assert not backend.is_transient(LookupError("never started"))
