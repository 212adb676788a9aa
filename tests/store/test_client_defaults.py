"""Where ``Client()`` reads when no directory is given."""

from __future__ import annotations

import autolog


def test_client_reads_the_directory_autolog_writes_to(tmp_path):
    autolog.autolog(tracking_dir=str(tmp_path / "configured"))
    with autolog.run(name="here") as run:
        run.log_metric("m", 1.0)
    client = autolog.Client()
    assert client.tracking_dir == str(tmp_path / "configured")
    assert client.get_run(run.run_id).metrics == {"m": 1.0}


def test_client_falls_back_to_autolog_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_DIR", str(tmp_path / "env"))
    assert autolog.Client().tracking_dir == str(tmp_path / "env")
