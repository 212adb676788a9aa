"""The ``autolog`` command: ``runs`` lists a table, ``show`` prints one run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autolog.cli import main
from autolog.records import Artifact, RunStart


@pytest.fixture
def two_runs(log_run) -> dict[str, str]:
    return {
        "good": log_run("good-run", experiment="exp", params={"lr": "0.1"}, metrics={"accuracy": 0.93, "loss": 0.2},
                        tags={"team": "red"}),
        "bad": log_run("bad-run", experiment="other", params={"lr": "0.5"}, metrics={"accuracy": 0.41}),
    }


def test_runs_prints_a_table_with_ids_names_status_and_metrics(capsys, tracking_dir, two_runs) -> None:
    assert main(["runs", "--dir", tracking_dir]) == 0
    out = capsys.readouterr().out
    header, rule, *rows = out.splitlines()
    assert header.split()[:6] == ["RUN", "ID", "EXPERIMENT", "NAME", "STATUS", "STARTED"]
    assert "accuracy" in header and "loss" in header
    assert set(rule) == {"-", " "}
    assert len(rows) == 2
    good_row = next(row for row in rows if two_runs["good"] in row)
    assert "good-run" in good_row and "FINISHED" in good_row and "0.93" in good_row


def test_runs_filters_orders_and_limits(capsys, tracking_dir, two_runs) -> None:
    assert main(["runs", "--dir", tracking_dir, "--filter", "metrics.accuracy > 0.9"]) == 0
    out = capsys.readouterr().out
    assert two_runs["good"] in out and two_runs["bad"] not in out

    main(["runs", "--dir", tracking_dir, "--order-by", "metrics.accuracy ASC", "--max", "1"])
    out = capsys.readouterr().out
    assert two_runs["bad"] in out and two_runs["good"] not in out

    main(["runs", "--dir", tracking_dir, "--experiment", "exp"])
    out = capsys.readouterr().out
    assert two_runs["good"] in out and two_runs["bad"] not in out


def test_runs_with_a_bad_filter_prints_the_error_and_exits_2(capsys, tracking_dir, two_runs) -> None:
    assert main(["runs", "--dir", tracking_dir, "--filter", "metrics.acc >> 1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unexpected token '>>' at position 12" in captured.err


def test_runs_on_an_empty_directory_says_so(capsys, tmp_path) -> None:
    assert main(["runs", "--dir", str(tmp_path / "none")]) == 0
    assert "no runs found" in capsys.readouterr().out


def test_show_prints_params_metrics_tags_and_artifacts(capsys, backend, tracking_dir, two_runs, tmp_path) -> None:
    (tmp_path / "report.txt").write_text("12345")
    backend.write_batch([Artifact(two_runs["good"], str(tmp_path / "report.txt"), "reports/report.txt")])
    assert main(["show", two_runs["good"], "--dir", tracking_dir]) == 0
    out = capsys.readouterr().out
    for section in ("run:", "params:", "metrics (latest):", "tags:", "artifacts:"):
        assert section in out
    assert "good-run" in out and "FINISHED" in out
    assert "lr" in out and "0.1" in out
    assert "accuracy" in out and "0.93" in out
    assert "team" in out and "red" in out
    assert "reports/report.txt" in out and "5 bytes" in out


def test_show_of_an_unknown_run_exits_1(capsys, tracking_dir, two_runs) -> None:
    assert main(["show", "no-such-run", "--dir", tracking_dir]) == 1
    assert "no-such-run" in capsys.readouterr().err


def test_bad_arguments_exit_2(capsys) -> None:
    assert main(["frobnicate"]) == 2
    assert main([]) == 2


def test_the_module_runs_as_a_command(tracking_dir, backend, two_runs) -> None:
    backend.write_batch([RunStart("extra", "exp", "extra-run", 1.0)])
    done = subprocess.run(
        [sys.executable, "-m", "autolog.cli", "runs", "--dir", tracking_dir, "--filter", "attributes.experiment = 'exp'"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert two_runs["good"] in done.stdout and "extra-run" in done.stdout and two_runs["bad"] not in done.stdout
    failed = subprocess.run(
        [sys.executable, "-m", "autolog.cli", "runs", "--dir", tracking_dir, "--filter", "params.x = 1"],
        capture_output=True, text=True, timeout=60,
    )
    assert failed.returncode == 2 and "position 11" in failed.stderr
