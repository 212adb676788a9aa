"""Hyperparameter searches: one parent run with the best results, child runs for the best candidates."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import autolog

GRID = {"logisticregression__C": [0.01, 0.1, 1.0, 10.0], "logisticregression__fit_intercept": [True, False]}


def grid_search(**kwargs):
    return GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), GRID, cv=3, **kwargs)


def test_grid_search_logs_parent_with_best_results_and_children(mem, binary_data):
    x, y = binary_data
    search = grid_search().fit(x, y)
    (parent,) = mem.top_runs()
    assert parent.start.name == "GridSearchCV" and parent.status == "FINISHED"
    assert parent.params["best_logisticregression__C"] == str(search.best_params_["logisticregression__C"])
    assert parent.params["best_logisticregression__fit_intercept"] == str(search.best_params_["logisticregression__fit_intercept"])
    assert parent.params["estimator__logisticregression__C"] == "1.0"
    assert parent.latest()["best_cv_score"] == search.best_score_
    assert parent.latest()["training_score"] == search.score(x, y)
    assert sorted(m.artifact_path for m in parent.models) == ["best_estimator", "model"]

    children = mem.children(parent)
    assert len(children) == 5
    ranks = search.cv_results_["rank_test_score"]
    best_five = sorted(range(len(ranks)), key=lambda i: (ranks[i], i))[:5]
    assert sorted(int(c.tags["candidate_index"]) for c in children) == sorted(best_five)
    for child in children:
        index = int(child.tags["candidate_index"])
        assert child.status == "FINISHED"
        assert child.latest()["mean_test_score"] == search.cv_results_["mean_test_score"][index]
        assert child.latest()["std_test_score"] == search.cv_results_["std_test_score"][index]
        assert child.latest()["rank_test_score"] == ranks[index]
        candidate = search.cv_results_["params"][index]
        assert child.params["logisticregression__C"] == str(candidate["logisticregression__C"])
        assert child.params["standardscaler__with_mean"] == "True"  # the base estimator's full params


def test_cv_results_are_logged_as_csv(mem, binary_data):
    search = grid_search().fit(*binary_data)
    (parent,) = mem.top_runs()
    with open(parent.files["cv_results.csv"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(search.cv_results_["params"])
    assert [float(r["mean_test_score"]) for r in rows] == list(search.cv_results_["mean_test_score"])
    assert rows[0]["param_logisticregression__C"] == "0.01"


def test_best_estimator_model_loads_and_predicts_like_the_search(mem, binary_data):
    from autolog.integrations.sklearn.flavor import load

    x, y = binary_data
    search = grid_search().fit(x, y)
    (parent,) = mem.top_runs()
    best = load(parent.files["best_estimator"])
    whole = load(parent.files["model"])
    np.testing.assert_array_equal(best.predict(x), search.predict(x))
    np.testing.assert_array_equal(whole.predict(x), search.predict(x))


@pytest.mark.parametrize("limit, expected", [(2, 2), (0, 0), (None, 8)])
def test_max_tuning_runs_option(strict, binary_data, limit, expected):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"max_tuning_runs": limit})
    grid_search().fit(*binary_data)
    autolog.flush()
    children = [r for r in backend.runs.values() if r.start.parent_run_id is not None]
    assert len(children) == expected


def test_randomized_search_logs_like_grid_search(mem, binary_data):
    RandomizedSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 4]}, n_iter=3, cv=3, random_state=0).fit(*binary_data)
    (parent,) = mem.top_runs()
    assert parent.start.name == "RandomizedSearchCV" and "best_max_depth" in parent.params
    assert len(mem.children(parent)) == 3


@pytest.mark.filterwarnings("ignore:The total space of parameters")
@pytest.mark.parametrize("search_class", [HalvingGridSearchCV, HalvingRandomSearchCV])
def test_halving_searches_log_one_parent(mem, binary_data, search_class):
    search = search_class(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 4], "min_samples_leaf": [1, 5]}, cv=3, random_state=0)
    search.fit(*binary_data)
    (parent,) = mem.top_runs()
    assert parent.start.name == search_class.__name__
    assert parent.latest()["best_cv_score"] == search.best_score_
    assert 1 <= len(mem.children(parent)) <= 5


def test_multimetric_search_ranks_children_by_the_refit_metric(mem, binary_data):
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0, 100.0]}, scoring=["accuracy", "f1"], refit="f1", cv=3
    ).fit(*binary_data)
    (parent,) = mem.top_runs()
    children = mem.children(parent)
    assert {int(c.tags["candidate_index"]) for c in children} == {0, 1, 2}
    assert all("mean_test_f1" in c.latest() for c in children)
    assert parent.latest()["best_cv_score"] == search.best_score_


def test_search_without_refit_logs_children_but_no_best_estimator(mem, binary_data):
    GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, refit=False, cv=3).fit(*binary_data)
    (parent,) = mem.top_runs()
    assert [m.artifact_path for m in parent.models] == ["model"]
    assert len(mem.children(parent)) == 2


def test_search_inside_user_run_makes_children_of_that_run(mem, binary_data):
    with autolog.run(name="tuning") as run:
        grid_search().fit(*binary_data)
    (parent,) = mem.top_runs()
    assert parent.start.run_id == run.run_id
    assert len(mem.children(parent)) == 5


def test_search_with_process_workers_logs_once(mem, binary_data):
    grid_search(n_jobs=2).fit(*binary_data)
    assert [r.start.name for r in mem.top_runs()] == ["GridSearchCV"]
    assert len(mem.all_runs()) == 6
