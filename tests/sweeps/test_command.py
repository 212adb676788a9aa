"""``program``/``command`` sweeps: each trial runs a real program with its params as arguments;
the program's autologged runs attach to the trial's run through ``AUTOLOG_RUN_ID``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

import autolog
from autolog.sweeps import agent, create_sweep

HERE = Path(__file__).parent


@pytest.fixture
def child_env(monkeypatch):
    monkeypatch.delenv("AUTOLOG_TESTING", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), *sys.path]))


def _trial_runs():
    return {r.run_id: r for r in autolog.Client().search_runs() if "autolog.trial_number" in r.tags}


def test_a_program_gets_its_args_and_its_fit_lands_in_the_trial_run(child_env):
    cfg = {"method": "grid", "program": str(HERE / "train_script.py"),
           "metric": {"name": "training_accuracy_score", "goal": "maximize"},
           "parameters": {"C": {"values": [0.01, 1.0]}, "max_iter": {"value": 50}}}
    opened = create_sweep(cfg)
    outcomes = agent(opened.sweep_id, verbose=False)
    assert [o.state for o in outcomes] == ["COMPLETE", "COMPLETE"]
    runs = _trial_runs()
    assert set(runs) == {o.run_id for o in outcomes}
    for outcome in outcomes:
        run = runs[outcome.run_id]
        assert run.status == "FINISHED" and run.parent_run_id == opened.parent_run_id
        assert run.tags["estimator_name"] == "LogisticRegression"  # the program's fit, in the trial's run
        assert run.params["C"] == str(outcome.params["C"]) and run.params["max_iter"] == "50"
        assert outcome.value == pytest.approx(run.metrics["training_accuracy_score"])
    others = [r for r in autolog.Client().search_runs() if r.run_id not in runs and r.run_id != opened.parent_run_id]
    assert others == []  # no stray run: everything attached to the trials


def test_a_command_with_macros_and_a_failing_program(child_env):
    cfg = {"method": "grid", "program": str(HERE / "json_script.py"), "metric": {"name": "loss"},
           "command": ["${env}", "${interpreter}", "${program}", "${args_json_file}"],
           "parameters": {"x": {"values": [1, 3, 2]}}}
    outcomes = agent(create_sweep(cfg).sweep_id, verbose=False)
    by_x = {o.params["x"]: o for o in outcomes}
    assert by_x[1].state == by_x[2].state == "COMPLETE"
    assert by_x[1].value == pytest.approx(1 + 1 / 3)  # the last value logged
    assert by_x[3].state == "FAIL" and "exited with status 3" in by_x[3].reason
    runs = _trial_runs()
    assert runs[by_x[3].run_id].status == "FAILED"
    assert "exited with status 3" in runs[by_x[3].run_id].tags["autolog.sweep_failure"]
    assert runs[by_x[2].run_id].status == "FINISHED"
    history = autolog.Client().get_metric_history(by_x[2].run_id, "loss")
    assert [p.step for p in history] == [0, 1, 2]


def test_a_pruned_program_is_stopped_and_its_trial_killed(child_env):
    cfg = {"method": "grid", "program": str(HERE / "curve_script.py"), "metric": {"name": "loss"},
           "parameters": {"quality": {"values": [0.2, 0.1, 5.0]}},  # each good one better than the last
           "early_terminate": {"type": "hyperband", "min_iter": 1, "max_iter": 2, "eta": 3}}  # one bracket
    outcomes = agent(create_sweep(cfg).sweep_id, verbose=False)
    assert [o.state for o in outcomes] == ["COMPLETE", "COMPLETE", "PRUNED"]
    run = autolog.Client().get_run(outcomes[2].run_id)
    assert run.status == "KILLED" and run.tags["pruned"] == "true"
    history = autolog.Client().get_metric_history(run.run_id, "loss")
    assert history[-1].step < 15  # stopped before the end of its curve
