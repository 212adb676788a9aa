"""Checkpoint policies, hard-link staging, and resuming a run from a checkpoint."""

from __future__ import annotations

import json
import os

import pytest
from autolog.integrations.transformers import AutologCallback, _checkpoints

import autolog
from autolog import _session
from autolog import config as _config
from autolog.testing import MemoryBackend


def _checkpoint_artifacts(run) -> list[tuple[str, tuple[str, ...]]]:
    return [(a.artifact_path, a.aliases) for a in run.artifacts if a.kind.value == "checkpoint"]


def _staging(trainer) -> str:
    return os.path.join(trainer.args.output_dir, _checkpoints.STAGING_DIR)


def test_link_tree_hard_links_files_and_copies_across_filesystems(tmp_path, monkeypatch):
    source = tmp_path / "checkpoint-1"
    (source / "sub").mkdir(parents=True)
    (source / "weights.bin").write_bytes(b"w" * 10)
    (source / "sub" / "x.json").write_text("{}")
    placed = _checkpoints.link_tree(str(source), str(tmp_path / "linked"))
    assert sorted(placed) == ["sub/x.json", "weights.bin"]
    assert os.stat(tmp_path / "linked" / "weights.bin").st_ino == os.stat(source / "weights.bin").st_ino

    def no_links(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    _checkpoints.link_tree(str(source), str(tmp_path / "copied"))
    assert (tmp_path / "copied" / "sub" / "x.json").read_text() == "{}"
    assert os.stat(tmp_path / "copied" / "weights.bin").st_ino != os.stat(source / "weights.bin").st_ino


def test_policy_last_ships_only_the_final_checkpoint_despite_rotation(memory, make_trainer):
    trainer = make_trainer(save_total_limit=1)
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    assert _checkpoint_artifacts(run) == [("checkpoints/checkpoint-12", ("latest",))]
    shipped = run.files["checkpoints/checkpoint-12"]
    assert {"model.safetensors", "trainer_state.json", "autolog_run.json"} <= set(os.listdir(shipped))
    assert os.listdir(_staging(trainer)) == []  # every staged folder was removed after delivery


def test_policy_all_ships_every_checkpoint_even_those_rotated_away(make_trainer):
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], transformers={"log_checkpoints": "all"})
    trainer = make_trainer(save_total_limit=1)
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    steps = [4, 8, 12]
    assert _checkpoint_artifacts(run) == [(f"checkpoints/checkpoint-{s}", ("latest",)) for s in steps]
    for step in steps:  # the Trainer deleted 4 and 8, the staged links kept them whole
        state = json.load(open(os.path.join(run.files[f"checkpoints/checkpoint-{step}"], "trainer_state.json")))
        assert state["global_step"] == step
    assert sorted(os.listdir(trainer.args.output_dir)) == [".autolog-staging", "checkpoint-12"]


def test_policy_best_ships_the_best_checkpoint(make_trainer):
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], transformers={"log_checkpoints": "best"})
    trainer = make_trainer(
        save_steps=3, eval_steps=3, metric_for_best_model="eval_loss", greater_is_better=False, learning_rate=5e-3
    )
    trainer.train()
    autolog.flush()
    best = trainer.state.best_global_step
    assert best in (3, 6, 9, 12)
    assert _checkpoint_artifacts(memory.only_run()) == [(f"checkpoints/checkpoint-{best}", ("best",))]
    assert os.listdir(_staging(trainer)) == []


def test_policy_none_ships_no_checkpoint_but_keeps_the_run_id_for_resume(make_trainer):
    memory = MemoryBackend()
    autolog.autolog(backends=[memory], transformers={"log_checkpoints": "none", "log_models": False})
    trainer = make_trainer(eval_strategy="no")
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    assert run.artifacts == []
    saved = _checkpoints.read_run_file(os.path.join(trainer.args.output_dir, "checkpoint-12"))
    assert saved["run_id"] == run.start.run_id and saved["global_step"] == 12


def test_final_model_is_linked_from_the_last_checkpoint_else_saved(memory, make_trainer):
    make_trainer(max_steps=4, eval_strategy="no").train()  # checkpoint-4 is the final state
    make_trainer(max_steps=3, eval_strategy="no", save_strategy="no").train()  # no checkpoint
    autolog.flush()
    written = sorted(r.models[0].metadata["written"] for r in memory.runs.values())
    assert written == ["linked", "saved"]


def _resume_scenario(make_trainer, callbacks_first=(), callbacks_second=()):
    from transformers import TrainerCallback

    class FailAt8(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 8:
                raise RuntimeError("node lost")

    first = make_trainer(callbacks=[*callbacks_first, FailAt8()], save_steps=3, eval_steps=3)
    with pytest.raises(RuntimeError, match="node lost"):
        first.train()
    second = make_trainer(callbacks=list(callbacks_second), save_steps=3, eval_steps=3)
    return first, second


def test_resume_from_checkpoint_continues_the_same_run(memory, make_trainer):
    first, second = _resume_scenario(make_trainer)
    autolog.flush()
    (failed,) = memory.runs.values()
    assert failed.status == "FAILED"
    assert _checkpoint_artifacts(failed) == [("checkpoints/checkpoint-6", ("latest",))]
    # the interrupted attempt logged step 7 after its last checkpoint (6): the resumed run's
    # RunStart.resume_step tells stores to drop it, and the resumed attempt logs it again
    assert [step for step, _ in failed.history("loss")] == list(range(1, 8))

    second.train(resume_from_checkpoint=True)
    autolog.flush()
    run = memory.only_run()  # the same run id, not a new run
    assert run.status == "FINISHED"
    assert memory.calls.count("start_run") == 2 and run.start.resume_step == 6
    # (MemoryBackend starts afresh on the resumed RunStart, so this is what the resumed part sent)
    assert [step for step, _ in run.history("loss")] == list(range(7, 13))  # nothing re-logged
    assert [step for step, _ in run.history("eval_loss")] == [9, 12]
    assert _checkpoint_artifacts(run)[-1] == ("checkpoints/checkpoint-12", ("latest",))
    assert run.models


def test_resume_with_the_explicit_callback_continues_the_same_run(make_trainer):
    memory = MemoryBackend()
    _session.current().configure(_config.resolve(backends=[memory]))
    first, second = _resume_scenario(make_trainer, [AutologCallback()], [AutologCallback()])
    checkpoint = os.path.join(first.args.output_dir, "checkpoint-6")
    second.train(resume_from_checkpoint=checkpoint)
    autolog.flush()
    run = memory.only_run()
    assert run.status == "FINISHED" and run.start.resume_step == 6
