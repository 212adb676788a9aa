"""Agents in real processes: two share one study, a killed one leaves nothing RUNNING, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("optuna")

import autolog
from autolog.sweeps import _study, create_sweep

HERE = Path(__file__).parent


def _env(tmp_path, **extra):
    env = {**os.environ, "AUTOLOG_DIR": str(tmp_path / "autolog-runs"), "PYTHONPATH": str(HERE), **extra}
    env.pop("AUTOLOG_TESTING", None)
    return env


def _cli(*args):
    return [sys.executable, "-m", "autolog.cli", "sweep", *args]


def _trial_runs():
    return [r for r in autolog.Client().search_runs() if "autolog.trial_number" in r.tags]


def _study_trials(sweep_id, tmp_path):
    opened = _study.load(sweep_id, _study.default_storage(str(tmp_path / "autolog-runs")))
    return opened.study.get_trials()


def test_two_agent_processes_share_one_grid_and_run_no_point_twice(tmp_path):
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"distribution": "int_uniform", "min": 1, "max": 10}}}
    sweep_id = create_sweep(cfg).sweep_id
    agents = [subprocess.Popen(_cli("agent", sweep_id, "--function", "trainfns:quick"), env=_env(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path) for _ in range(2)]
    outputs = [agent.communicate(timeout=300) for agent in agents]
    assert [agent.returncode for agent in agents] == [0, 0], outputs
    runs = _trial_runs()
    assert sorted(int(r.params["x"]) for r in runs) == list(range(1, 11))  # every point once
    assert {r.status for r in runs} == {"FINISHED"}
    assert len({r.tags["agent_pid"] for r in runs}) == 2  # both agents worked
    trials = _study_trials(sweep_id, tmp_path)
    assert len(trials) == 10 and {t.state.name for t in trials} == {"COMPLETE"}
    assert sum(out.count("COMPLETE") for out, _ in outputs) == 10


def test_an_agent_killed_mid_trial_leaves_no_running_run_and_the_sweep_goes_on(tmp_path):
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2, 3]}}}
    sweep_id = create_sweep(cfg).sweep_id
    marker = tmp_path / "hanging"
    env = _env(tmp_path, SWEEP_MARKER=str(marker))
    first = subprocess.Popen(_cli("agent", sweep_id, "--function", "trainfns:hang_once"), env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert first.poll() is None and time.monotonic() < deadline, "the agent never reached its trial"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    killed = _trial_runs()
    assert [r.status for r in killed] == ["KILLED"]  # readers never see it RUNNING
    second = subprocess.run(_cli("agent", sweep_id, "--function", "trainfns:hang_once"), env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    runs = _trial_runs()
    finished = sorted(int(r.params["x"]) for r in runs if r.status == "FINISHED")
    assert finished == [1, 2, 3]  # the killed point ran again, every point completed once
    assert [r.status for r in runs if r.status != "FINISHED"] == ["KILLED"]
    states = sorted(t.state.name for t in _study_trials(sweep_id, tmp_path))
    assert states == ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"]


def test_cli_create_agent_show(tmp_path):
    config = tmp_path / "sweep.yaml"
    config.write_text("method: grid\nmetric: {name: loss}\nparameters:\n  x: {values: [3, 1, 2]}\n")
    env = _env(tmp_path)
    where = ["--dir", str(tmp_path / "cli-runs")]
    created = subprocess.run(_cli("create", str(config), "--name", "cli-sweep", *where), env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "cli-sweep"
    ran = subprocess.run(_cli("agent", "cli-sweep", "--count", "2", "--function", "trainfns:quick", *where), env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.count("COMPLETE") == 2 and "best trial 1: loss=1" in ran.stdout
    assert "2/2 trials" in ran.stderr
    shown = subprocess.run(_cli("show", "cli-sweep", *where), env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "sweep cli-sweep: grid, minimize loss, 3 trials"
    assert sum(" COMPLETE " in line for line in lines) == 2 and sum(" WAITING " in line for line in lines) == 1
    assert "best trial 1: loss=1" in shown.stdout
    stored = autolog.Client(str(tmp_path / "cli-runs")).search_runs()
    assert len(stored) == 3 and sum(r.parent_run_id is None for r in stored) == 1  # --dir: the sweep's run, 2 trials
    assert not (tmp_path / "autolog-runs").exists()
    unknown = subprocess.run(_cli("show", "nope", *where), env=env, capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "no sweep 'nope'" in unknown.stderr
    config.write_text("method: grid\nmetric: {name: loss}\nparameters:\n  x: {distribution: uniform, min: 0, max: 1}\n")
    bad = subprocess.run(_cli("create", str(config), *where), env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "parameters.x: grid search needs discrete values" in bad.stderr
