"""Hard deaths (SIGKILL, ``os._exit``; an OOM kill is a SIGKILL): nothing of autolog runs, so what
the store holds is what was delivered. At most ``flush_interval`` seconds of metric points are
lost, at any logging rate; everything logged earlier is there; readers show the run KILLED."""

from __future__ import annotations

import random
import signal
import time

import pytest

LOGGER = """
autolog.autolog(flush_interval={interval})
LogisticRegression().fit(X, y)                     # a complete run, well before the kill
run = autolog.run(name="steady")
run.log_params({{"lr": 0.1, "batch": 32}})
run.set_tag("phase", "train")
print("ready", flush=True)
step = 0
while True:
    run.log_metric("loss", 1.0 / (step + 1), step=step)
    step += 1
    {pause}
"""


@pytest.mark.parametrize(
    "pause, label", [("time.sleep(0.001)", "about 1,000 points/s"), ("pass", "as fast as Python can log")]
)
def test_sigkill_loses_at_most_flush_interval_of_points(script, pause, label):
    interval = 1.0
    user = script(LOGGER.format(interval=interval, pause=pause))
    running = user.start()
    running.wait_for("ready")
    time.sleep(3.0 + random.random())  # any phase of the delivery cycle
    killed_at = time.time()
    running.signal(signal.SIGKILL)
    code, _out, _err = running.finish()
    assert code == -signal.SIGKILL
    client = user.client()
    runs = {r.name: r for r in client.search_runs()}
    steady = runs["steady"]
    assert steady.status == "KILLED"  # the writer is gone: readers mark it
    assert steady.params == {"lr": "0.1", "batch": "32"} and steady.tags["phase"] == "train"
    history = client.get_metric_history(steady.run_id, "loss")
    assert [p.step for p in history] == list(range(len(history)))  # no gaps: a prefix was kept
    lost = killed_at - history[-1].timestamp
    print(f"\nSIGKILL while logging {label}: {len(history)} points stored, last {lost:.3f} s lost")
    assert lost <= interval + 0.5, lost  # flush_interval, plus scheduling noise on a busy machine
    fitted = runs["LogisticRegression"]
    assert fitted.status == "FINISHED"
    assert {"model/model.pkl"} <= {a.path for a in client.list_artifacts(fitted.run_id, "model")}


def test_os_exit_keeps_everything_logged_a_flush_interval_earlier(script):
    user = script("""
        autolog.autolog(flush_interval=0.5)
        for c in (1.0, 2.0, 3.0):
            LogisticRegression(C=c).fit(X, y)
        run = autolog.run(name="open")
        run.log_param("lr", 0.1)
        time.sleep(1.5)
        os._exit(7)
    """)
    done = user.run()
    assert done.returncode == 7
    client = user.client()
    runs = client.search_runs()
    assert sorted((r.name, r.status) for r in runs) == [
        ("LogisticRegression", "FINISHED"), ("LogisticRegression", "FINISHED"),
        ("LogisticRegression", "FINISHED"), ("open", "KILLED"),
    ]
    for run in runs:
        if run.name == "LogisticRegression":
            assert len(client.list_artifacts(run.run_id, "plots")) == 3
            assert {"model/model.pkl"} <= {a.path for a in client.list_artifacts(run.run_id, "model")}
        else:
            assert run.params == {"lr": "0.1"}
