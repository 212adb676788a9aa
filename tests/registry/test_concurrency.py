"""Several processes registering at once never get the same version number: each number is
taken inside the registering transaction, under SQLite's write lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import autolog
from autolog.client import Client

SCRIPT = str(Path(__file__).with_name("registry_process.py"))
PROCESSES = 4


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, SCRIPT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return out


def test_four_processes_registering_at_once_get_distinct_consecutive_versions(
    fit_model, tracking_dir: str, tmp_path: Path, client: Client
) -> None:
    run_id, _ = fit_model()
    autolog.register_model(f"runs:/{run_id}/model", "shared")  # version 1, before the race
    go = tmp_path / "go"
    processes = [
        _start("register", tracking_dir, str(go), f"runs:/{run_id}/model", "shared", "10")
        for _ in range(PROCESSES)
    ]
    go.touch()
    got = [json.loads(_finish(process)) for process in processes]

    every = sorted(number for numbers in got for number in numbers)
    assert every == list(range(2, 2 + 10 * PROCESSES))  # no number twice, none skipped
    assert all(numbers == sorted(numbers) for numbers in got)  # each process saw its own increase
    stored = client.search_model_versions("name = 'shared'")
    assert sorted(v.version for v in stored) == list(range(1, 2 + 10 * PROCESSES))


def test_four_processes_creating_the_same_new_model_at_once_share_it(fit_model, tracking_dir: str, tmp_path: Path, client: Client) -> None:
    run_id, _ = fit_model()
    go = tmp_path / "go"
    processes = [
        _start("register", tracking_dir, str(go), f"runs:/{run_id}/model", "brand-new", "3")
        for _ in range(PROCESSES)
    ]
    go.touch()
    got = [json.loads(_finish(process)) for process in processes]
    assert sorted(n for numbers in got for n in numbers) == list(range(1, 1 + 3 * PROCESSES))
    assert [m.name for m in client.search_registered_models()] == ["brand-new"]


def test_autolog_registers_every_model_of_several_processes_and_moves_the_alias(tracking_dir: str, tmp_path: Path, client: Client) -> None:
    go = tmp_path / "go"
    processes = [
        _start("fit", tracking_dir, str(go), "churn", "newest", "2", f"proc-{index}") for index in range(2)
    ]
    go.touch()
    for process in processes:
        assert _finish(process).strip() == "done"

    runs = {run.run_id: run for run in client.search_runs()}
    versions = client.search_model_versions("name = 'churn'", order_by=["version_number ASC"])
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert sorted(v.run_id for v in versions) == sorted(runs)  # one version per autologged model
    assert {runs[v.run_id].experiment for v in versions} == {"proc-0", "proc-1"}
    assert all(v.model_path == "model" and v.status == "READY" for v in versions)
    newest = client.get_model_version_by_alias("churn", "newest")
    assert newest.aliases == ["newest"]
    assert sum(bool(v.aliases) for v in versions) == 1
    # the alias names the last model its process stored: the second fit of some process
    second_fits = {max(
        (r for r in runs.values() if r.experiment == e), key=lambda r: r.start_time
    ).run_id for e in ("proc-0", "proc-1")}
    assert newest.run_id in second_fits
    for version in versions:
        model = autolog.load_model(f"models:/churn/{version.version}", tracking_dir=tracking_dir)
        assert model.predict([[1.0, 0.0, 0.0, 0.0]]).shape == (1,)
