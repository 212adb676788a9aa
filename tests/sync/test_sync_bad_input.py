"""Bad input to ``autolog sync``: one clear message each, the right exit status, nothing sent
twice; an unreachable server is retried, then reported, and the next sync delivers everything."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.cli import main

pytest.importorskip("mlflow")

from views import local_runs, mlflow_runs_by_autolog_id


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["sync", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unknown_run_id_exits_1_and_sends_nothing(store: str, mlflow_uri: str, capsys: Any) -> None:
    from mlflow import MlflowClient

    real = next(iter(local_runs(store)))
    code, _, err = _run(capsys, "--to", "mlflow", "--dir", store, "--option", f"tracking_uri={mlflow_uri}",
                        "--run", real, "--run", "no-such-run")
    assert code == 1
    assert err.strip() == f"autolog: no run with id 'no-such-run' in {store}"
    assert real not in mlflow_runs_by_autolog_id(MlflowClient(mlflow_uri))


def test_an_unknown_backend_or_bad_option_or_filter_exits_2(store: str, capsys: Any) -> None:
    code, _, err = _run(capsys, "--to", "nosuch", "--dir", store)
    assert code == 2 and "unknown backend 'nosuch'" in err and "mlflow" in err
    code, _, err = _run(capsys, "--to", "tensorboard", "--dir", store, "--option", "colour=blue")
    assert code == 2 and "bad option for the tensorboard backend" in err and "colour" in err
    code, _, err = _run(capsys, "--to", "tensorboard", "--dir", store, "--option", "novalue")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = _run(capsys, "--to", "tensorboard", "--dir", store, "--filter", "metrics.x >")
    assert code == 2 and "autolog:" in err


def test_a_backend_that_is_not_installed_exits_1_with_the_install_command(
    store: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # what find_spec reports for a missing package
    code, out, err = _run(capsys, "--to", "wandb", "--dir", store, "--option", f"dir={tmp_path}")
    assert code == 1 and out == ""
    assert err.strip() == "autolog: the wandb backend needs the 'wandb' package: pip install 'autolog-suite[wandb]'"
    assert not (tmp_path / "wandb").exists()


def test_an_unreachable_server_is_retried_then_reported_and_the_next_sync_continues(
    store: str, tmp_path: Path, capsys: Any
) -> None:
    import harness_mlflow
    from mlflow import MlflowClient

    server = harness_mlflow.MlflowServer(str(tmp_path / "later-server"))
    code, out, err = _run(capsys, "--to", "mlflow", "--dir", store, "--option", f"tracking_uri={server.url}",
                          "--retry-seconds", "1")
    assert code == 1 and out == ""
    assert f"autolog: sync to mlflow stopped: mlflow ({server.url}) did not answer for 1s" in err
    assert "run the same command again to continue" in err

    server.start()
    try:
        summary = autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": server.url})
        local = local_runs(store)
        assert summary.runs_sent == len(local) and summary.failed == {}
        remote = mlflow_runs_by_autolog_id(MlflowClient(server.url))
        assert {k: len(v) for k, v in remote.items()} == dict.fromkeys(local, 1)
    finally:
        server.stop()


def test_a_second_sync_to_the_same_target_at_once_is_refused(store: str, tmp_path: Path) -> None:
    import subprocess

    log_dir = str(tmp_path / "tb")
    holder = subprocess.Popen(  # another process syncing to the same target holds its lock
        [sys.executable, "-c", "import fcntl, sys, time; h = open(sys.argv[1], 'ab'); "
         "fcntl.flock(h, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", _lock_path(store, log_dir)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        from autolog._sync import SyncError

        with pytest.raises(SyncError, match="another autolog sync to tensorboard from .* is running"):
            autolog.sync("tensorboard", tracking_dir=store, options={"log_dir": log_dir})
        assert not os.path.exists(log_dir)
    finally:
        holder.kill()
        holder.wait()
    assert autolog.sync("tensorboard", tracking_dir=store, options={"log_dir": log_dir}).runs_sent > 0


def _lock_path(store: str, log_dir: str) -> str:
    import hashlib

    from autolog.backends.tensorboard import TensorBoardBackend

    from autolog.store.sync_state import target_key

    target = target_key(TensorBoardBackend(log_dir).describe())
    return os.path.join(store, f".sync-{hashlib.sha1(target.encode()).hexdigest()[:16]}.lock")
