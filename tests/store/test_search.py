"""Searching runs on a real store: filters, experiments, ordering, limits, speed."""

from __future__ import annotations

import base64
import math
import time
import uuid

import pytest

from autolog.records import Metric, Params, RunEnd, RunStart, RunStatus, Tags


@pytest.fixture
def runs(log_run) -> dict[str, str]:
    """Five runs in two experiments; returns name -> run id."""
    base = 1_700_000_000.0
    ids = {
        "alpha": log_run("alpha", experiment="vision", params={"model": "gpt2", "lr": "0.1"},
                         metrics={"acc": 0.90, "loss": 0.3}, tags={"team": "Red"}, start_time=base + 1),
        "beta": log_run("beta", experiment="vision", params={"model": "GPT2-large", "lr": "0.01"},
                        metrics={"acc": 0.80}, tags={"team": "blue"}, start_time=base + 2,
                        status=RunStatus.FAILED),
        "gamma": log_run("gamma", experiment="nlp", params={"model": "bert"},
                         metrics={"acc": 0.95, "my key": 7.0}, start_time=base + 3),
        "delta": log_run("Alpha-2", experiment="nlp", params={"lr": "0.1"}, start_time=base + 4,
                         status=None),
    }
    ids["child"] = log_run("child", experiment="nlp", parent_run_id=ids["gamma"], start_time=base + 5)
    return ids


def names(found) -> list[str]:
    return [run.name for run in found]


def test_default_order_is_newest_first(client, runs) -> None:
    assert names(client.search_runs()) == ["child", "Alpha-2", "gamma", "beta", "alpha"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.acc > 0.85", {"alpha", "gamma"}),
        ("metrics.acc >= 0.9 and params.model = 'gpt2'", {"alpha"}),
        ("metrics.acc != 0.9", {"beta", "gamma"}),  # runs lacking acc are excluded
        ("metrics.loss < 1", {"alpha"}),
        ("metrics.`my key` = 7", {"gamma"}),
        ("params.lr = '0.1'", {"alpha", "Alpha-2"}),
        ("params.model != 'gpt2'", {"beta", "gamma"}),  # runs lacking model are excluded
        ("params.model LIKE 'gpt%'", {"alpha"}),  # LIKE is case-sensitive
        ("params.model ILIKE 'gpt%'", {"alpha", "beta"}),
        ("params.model LIKE 'b_rt'", {"gamma"}),
        ("params.model IN ('bert', 'gpt2')", {"alpha", "gamma"}),
        ("params.model NOT IN ('bert')", {"alpha", "beta"}),
        ("tags.team = 'Red'", {"alpha"}),
        ("tags.team ILIKE 'red'", {"alpha"}),
        ("tags.team != 'blue'", {"alpha"}),
        ("attributes.status = 'FAILED'", {"beta"}),
        ("status IN ('RUNNING', 'FAILED')", {"beta", "Alpha-2"}),
        ("attributes.run_name LIKE 'Alpha%'", {"Alpha-2"}),
        ("run_name ILIKE 'alpha%'", {"alpha", "Alpha-2"}),
        ("attributes.experiment = 'nlp'", {"gamma", "Alpha-2", "child"}),
        ("attributes.start_time > 1700000003500", {"Alpha-2", "child"}),  # milliseconds, as MLflow
        ("attributes.created >= 1700000004000", {"Alpha-2", "child"}),
        ("attributes.start_time = 1700000001000", {"alpha"}),
        ("attributes.end_time <= 1700000003000", {"alpha", "beta"}),
        ("params.model IS NULL", {"Alpha-2", "child"}),
        ("tags.team IS NOT NULL", {"alpha", "beta"}),
        ("tags.mlflow.runName = 'gamma'", {"gamma"}),
        ("tags.`mlflow.runName` LIKE 'Alpha%'", {"Alpha-2"}),
        ("attributes.`Run name` ILIKE 'ALPHA'", {"alpha"}),
        ("params.model = 'nope'", set()),
    ],
)
def test_filters_select_the_matching_runs(client, runs, filter_string: str, expected: set[str]) -> None:
    assert set(names(client.search_runs(filter_string=filter_string))) == expected


def test_filter_on_run_id_and_parent_run_id(client, runs) -> None:
    by_id = client.search_runs(filter_string=f"attributes.run_id IN ('{runs['beta']}', 'unknown')")
    assert names(by_id) == ["beta"]
    children = client.search_runs(filter_string=f"attributes.parent_run_id = '{runs['gamma']}'")
    assert names(children) == ["child"]


def test_parent_run_is_also_the_tag_mlflow_parent_run_id(client, runs) -> None:
    children = client.search_runs(filter_string=f"tags.mlflow.parentRunId = '{runs['gamma']}'")
    assert names(children) == ["child"]
    assert "child" not in names(client.search_runs(filter_string="tags.mlflow.parentRunId IS NULL"))


def test_a_nan_metric_satisfies_not_equal_and_sorts_after_every_number(backend, client, log_run) -> None:
    log_run("one", metrics={"x": 1.0}, start_time=1.0)
    log_run("nan", metrics={"x": math.nan}, start_time=2.0)
    log_run("none", start_time=3.0)
    log_run("minus", metrics={"x": -5.0}, start_time=4.0)
    assert set(names(client.search_runs(filter_string="metrics.x != 1"))) == {"nan", "minus"}
    assert set(names(client.search_runs(filter_string="metrics.x < 2"))) == {"one", "minus"}
    assert names(client.search_runs(order_by=["metrics.x"])) == ["minus", "one", "nan", "none"]
    assert names(client.search_runs(order_by=["metrics.x DESC"])) == ["one", "minus", "nan", "none"]


def test_runs_started_in_the_same_millisecond_are_ordered_by_run_id(backend, client) -> None:
    backend.write_batch([RunStart(run_id, "Default", run_id, 100.0001 + index / 10_000)
                         for index, run_id in enumerate(["c", "a", "b"])])
    assert names(client.search_runs()) == ["a", "b", "c"]
    assert names(client.search_runs(filter_string="start_time = 100000")) == ["a", "b", "c"]


def test_experiment_narrows_the_search(client, runs) -> None:
    assert names(client.search_runs("vision")) == ["beta", "alpha"]
    assert set(names(client.search_runs(["vision", "nlp"]))) == set(runs) - {"delta"} | {"Alpha-2"}
    assert client.search_runs("no-such-experiment") == []
    assert client.list_experiments() == ["nlp", "vision"]


def test_order_by_metric_puts_runs_lacking_it_last_both_ways(client, runs) -> None:
    assert names(client.search_runs(order_by=["metrics.acc DESC"]))[:3] == ["gamma", "alpha", "beta"]
    ascending = names(client.search_runs(order_by=["metrics.acc ASC"]))
    assert ascending[:3] == ["beta", "alpha", "gamma"]
    assert set(ascending[3:]) == {"Alpha-2", "child"}


def test_order_by_several_keys(client, runs) -> None:
    ordered = client.search_runs("vision", order_by=["params.lr", "attributes.start_time DESC"])
    assert names(ordered) == ["beta", "alpha"]  # '0.01' < '0.1' as strings, like MLflow
    assert names(client.search_runs(order_by=["attributes.run_name"])) == ["Alpha-2", "alpha", "beta", "child", "gamma"]


def test_max_results_limits_after_ordering(client, runs) -> None:
    assert names(client.search_runs(order_by=["metrics.acc DESC"], max_results=2)) == ["gamma", "alpha"]


@pytest.mark.parametrize("max_results", [0, -1, 50_001, 1.5, True, None])
def test_max_results_is_from_1_to_mlflows_50000(client, runs, max_results) -> None:
    with pytest.raises(ValueError, match="max_results must be an integer from 1 to 50,000"):
        client.search_runs(max_results=max_results)
    assert len(client.search_runs(max_results=50_000)) == 5


def test_page_tokens_walk_every_run_once_in_order(client, runs) -> None:
    everything = names(client.search_runs(order_by=["params.lr"]))
    pages, token = [], None
    while True:
        page = client.search_runs(order_by=["params.lr"], max_results=2, page_token=token)
        pages.append(names(page))
        token = page.token
        if token is None:
            break
    assert pages == [everything[0:2], everything[2:4], everything[4:]]
    assert client.search_runs(max_results=5).token is None
    assert client.search_runs(max_results=4).token is not None


@pytest.mark.parametrize("token", ["not base64!", "bm90IGpzb24=", "e30=", "eyJvZmZzZXQiOiAiYSJ9", "eyJvZmZzZXQiOiAtMX0="])
def test_a_page_token_search_runs_did_not_return_is_rejected(client, runs, token: str) -> None:
    with pytest.raises(ValueError, match="invalid page_token"):
        client.search_runs(page_token=token)


def test_the_last_page_has_no_token_and_a_page_past_the_end_is_empty(client, runs) -> None:
    page = client.search_runs(page_token=client.search_runs(max_results=4).token, max_results=10)
    assert names(page) == ["alpha"] and page.token is None
    past = base64.b64encode(b'{"offset": 99}').decode()
    assert client.search_runs(page_token=past) == [] and client.search_runs(page_token=past).token is None


def test_a_malformed_filter_raises_value_error_even_on_an_empty_store(client, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"unexpected token '>>' at position 12"):
        client.search_runs(filter_string="metrics.acc >> 1")


def test_search_returns_params_latest_metrics_and_tags(client, runs) -> None:
    (alpha,) = client.search_runs(filter_string="attributes.run_name = 'alpha'")
    assert alpha.params == {"model": "gpt2", "lr": "0.1"}
    assert alpha.metrics == {"acc": 0.90, "loss": 0.3}
    assert alpha.tags == {"team": "Red"}
    assert (alpha.experiment, alpha.status) == ("vision", "FINISHED")


def test_filtered_search_over_1000_runs_takes_well_under_a_second(backend, client) -> None:
    now = time.time()
    batch: list = []
    for index in range(1000):
        run_id = uuid.uuid4().hex
        batch += [
            RunStart(run_id, f"exp-{index % 4}", f"run-{index}", now + index),
            Params(run_id, {f"p{k}": str(index % (k + 2)) for k in range(10)}),
            Tags(run_id, {"team": ("red", "blue")[index % 2]}),
            *[Metric(run_id, key, index / 1000, step, now) for key in ("acc", "loss", "f1") for step in range(3)],
            RunEnd(run_id, RunStatus.FINISHED, now + index + 1),
        ]
    backend.write_batch(batch)

    found = client.search_runs(
        filter_string="metrics.acc > 0.5 and params.p0 = '0' and tags.team = 'red'",
        order_by=["metrics.acc DESC"],
    )
    assert len(found) == 249 and found[0].metrics["acc"] == 0.998
    everything = client.search_runs()
    assert len(everything) == 1000 and len(everything[0].params) == 10
