"""Plugins: third-party backends through the entry point, and isolation of broken plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autolog
from autolog import _plugins
from autolog.sdk import hookimpl
from autolog.testing import MemoryBackend

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "autolog-jsonl-backend"


def test_installed_entry_point_plugin_is_used_by_name(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    records = tmp_path / "records.jsonl"
    script = textwrap.dedent(
        f"""
        import autolog
        autolog.autolog(backends=["jsonl"], backend_options={{"jsonl": {{"path": {str(records)!r}}}}})
        with autolog.run(name="via-plugin") as run:
            run.log_param("lr", 0.1)
            run.log_metric("loss", 0.5, step=3)
        assert autolog.flush(10)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    lines = [json.loads(line) for line in records.read_text().splitlines()]
    kinds = [line["type"] for line in lines]
    assert kinds == ["RunStart", "Params", "Metric", "RunEnd"]
    assert lines[0]["name"] == "via-plugin"
    assert lines[2]["key"] == "loss" and lines[2]["step"] == 3 and lines[2]["value"] == 0.5
    assert lines[3]["status"] == "FINISHED"


def test_unknown_backend_name_is_a_clear_error(fresh_plugins):
    with pytest.raises(ValueError, match="unknown backend 'nosuch'.*local"):
        autolog.autolog(backends=["nosuch"])


def test_plugin_with_a_misspelt_hook_is_skipped_with_a_warning(fresh_plugins, monkeypatch):
    monkeypatch.delenv("AUTOLOG_TESTING")

    class Misspelt:
        @hookimpl
        def autolog_make_backnd(self, name, config):  # typo: not a hook autolog knows
            return MemoryBackend()

    with pytest.warns(autolog.AutologWarning, match="misspelt"):
        _plugins.register(Misspelt(), "misspelt")
    assert not _plugins.plugin_manager().has_plugin("misspelt")


def test_plugin_backend_registered_at_run_time_is_built_by_name(fresh_plugins):
    memory = MemoryBackend()

    class Plugin:
        @hookimpl
        def autolog_make_backend(self, name, config):
            return memory if name == "mem" else None

    _plugins.register(Plugin(), "mem-plugin")
    autolog.autolog(backends=["mem"])
    with autolog.run() as run:
        run.log_metric("m", 1.0)
    autolog.flush(10)
    assert memory.runs[run.run_id].history("m") == [(0, 1.0)]


def test_plugin_hooks_observe_run_start_and_end(fresh_plugins, memory):
    seen = []

    class Observer:
        @hookimpl
        def autolog_run_started(self, run):
            seen.append(("start", run.run_id))

        @hookimpl
        def autolog_run_ended(self, run):
            seen.append(("end", run.run_id, run.status.value))

    _plugins.register(Observer(), "observer")
    with autolog.run() as run:
        pass
    assert seen == [("start", run.run_id), ("end", run.run_id, "FINISHED")]


TORCH_EXAMPLE = ROOT / "examples" / "autolog-torch-loop"


def test_installed_third_party_integration_records_a_plain_torch_loop(tmp_path):
    pytest.importorskip("torch")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(TORCH_EXAMPLE)],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        """
        import json
        import autolog
        autolog.autolog()
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
        torch.save(model.state_dict(), "before-any-run.pt")   # no run: not logged
        seen = []
        with autolog.run(name="plain loop") as run:
            for epoch in range(5):
                optimizer.zero_grad()
                loss = model(torch.randn(8, 4)).pow(2).mean()
                loss.backward()
                optimizer.step()
                scheduler.step()
                seen.append((scheduler.last_epoch, scheduler.get_last_lr()[0]))
            torch.save(model.state_dict(), "model.pt")
        print(json.dumps({"run_id": run.run_id, "seen": seen}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    env.pop("AUTOLOG_TESTING", None)
    done = subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path, capture_output=True, text=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    client = autolog.Client(env["AUTOLOG_DIR"])
    (run,) = client.search_runs()
    assert run.run_id == out["run_id"] and run.status == "FINISHED"
    history = [(p.step, p.value) for p in client.get_metric_history(run.run_id, "lr")]
    assert history == [(step, pytest.approx(lr)) for step, lr in out["seen"]]
    assert {a.path for a in client.list_artifacts(run.run_id, "checkpoints")} == {"checkpoints/model.pt"}
    assert "AutologWarning" not in done.stderr, done.stderr
