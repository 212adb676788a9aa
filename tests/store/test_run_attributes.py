"""What the store records beside params, metrics and tags: who started a run, its artifact URI,
the datasets it used, and the tags MLflow keeps equal to a run's name and parent."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from autolog.client import Dataset
from autolog.records import DatasetInput, Params, RunEnd, RunStart, RunStatus, Tags
from autolog.sdk import RecordBackend, plan_calls
from autolog.store import sqlite as store_sqlite


def names(found) -> list[str]:
    return [run.name for run in found]


def test_a_run_records_the_os_user_who_started_it(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "run", 1.0)])
    assert client.get_run("r").user_id == getpass.getuser()
    assert names(client.search_runs(filter_string=f"attributes.user_id = '{getpass.getuser()}'")) == ["run"]


def test_the_mlflow_user_tag_names_the_user_as_in_mlflow(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "run", 1.0, tags={"mlflow.user": "ana"})])
    run = client.get_run("r")
    assert (run.user_id, run.tags) == ("ana", {"mlflow.user": "ana"})


def test_a_resumed_run_keeps_its_first_user(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "run", 1.0, tags={"mlflow.user": "ana"})])
    backend.write_batch([RunStart("r", "Default", "run", 2.0, tags={"mlflow.user": "bo"})])
    assert client.get_run("r").user_id == "ana"


def test_without_a_login_name_the_user_is_unknown(monkeypatch) -> None:
    def no_login_name() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")  # what getpass raises in a bare container

    monkeypatch.setattr(getpass, "getuser", no_login_name)
    store_sqlite.current_user.cache_clear()
    try:
        assert store_sqlite.current_user() == "unknown"
    finally:
        store_sqlite.current_user.cache_clear()


def test_artifact_uri_is_the_runs_artifact_folder_as_a_file_uri(backend, client, tracking_dir) -> None:
    backend.write_batch([RunStart("r1", "Default", "one", 1.0), RunStart("r2", "Default", "two", 2.0)])
    uri = (Path(tracking_dir) / "artifacts" / "r1").as_uri()
    assert client.get_run("r1").artifact_uri == uri
    assert names(client.search_runs(filter_string=f"attributes.artifact_uri = '{uri}'")) == ["one"]
    assert names(client.search_runs(filter_string="artifact_uri LIKE 'file://%/r2'")) == ["two"]
    assert names(client.search_runs(order_by=["attributes.artifact_uri DESC"])) == ["two", "one"]


def test_the_run_name_tag_renames_the_run_as_in_mlflow(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "first", 1.0)])
    backend.write_batch([Tags("r", {"mlflow.runName": "second"})])
    assert client.get_run("r").name == "second"
    assert names(client.search_runs(filter_string="attributes.run_name = 'second'")) == ["second"]
    backend.write_batch([RunStart("s", "Default", "", 2.0, tags={"mlflow.runName": "named by tag"})])
    assert client.get_run("s").name == "named by tag"


def test_the_parent_tag_sets_a_parent_the_run_lacks(backend, client) -> None:
    backend.write_batch([RunStart("p", "Default", "parent", 1.0), RunStart("c", "Default", "child", 2.0)])
    backend.write_batch([Tags("c", {"mlflow.parentRunId": "p"})])
    assert client.get_run("c").parent_run_id == "p"
    assert names(client.search_runs(filter_string="attributes.parent_run_id = 'p'")) == ["child"]


def test_a_run_without_a_name_has_no_run_name_tag(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "", 1.0), RunStart("s", "Default", "s", 2.0)])
    assert names(client.search_runs(filter_string="tags.mlflow.runName IS NULL")) == [""]


def test_datasets_are_stored_once_per_name_and_digest_and_read_back(backend, client) -> None:
    backend.write_batch([
        RunStart("r", "Default", "run", 1.0),
        DatasetInput("r", "iris", "abc123", "training", "pandas", '{"cols": 4}', '{"rows": 150}'),
        DatasetInput("r", "iris", "abc123", "eval"),  # same dataset again: the first is kept
        DatasetInput("r", "iris-test", "def456", "eval"),
        DatasetInput("r", "extra", "0", ""),
        RunEnd("r", RunStatus.FINISHED, 2.0),
    ])
    assert client.get_run("r").datasets == (
        Dataset("iris", "abc123", "training", "pandas", '{"cols": 4}', '{"rows": 150}'),
        Dataset("iris-test", "def456", "eval"),
        Dataset("extra", "0", None),
    )


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("dataset.name = 'iris'", {"a", "b"}),
        ("datasets.digest = 'd2'", {"b"}),
        ("dataset.context = 'eval'", {"b"}),
        ("dataset.context != 'training'", {"b"}),  # a run with no context never matches
        ("dataset.name = 'iris' and dataset.context = 'eval'", {"b"}),  # any dataset, each clause
        ("datasets.name IN ('wine', 'iris')", {"a", "b", "c"}),
        ("datasets.name NOT IN ('iris')", {"b", "c"}),
        ("datasets.name ILIKE 'IRIS%'", {"a", "b"}),
        ("dataset.context LIKE 'T%'", set()),
        ("dataset.name = 'nope'", set()),
    ],
)
def test_dataset_filters_hold_when_one_of_the_runs_datasets_matches(backend, client, filter_string, expected) -> None:
    backend.write_batch([
        RunStart("a", "Default", "a", 1.0), DatasetInput("a", "iris", "d1", "training"),
        RunStart("b", "Default", "b", 2.0), DatasetInput("b", "iris", "d1", "training"),
        DatasetInput("b", "iris-v2", "d2", "eval"),
        RunStart("c", "Default", "c", 3.0), DatasetInput("c", "wine", "d3", ""),
        RunStart("d", "Default", "d", 4.0), Params("d", {"x": "1"}),
    ])
    assert set(names(client.search_runs(filter_string=filter_string))) == expected


def test_the_dispatcher_hands_datasets_to_log_dataset_which_backends_may_ignore() -> None:
    dataset = DatasetInput("r", "iris", "d1")
    calls = plan_calls([RunStart("r", "Default", "run", 1.0), dataset, Params("r", {"a": "1"})])
    assert [(method, len(part)) for method, _args, part in calls] == [
        ("start_run", 1), ("log_dataset", 1), ("log_params", 1),
    ]
    assert calls[1][1] == (dataset,)
    assert RecordBackend().log_dataset(dataset) is None
    assert dataset.context == "training"
