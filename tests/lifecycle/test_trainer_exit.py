"""Trainer runs in real processes: a finished training, and an explicit ``AutologCallback`` (no
patching) whose training raised or was interrupted: nobody tells the callback, so the process's
end must, with the right status and the latest checkpoint logged."""

from __future__ import annotations

import signal
import textwrap

from lifecycle import TRAINER, autolog_warnings  # this folder is on sys.path (conftest.py)


def _script(script, body: str):
    return script(TRAINER + textwrap.dedent(body))


def test_a_trainer_run_that_finishes_has_metrics_model_and_checkpoint(script):
    user = _script(script, """
        autolog.autolog()
        trainer(max_steps=8).train()
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr[-3000:]
    assert not autolog_warnings(done.stderr), done.stderr[-3000:]
    client = user.client()
    (run,) = client.search_runs()
    assert run.status == "FINISHED"
    assert [p.step for p in client.get_metric_history(run.run_id, "loss")] == list(range(1, 9))
    assert {a.path for a in client.list_artifacts(run.run_id, "checkpoints")} == {"checkpoints/checkpoint-8"}
    assert {"model/autolog-model.json", "model/config.json"} <= {a.path for a in client.list_artifacts(run.run_id, "model")}
    assert not (user.folder / "out" / ".autolog-staging").exists() or not any((user.folder / "out" / ".autolog-staging").iterdir())


def test_an_explicit_callback_whose_training_raised_ends_failed_with_its_checkpoint(script):
    user = _script(script, """
        from autolog.integrations.transformers import AutologCallback

        class Boom(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == 6:
                    raise RuntimeError("a worker died")

        try:
            trainer(max_steps=50, callbacks=[AutologCallback(), Boom()]).train()
        except RuntimeError:
            print("caught", flush=True)
    """)
    done = user.run()
    assert done.returncode == 0 and "caught" in done.stdout, done.stderr[-3000:]
    client = user.client()
    (run,) = client.search_runs()
    assert run.status == "FAILED"
    assert run.tags["autolog.exit_reason"] == "the process ended during training (normal exit)"
    assert [p.step for p in client.get_metric_history(run.run_id, "loss")] == list(range(1, 6))  # step 6 raised before its log
    assert {a.path for a in client.list_artifacts(run.run_id, "checkpoints")} == {"checkpoints/checkpoint-4"}


def test_ctrl_c_during_an_explicit_callback_training_ends_killed(script):
    user = _script(script, """
        from autolog.integrations.transformers import AutologCallback
        trainer(max_steps=100_000, callbacks=[AutologCallback()]).train()
    """)
    running = user.start()
    running.wait_for("logged 5")
    running.signal(signal.SIGINT)
    code, _out, err = running.finish()
    assert code == -signal.SIGINT, err[-3000:]
    client = user.client()
    (run,) = client.search_runs()
    assert run.status == "KILLED"
    assert {a.path for a in client.list_artifacts(run.run_id, "checkpoints")} == {"checkpoints/checkpoint-4"}
