"""Run lifecycle: failures, Ctrl-C, the explicit callback, duplicates, report_to, ranks."""

from __future__ import annotations

import pytest
from autolog.integrations.transformers import AutologCallback

import autolog
from autolog import _session
from autolog import config as _config
from autolog.sdk import is_patched
from autolog.testing import MemoryBackend


class Boom(Exception):
    pass


def _raise_at(step: int, exc: BaseException):
    from transformers import TrainerCallback

    class RaiseAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == step:
                raise exc

    return RaiseAt()


def _callbacks_of(trainer) -> list[AutologCallback]:
    return [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, AutologCallback)]


@pytest.fixture
def memory_only() -> MemoryBackend:
    """Backends configured, nothing patched: what a user of the explicit callback has."""
    backend = MemoryBackend()
    _session.current().configure(_config.resolve(backends=[backend]))
    return backend


def test_a_callback_raising_midway_fails_the_run_and_reaches_the_user(memory, make_trainer):
    error = Boom("user callback failed")
    trainer = make_trainer(callbacks=[_raise_at(5, error)], save_steps=2)
    with pytest.raises(Boom) as caught:
        trainer.train()
    assert caught.value is error
    autolog.flush()
    run = memory.only_run()
    assert run.status == "FAILED"
    assert [step for step, _ in run.history("loss")] == [1, 2, 3, 4]
    # the latest checkpoint still reaches the run (it is what a resume needs)
    assert [a.artifact_path for a in run.artifacts] == ["checkpoints/checkpoint-4"]
    assert not run.models
    assert autolog.active_run() is None


def test_compute_loss_raising_fails_the_run(memory, make_trainer):
    from transformers import Trainer

    class BrokenLoss(Trainer):
        def compute_loss(self, model, inputs, *args, **kwargs):
            if self.state.global_step == 3:
                raise ValueError("bad batch")
            return super().compute_loss(model, inputs, *args, **kwargs)

    with pytest.raises(ValueError, match="bad batch"):
        make_trainer(cls=BrokenLoss).train()
    autolog.flush()
    run = memory.only_run()
    assert run.status == "FAILED" and len(run.history("loss")) == 3


def test_ctrl_c_kills_the_run(memory, make_trainer):
    trainer = make_trainer(callbacks=[_raise_at(2, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        trainer.train()
    autolog.flush()
    assert memory.only_run().status == "KILLED"


def test_explicit_callback_records_without_patching(memory_only, make_trainer):
    from transformers import Trainer

    assert not is_patched(Trainer, "train")
    callback = AutologCallback(log_checkpoints="all")
    trainer = make_trainer(callbacks=[callback])
    assert _callbacks_of(trainer) == [callback]
    trainer.train()
    trainer.evaluate()
    autolog.flush()
    run = memory_only.only_run()
    assert run.start.run_id == callback.run_id
    assert run.status == "FINISHED"
    assert len(run.history("loss")) == 12 and len(run.history("eval_loss")) == 3
    assert run.history("total_flos") and run.models
    assert [a.artifact_path for a in run.artifacts] == [f"checkpoints/checkpoint-{s}" for s in (4, 8, 12)]
    assert run.params["dataset.eval.num_rows"] == "16"  # the Trainer was found from the callback


def test_explicit_callback_run_is_not_left_running_or_active_after_a_failure(memory_only, make_trainer):
    raiser = _raise_at(3, Boom())
    trainer = make_trainer(callbacks=[AutologCallback(), raiser])
    with pytest.raises(Boom):
        trainer.train()
    assert autolog.active_run() is None  # a failed explicit run never leaks into later code
    autolog.flush()
    assert memory_only.only_run().status is None  # nobody told the callback yet (exit will:
    # tests/lifecycle/test_trainer_exit.py runs that in a real process)
    failed_run = memory_only.only_run().start.run_id

    trainer.remove_callback(raiser)
    trainer.train()  # a new train() with the same callback ends the old run, then a new one
    autolog.flush()
    assert memory_only.runs[failed_run].status == "FAILED"
    assert [a.artifact_path for a in memory_only.runs[failed_run].artifacts] == []  # none saved by step 3
    assert sorted(r.status for r in memory_only.runs.values()) == ["FAILED", "FINISHED"]


def test_autolog_plus_explicit_callback_records_once(memory, make_trainer):
    explicit = AutologCallback(log_checkpoints="all")
    trainer = make_trainer(callbacks=[explicit])
    assert _callbacks_of(trainer) == [explicit]
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    assert run.status == "FINISHED" and len(run.history("loss")) == 12
    assert len(run.artifacts) == 3  # the explicit callback's own options apply


def test_two_explicit_callbacks_record_once(memory_only, make_trainer):
    make_trainer(callbacks=[AutologCallback(), AutologCallback()], max_steps=3, eval_strategy="no").train()
    autolog.flush()
    run = memory_only.only_run()
    assert [step for step, _ in run.history("loss")] == [1, 2, 3]


def test_trainer_built_before_autolog_is_recorded(make_trainer):
    trainer = make_trainer(max_steps=2, eval_strategy="no", save_steps=100)
    memory = MemoryBackend()
    autolog.autolog(backends=[memory])
    trainer.train()
    autolog.flush()
    assert memory.only_run().status == "FINISHED"
    assert len(_callbacks_of(trainer)) == 1


def test_report_to_mlflow_still_records_and_warns_once(memory, make_trainer, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("DISABLE_MLFLOW_INTEGRATION", "FALSE")
    with pytest.warns(autolog.AutologWarning, match="also reports to mlflow") as record:
        make_trainer(max_steps=2, eval_strategy="no", save_steps=100, report_to="mlflow").train()
        make_trainer(max_steps=2, eval_strategy="no", save_steps=100, report_to="mlflow").train()
    assert sum("also reports to mlflow" in str(w.message) for w in record) == 1
    autolog.flush()
    assert len(memory.runs) == 2 and all(r.status == "FINISHED" for r in memory.runs.values())


def test_only_world_process_zero_logs(memory, make_trainer, monkeypatch):
    from transformers import Trainer

    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "is_world_process_zero", lambda self: False)
        trainer = make_trainer(max_steps=2, eval_strategy="no")
        trainer.train()
        trainer.evaluate()
    monkeypatch.setenv("RANK", "1")  # a torchrun worker other than rank 0
    make_trainer(max_steps=2, eval_strategy="no").train()
    autolog.flush()
    assert memory.runs == {}


def test_exclusive_mode_leaves_a_user_run_alone(make_trainer):
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], exclusive=True)
    with autolog.run(name="mine") as mine:
        make_trainer(max_steps=2, eval_strategy="no", save_steps=100).train()
    autolog.flush()
    assert list(memory.runs) == [mine.run_id] and not memory.runs[mine.run_id].metrics


def test_internal_errors_never_break_training_outside_testing(memory, make_trainer, monkeypatch):
    from autolog.integrations.transformers import _capture

    monkeypatch.delenv("AUTOLOG_TESTING")

    def broken(*args, **kwargs):
        raise RuntimeError("autolog bug")

    monkeypatch.setattr(_capture, "training_params", broken)
    monkeypatch.setattr(_capture, "to_float", broken)
    with pytest.warns(autolog.AutologWarning, match="autolog bug"):
        output = make_trainer(max_steps=3, eval_strategy="no", save_steps=100).train()
    assert output.global_step == 3
