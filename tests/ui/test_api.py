"""The UI's JSON API over HTTP (no browser): a real ``autolog ui`` subprocess over real runs."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse

import pytest

q = urllib.parse.quote


def test_experiments_and_columns_list_what_was_logged(ui):
    status, experiments = ui.json("/api/experiments")
    assert status == 200
    by_name = {e["name"]: e for e in experiments}
    assert by_name["Default"]["runs"] == 7  # a fit, a search and its 5 best candidates (of 6)
    assert by_name["manual"]["runs"] == 1 and by_name["trainer"]["runs"] == 1
    status, columns = ui.json("/api/columns?experiment=manual")
    assert columns["metrics"] == ["acc", "loss"] and columns["params"] == ["layers", "lr", "optimizer"]
    _, columns = ui.json("/api/columns?experiment=Default")
    assert set(columns["suggested"]["params"][:2]) == {"C", "fit_intercept"}  # logged by 6 runs, values differ
    assert "mean_test_score" in columns["suggested"]["metrics"] and "std_fit_time" not in columns["suggested"]["metrics"]


def test_runs_table_nests_children_and_returns_only_chosen_columns(ui, ui_store):
    _, ids = ui_store
    status, page = ui.json("/api/runs?experiment=Default&params=C&metrics=mean_test_score")
    assert status == 200
    assert page["total"] == 2  # the candidates are nested, not top-level
    search = next(run for run in page["runs"] if run["run_id"] == ids["search"])
    assert search["children"] == 5 and len(search["child_runs"]) == 5
    assert {child["params"]["C"] for child in search["child_runs"]} == {"0.01", "1.0", "100.0"}
    assert all(set(child["params"]) <= {"C"} and set(child["metrics"]) == {"mean_test_score"} for child in search["child_runs"])


def test_runs_table_sorts_on_the_server(ui):
    _, page = ui.json("/api/runs?experiment=Default&metrics=training_score&order_by=" + q("metrics.training_score ASC"))
    scores = [run["metrics"]["training_score"] for run in page["runs"]]
    assert scores == sorted(scores) and len(scores) == 2
    _, page = ui.json("/api/runs?order_by=" + q("attributes.run_name DESC"))
    names = [run["name"] for run in page["runs"]]
    assert names == sorted(names, reverse=True)


def test_filter_selects_runs_and_a_matching_child_whose_parent_does_not_match_is_shown_alone(ui, ui_store):
    _, ids = ui_store
    _, page = ui.json("/api/runs?filter=" + q("params.C = '100.0'"))
    assert [run["parent_run_id"] for run in page["runs"]] == [ids["search"]] * 2  # with and without intercept
    _, page = ui.json("/api/runs?filter=" + q("params.optimizer = 'adam'"))
    assert [run["run_id"] for run in page["runs"]] == [ids["manual"]]


def test_paging(ui):
    _, first = ui.json("/api/runs?experiment=Default&limit=1")
    _, second = ui.json("/api/runs?experiment=Default&limit=1&offset=1")
    assert first["total"] == second["total"] == 2  # the plain fit and the search (its candidates nested)
    assert len(first["runs"]) == 1 and len(second["runs"]) == 1
    assert not {r["run_id"] for r in first["runs"]} & {r["run_id"] for r in second["runs"]}


def test_a_bad_filter_is_400_with_the_position_and_the_server_keeps_serving(ui):
    status, body = ui.json("/api/runs?filter=" + q("metrics.acc >> 1"))
    assert status == 400 and "position" in body["error"] and "metrics.acc" in body["error"]
    assert ui.json("/api/experiments")[0] == 200


def test_unknown_run_is_404(ui):
    for path in ("/api/runs/nope", "/api/runs/nope/metric?key=loss", "/api/runs/nope/artifacts", "/api/compare?runs=nope"):
        status, body = ui.json(path)
        assert status == 404, path
        assert "nope" in body["error"]


def test_run_detail_has_params_latest_metrics_plots_and_children(ui, ui_store):
    _, ids = ui_store
    _, run = ui.json(f"/api/runs/{ids['manual']}")
    assert run["params"] == {"lr": "0.01", "optimizer": "adam", "layers": "2"}
    assert run["metrics"]["loss"]["step"] == 299
    _, search = ui.json(f"/api/runs/{ids['search']}")
    assert len(search["children"]) == 5
    assert any(spec["type"] == "confusion_matrix" for spec in search["plots"].values())


def test_metric_series_is_downsampled_keeping_extremes_and_the_cursor_fetches_only_new_points(ui, ui_store):
    _, ids = ui_store
    _, full = ui.json(f"/api/runs/{ids['manual']}/metric?key=loss&points=1000")
    assert not full["downsampled"] and full["step"] == list(range(300))
    _, small = ui.json(f"/api/runs/{ids['manual']}/metric?key=loss&points=20")
    assert small["downsampled"] and len(small["step"]) <= 40
    assert min(small["value"]) == min(full["value"]) and max(small["value"]) == max(full["value"])
    assert set(small["value"]) <= set(full["value"])  # real values only, none invented
    assert small["step"] == sorted(small["step"]) and small["cursor"][0] == 299
    step, ts = full["cursor"]
    assert step == 299
    _, newer = ui.json(f"/api/runs/{ids['manual']}/metric?key=loss&after_step=295&after_ts={full['timestamp'][295]}")
    assert newer["step"] == [296, 297, 298, 299]
    _, none = ui.json(f"/api/runs/{ids['manual']}/metric?key=loss&after_step={step}&after_ts={ts}")
    assert none["step"] == [] and none["cursor"] == [step, ts]


def test_artifacts_tree_previews_and_model_cards(ui, ui_store):
    _, ids = ui_store
    _, arts = ui.json(f"/api/runs/{ids['manual']}/artifacts")
    paths = {f["path"] for f in arts["files"]}
    assert {"files/notes.txt", "files/table.csv", "files/config.json", "files/image.png"} <= paths
    status, body, headers = ui.get(f"/api/runs/{ids['manual']}/artifact?path=files/table.csv")
    assert status == 200 and body == b"a,b\n1,2\n3,4\n" and headers["Content-Type"].startswith("text/csv")
    status, body, headers = ui.get(f"/api/runs/{ids['manual']}/artifact?path=files/image.png")
    assert body.startswith(b"\x89PNG") and headers["Content-Type"] == "image/png"
    _, logreg = ui.json(f"/api/runs/{ids['logreg']}/artifacts")
    card = logreg["models"][0]
    assert card["flavor"] == "sklearn" and card["path"] == "model"
    assert card["signature"]["inputs"]["tensors"][0]["shape"] == [-1, 4]
    assert len(card["input_example"]["data"]) > 0
    status, body, _ = ui.get(f"/api/runs/{ids['logreg']}/artifact?path=model/autolog-model.json")
    assert json.loads(body)["flavor"] == "sklearn"  # served from the database row, nothing written
    assert not os.path.exists(os.path.join(ui_store[0], "artifacts", ids["logreg"], "model", "autolog-model.json"))


@pytest.mark.parametrize("path", ["../../autolog.db", "files/../../../autolog.db", "/etc/passwd", "..", "files/..\\x"])
def test_artifact_paths_leaving_the_run_are_refused_and_nothing_is_read(ui, ui_store, path):
    _, ids = ui_store
    status, body, _ = ui.get(f"/api/runs/{ids['manual']}/artifact?path={q(path)}")
    assert status == 400
    assert b"SQLite" not in body and b"root:" not in body
    assert "not allowed" in json.loads(body)["error"]


def test_a_link_inside_the_artifacts_pointing_outside_is_refused(ui, ui_store, tmp_path):
    directory, ids = ui_store
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    link = os.path.join(directory, "artifacts", ids["manual"], "files", "escape.txt")
    os.symlink(secret, link)
    try:
        status, body, _ = ui.get(f"/api/runs/{ids['manual']}/artifact?path=files/escape.txt")
        assert status == 400 and b"top secret" not in body
        _, arts = ui.json(f"/api/runs/{ids['manual']}/artifacts")
        assert "files/escape.txt" not in {f["path"] for f in arts["files"]}
    finally:
        os.unlink(link)


def test_static_files_are_served_and_nothing_outside_them(ui):
    status, body, headers = ui.get("/")
    assert status == 200 and b"uPlot.iife.min.js" in body
    assert b"http://" not in body and b"https://" not in body
    status, body, _ = ui.get("/static/vendor/uPlot.iife.min.js")
    assert status == 200 and b"uPlot" in body
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py", "/nothing"):
        assert ui.get(path)[0] == 404, path


def test_other_host_names_are_refused_on_localhost(ui):
    status, body, _ = ui.get("/api/experiments", headers={"Host": "attacker.example:5050"})
    assert status == 403
    assert ui.get("/api/experiments", headers={"Host": "localhost:5050"})[0] == 200


def test_server_timing_header_is_sent(ui):
    _, _, headers = ui.get("/api/runs")
    assert headers["Server-Timing"].startswith("app;dur=")


def test_a_missing_store_then_a_corrupt_one_are_503_with_a_message_and_the_server_keeps_serving(start_ui, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    server = start_ui(str(empty))
    status, body = server.json("/api/runs")
    assert status == 503 and "no autolog store" in body["error"]
    assert not (empty / "autolog.db").exists()  # the UI never creates a store
    (empty / "autolog.db").write_bytes(b"this is not a database" * 100)
    status, body = server.json("/api/experiments")
    assert status == 503 and "not a readable autolog store" in body["error"]
    assert server.get("/")[0] == 200


def test_the_ui_never_writes_the_store(start_ui, ui_store, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ui_store[0], copy)
    conn = sqlite3.connect(copy / "autolog.db")
    conn.execute("UPDATE runs SET status = 'RUNNING', writer_pid = 999999999, heartbeat = 0")  # writers long dead
    conn.commit()
    conn.close()
    before = (copy / "autolog.db").read_bytes()
    server = start_ui(str(copy))
    _, page = server.json("/api/runs")
    assert {run["status"] for run in page["runs"]} == {"KILLED"}  # shown as the client reports them
    server.stop()
    assert (copy / "autolog.db").read_bytes() == before
    conn = sqlite3.connect(copy / "autolog.db")
    assert {s for (s,) in conn.execute("SELECT status FROM runs")} == {"RUNNING"}
    conn.close()


def test_every_static_file_is_declared_as_package_data():
    """The wheel carries the front end: every file under ``autolog/ui/static`` matches a
    ``[tool.setuptools.package-data]`` pattern of ``autolog.ui``."""
    import ast
    import fnmatch
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    line = next(x for x in (root / "pyproject.toml").read_text().splitlines() if x.startswith('"autolog.ui" = ['))
    patterns = ast.literal_eval(line.split("=", 1)[1].strip())
    package = root / "autolog" / "ui"
    files = [p.relative_to(package).as_posix() for p in (package / "static").rglob("*") if p.is_file()]
    assert "static/vendor/uPlot.iife.min.js" in files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pattern) and f.count("/") == pattern.count("/") for pattern in patterns)]
    assert missing == []


def test_ui_on_a_busy_port_exits_2_with_a_message(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "autolog.cli", "ui", "--dir", str(tmp_path), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_report_file_holds_the_runs_data_and_references_nothing_outside(ui_store, tmp_path):
    """``autolog report`` without a browser: the data and every script are inside the file."""
    import re
    import subprocess
    import sys

    directory, ids = ui_store
    output = tmp_path / "r.html"
    done = subprocess.run([sys.executable, "-m", "autolog.cli", "report", ids["manual"], "--dir", directory, "-o", str(output)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and str(output) in done.stdout
    page = output.read_text()
    payload = json.loads(page.split("window.AUTOLOG_REPORT = ", 1)[1].split(";</script>", 1)[0].replace("<\\/", "</"))
    (run,) = payload["runs"]
    assert run["detail"]["run_id"] == ids["manual"] and payload["compare"] is None
    assert run["series"]["loss"]["step"] == list(range(300))
    assert {f["path"] for f in run["files"]} >= {"files/table.csv", "files/image.png"}
    assert "uPlot" in page and "AL.renderRunBody" in page
    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)


def test_a_model_card_lists_its_registry_versions_with_aliases_and_stage(start_ui, tmp_path):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import autolog

    directory = str(tmp_path / "registry-store")
    autolog.autolog(tracking_dir=directory, registered_model_name="iris", registered_model_alias="champion")
    X = np.random.default_rng(0).normal(size=(40, 3))
    LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    autolog.flush()
    client = autolog.Client(directory)
    (run,) = client.search_runs()
    with pytest.warns(FutureWarning):  # stages are deprecated, as in MLflow
        client.transition_model_version_stage("iris", 1, "Staging")
    ui = start_ui(directory)
    _, arts = ui.json(f"/api/runs/{run.run_id}/artifacts")
    (card,) = arts["models"]
    assert [(v["name"], v["version"], v["aliases"], v["stage"]) for v in card["versions"]] == [
        ("iris", 1, "champion", "Staging")
    ]
