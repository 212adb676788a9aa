"""SIGTERM and SIGINT in the middle of sklearn fits and of a Trainer run: the open runs end
KILLED with every record logged before the signal, and the process ends as it would have without
autolog (killed by SIGTERM; Python's KeyboardInterrupt exit for SIGINT)."""

from __future__ import annotations

import signal
import textwrap

import pytest
from lifecycle import TRAINER, autolog_warnings  # this folder is on sys.path (conftest.py)


def _logged_steps(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("logged ")]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_trainer_kills_the_run_and_keeps_every_point_and_the_checkpoint(script, signum):
    user = script(TRAINER + textwrap.dedent("""
        autolog.autolog()
        trainer(max_steps=100_000).train()
    """))
    running = user.start()
    running.wait_for("logged 9")
    running.signal(signum)
    code, out, err = running.finish()
    assert code == -signum, (code, err[-3000:])
    printed = _logged_steps(running.lines + out.splitlines())
    client = user.client()
    (run,) = client.search_runs()
    assert run.status == "KILLED"
    stored = [p.step for p in client.get_metric_history(run.run_id, "loss")]
    assert stored[: max(printed)] == list(range(1, max(printed) + 1)), (printed, stored)
    assert run.params["max_steps"] == "100000"
    checkpoints = {a.path for a in client.list_artifacts(run.run_id, "checkpoints")}
    assert len(checkpoints) == 1 and checkpoints <= {f"checkpoints/checkpoint-{s}" for s in range(4, 200, 4)}
    assert not autolog_warnings(err), err[-3000:]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_mid_fit_loop_kills_only_the_interrupted_run(script, signum):
    user = script("""
        autolog.autolog()
        for c in range(1, 100_000):
            LogisticRegression(C=float(c)).fit(X, y)
            if c == 20:
                print("ready", flush=True)
    """)
    running = user.start()
    running.wait_for("ready")
    running.signal(signum)
    code, _out, err = running.finish()
    assert code == -signum, err[-3000:]
    client = user.client()
    runs = client.search_runs(max_results=50_000)
    statuses = [r.status for r in runs]
    assert "RUNNING" not in statuses
    assert statuses.count("KILLED") <= 1  # the fit in progress, if the signal came during one
    finished = [r for r in runs if r.status == "FINISHED"]
    assert len(finished) >= 20
    for run in finished:  # each finished fit is complete
        assert {a.path for a in client.list_artifacts(run.run_id, "model")} >= {"model/model.pkl"}
        assert "training_accuracy_score" in run.metrics


def test_a_handler_installed_before_autolog_is_chained_not_replaced(script):
    user = script("""
        import signal
        def graceful(signum, frame):
            print("user handler ran", flush=True)
            raise SystemExit(0)
        signal.signal(signal.SIGTERM, graceful)
        autolog.autolog()
        run = autolog.run(name="manual")
        run.log_param("lr", 0.1)
        print("ready", flush=True)
        while True:
            run.log_metric("loss", 0.5)
            time.sleep(0.01)
    """)
    running = user.start()
    running.wait_for("ready")
    running.signal(signal.SIGTERM)
    code, out, err = running.finish()
    assert code == 0 and "user handler ran" in out, (code, err[-2000:])
    (run,) = user.client().search_runs()
    assert run.status == "KILLED" and run.params == {"lr": "0.1"}
    assert run.tags["autolog.signal"] == "SIGTERM"


def test_a_second_sigterm_during_the_exit_flush_ends_the_process_at_once(script):
    # A backend that never answers keeps the exit flush waiting; a second SIGTERM must not wait.
    user = script("""
        import threading
        from autolog.sdk import RecordBackend
        class Hanging(RecordBackend):
            name = "hanging"
            def log_metrics(self, run_id, metrics):
                threading.Event().wait()
        autolog.autolog(backends=["local", Hanging()], exit_flush_timeout=3600)
        run = autolog.run(name="manual")
        run.log_metric("loss", 0.5)
        print("ready", flush=True)
        time.sleep(600)
    """)
    running = user.start()
    running.wait_for("ready")
    import time

    time.sleep(1.5)  # the hanging backend is now stuck in its call
    running.signal(signal.SIGTERM)
    time.sleep(1.0)
    running.signal(signal.SIGTERM)
    code, _out, _err = running.finish(timeout=120)  # far below the script's hour-long exit timeout
    assert code == -signal.SIGTERM
    (run,) = user.client().search_runs()
    assert run.status in ("KILLED", "FINISHED") and run.metrics == {"loss": 0.5}
