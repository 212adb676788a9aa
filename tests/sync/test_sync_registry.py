"""``autolog sync`` of the model registry to a real MLflow server: versions registered live by
``registered_model_name``/``registered_model_alias`` and by hand with ``autolog.register_model``
arrive as versions of the target's runs, loadable by alias with ``mlflow.sklearn``; a second sync
sends nothing; a moved alias moves; an interrupted sync makes no duplicates; a target without a
registry gets one line in the summary."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("mlflow")

from lifecycle import PRELUDE
from views import local_runs, mlflow_runs_by_autolog_id, rekey

import autolog

#: Two autologged fits registered live as versions 1 and 2 of ``iris`` (``newest`` on 2), a third
#: fit registered by hand as ``manual`` version 1 (``champion``), with tags and descriptions.
TRAIN = PRELUDE + """
from sklearn.tree import DecisionTreeClassifier
autolog.autolog(experiment="sync-reg", registered_model_name="iris", registered_model_alias="newest")
LogisticRegression(C=0.5).fit(X, y)
DecisionTreeClassifier(max_depth=2).fit(X, y)
autolog.autolog(experiment="sync-reg")
LogisticRegression(C=2.0).fit(X, y)
autolog.flush(30)
client = autolog.Client()
(run,) = client.search_runs(filter_string="params.C = '2.0'")
version = autolog.register_model(f"runs:/{run.run_id}/model", "manual", tags={"origin": "by hand"})
client.set_registered_model_alias("manual", "champion", version.version)
client.update_registered_model("manual", description="registered by hand")
client.set_registered_model_tag("manual", "team", "ds")
client.update_model_version("manual", version.version, description="the first")
"""

X = np.random.default_rng(3).normal(size=(20, 6))


@pytest.fixture(scope="module")
def registry_trained(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("registry-trained")
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env["AUTOLOG_DIR"] = str(folder / "autolog-runs")
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return env["AUTOLOG_DIR"]


@pytest.fixture
def reg(registry_trained: str, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A private copy of the registry store, its runs and model names made unique on the
    session's server; returns it with {"iris": ..., "manual": ...} the names it uses."""
    store = str(tmp_path / "store")
    shutil.copytree(registry_trained, store)
    rekey(store)
    suffix = uuid.uuid4().hex[:8]
    conn = sqlite3.connect(os.path.join(store, "autolog.db"))
    for table in ("registered_models", "registered_model_tags", "model_versions", "model_version_tags",
                  "registered_model_aliases"):
        conn.execute(f"UPDATE {table} SET name = name || ?", (f"-{suffix}",))
    conn.commit()
    conn.close()
    return store, {"iris": f"iris-{suffix}", "manual": f"manual-{suffix}"}


def _sync(store: str, uri: str, **kwargs: Any) -> Any:
    return autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": uri}, **kwargs)


def _target_runs(client: Any, store: str) -> dict[str, str]:
    """autolog run id -> MLflow run id, for this store's runs."""
    ids = set(local_runs(store))
    return {run_id: runs[0].info.run_id for run_id, runs in mlflow_runs_by_autolog_id(client).items() if run_id in ids}


def _versions(client: Any, name: str) -> list[Any]:
    return sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))


def test_versions_and_aliases_arrive_loadable_and_a_second_sync_sends_nothing(reg: Any, mlflow_uri: str) -> None:
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    store, names = reg
    summary = _sync(store, mlflow_uri)
    assert (summary.versions, summary.aliases, summary.registry_failed) == (3, 2, {})
    assert "3 registry versions, 2 aliases" in str(summary)

    client = MlflowClient(mlflow_uri)
    target_runs = _target_runs(client, store)
    ours = autolog.Client(store)
    for name, count in ((names["iris"], 2), (names["manual"], 1)):
        local = ours.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])
        remote = _versions(client, name)
        assert len(local) == len(remote) == count
        for mine, theirs in zip(local, remote, strict=True):
            assert theirs.run_id == target_runs[mine.run_id]
            assert theirs.source == f"runs:/{theirs.run_id}/model"
            assert theirs.tags == {**mine.tags, "autolog.source_version": f"{name}/{mine.version}"}
            assert (theirs.description or None) == mine.description
    manual = client.get_registered_model(names["manual"])
    assert (manual.description, manual.tags) == ("registered by hand", {"team": "ds"})
    assert client.get_registered_model(names["iris"]).aliases == {"newest": "2"}
    assert manual.aliases == {"champion": "1"}

    mlflow.set_tracking_uri(mlflow_uri)
    for uri in (f"models:/{names['iris']}@newest", f"models:/{names['manual']}@champion"):
        native = mlflow.sklearn.load_model(uri)
        local_model = autolog.load_model(uri, tracking_dir=store)
        assert type(native) is type(local_model)
        np.testing.assert_array_equal(native.predict(X), local_model.predict(X))

    again = _sync(store, mlflow_uri)
    assert (again.runs_sent, again.versions, again.aliases) == (0, 0, 0)
    assert [len(_versions(client, name)) for name in names.values()] == [2, 1]


def test_a_moved_alias_moves_and_edits_stages_and_deletions_follow(reg: Any, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    store, names = reg
    _sync(store, mlflow_uri)
    ours = autolog.Client(store)
    ours.set_registered_model_alias(names["iris"], "newest", 1)
    ours.set_registered_model_alias(names["iris"], "first", 1)
    ours.delete_registered_model_alias(names["manual"], "champion")
    ours.update_model_version(names["iris"], 2, description="the tree")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours.transition_model_version_stage(names["iris"], 2, "Staging")

    planned = _sync(store, mlflow_uri, dry_run=True)
    assert f"registry: alias {names['iris']}@newest -> version 1" in planned.plan
    assert f"registry: delete alias {names['manual']}@champion" in planned.plan
    summary = _sync(store, mlflow_uri)
    assert (summary.runs_sent, summary.versions, summary.aliases) == (0, 1, 2)

    client = MlflowClient(mlflow_uri)
    assert client.get_registered_model(names["iris"]).aliases == {"newest": "1", "first": "1"}
    assert client.get_registered_model(names["manual"]).aliases == {}
    tree = client.get_model_version(names["iris"], "2")
    assert (tree.description, tree.current_stage) == ("the tree", "Staging")
    assert len(_versions(client, names["iris"])) == 2
    assert _sync(store, mlflow_uri).versions == _sync(store, mlflow_uri).aliases == 0


#: A sync whose process dies the moment MLflow has made the first version, before the store
#: records it: the worst moment to be killed.
DYING_SYNC = """
import os, sys
import autolog
from autolog.backends.mlflow import MlflowBackend
from autolog.backends.mlflow._registry import MlflowRegistry

class Dying(MlflowRegistry):
    def put_version(self, *args, **kwargs):
        super().put_version(*args, **kwargs)
        os._exit(9)

class Backend(MlflowBackend):
    def model_registry(self):
        return Dying(lambda: self._client)

autolog.sync(Backend(tracking_uri=sys.argv[2]), tracking_dir=sys.argv[1])
"""


def test_a_sync_killed_after_a_version_was_made_finds_it_instead_of_duplicating(
    reg: Any, mlflow_uri: str, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    store, names = reg
    (tmp_path / "dying.py").write_text(DYING_SYNC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    died = subprocess.run([sys.executable, "dying.py", store, mlflow_uri], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert died.returncode == 9, died.stderr[-3000:]
    client = MlflowClient(mlflow_uri)
    assert len(_versions(client, names["iris"])) == 1  # made on MLflow, not recorded in the store

    again = _sync(store, mlflow_uri)
    assert (again.runs_sent, again.versions, again.aliases) == (0, 3, 2)
    assert [v.version for v in _versions(client, names["iris"])] == ["1", "2"]
    assert [v.version for v in _versions(client, names["manual"])] == ["1"]
    assert client.get_registered_model(names["iris"]).aliases == {"newest": "2"}
    assert _sync(store, mlflow_uri).versions == 0


def test_versions_follow_their_runs_and_a_dry_run_lists_them(reg: Any, mlflow_uri: str, capsys: Any) -> None:
    from mlflow import MlflowClient

    from autolog.cli import main

    store, names = reg
    manual_run = autolog.Client(store).get_model_version(names["manual"], 1).run_id
    assert main(["sync", "--to", "mlflow", "--dir", store, "--option", f"tracking_uri={mlflow_uri}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"registry: {names['manual']}/1 (run {manual_run}, model)" in out
    assert f"registry: alias {names['iris']}@newest -> version 2" in out
    assert out.splitlines()[-1].endswith(", 3 registry versions, 2 aliases")
    client = MlflowClient(mlflow_uri)
    assert client.search_registered_models(f"name='{names['manual']}'") == []

    first = _sync(store, mlflow_uri, run_ids=[manual_run])  # only the manual model's run is on MLflow
    assert (first.versions, first.aliases, first.versions_unsent) == (1, 1, 2)
    assert str(first).splitlines()[-1].startswith("model registry: 2 versions not sent (their run or model is not on")
    assert client.search_registered_models(f"name='{names['iris']}'") == []
    rest = _sync(store, mlflow_uri)
    assert (rest.versions, rest.aliases, rest.versions_unsent) == (2, 1, 0)
    assert client.get_registered_model(names["iris"]).aliases == {"newest": "2"}


def test_versions_registered_live_on_mlflow_are_adopted_not_duplicated(reg: Any, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    store, names = reg
    # the sync's backend registers every model it logs, as a live run with registered_model_name does
    summary = autolog.sync("mlflow", tracking_dir=store,
                           options={"tracking_uri": mlflow_uri, "registered_model_name": names["iris"]})
    assert (summary.versions, summary.registry_failed) == (3, {})
    versions = _versions(MlflowClient(mlflow_uri), names["iris"])
    assert len(versions) == 3  # one per logged model: iris/1 and iris/2 found, not made again
    assert sorted(v.tags.get("autolog.source_version", "") for v in versions) == ["", f"{names['iris']}/1",
                                                                                    f"{names['iris']}/2"]


def test_a_target_without_a_registry_gets_one_line_and_no_warning(reg: Any, tmp_path: Path) -> None:
    store, _names = reg
    with warnings.catch_warnings():
        warnings.simplefilter("error", autolog.AutologWarning)
        summary = autolog.sync("tensorboard", tracking_dir=store, options={"log_dir": str(tmp_path / "tb")})
    assert summary.runs_sent == summary.runs == 3 and (summary.versions, summary.aliases) == (0, 0)
    assert str(summary).splitlines()[-1] == "model registry: 3 versions not sent (tensorboard has no model registry)"
    conn = sqlite3.connect(os.path.join(store, "autolog.db"))
    assert conn.execute("SELECT COUNT(*) FROM sync_items WHERE kind LIKE 'registry_%'").fetchone() == (0,)
    conn.close()
