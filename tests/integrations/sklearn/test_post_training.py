"""Post-training metrics: evaluating a logged model logs to its run, named after the dataset."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog


@pytest.fixture
def split(binary_data):
    x, y = binary_data
    return x[:80], x[80:], y[:80], y[80:]


def test_metric_on_predictions_is_logged_to_the_models_run(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    accuracy = metrics.accuracy_score(y_test, model.predict(X_test))
    run = mem.the_run()
    assert run.status == "FINISHED"  # it ended before the evaluation, and still received it
    assert run.latest()["accuracy_score_X_test"] == accuracy


def test_proba_and_pipeline_predictions_are_tracked(mem, split):
    X_train, X_test, y_train, y_test = split
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    probabilities = model.predict_proba(X_test)
    auc = metrics.roc_auc_score(y_test, probabilities[:, 1])  # a slice is a new array: not tracked
    f1 = metrics.f1_score(y_test, model.predict(X_test))
    got = mem.the_run().latest()
    assert got["f1_score_X_test"] == f1
    assert "roc_auc_score_X_test" not in got and auc > 0


def test_repeated_metric_calls_and_datasets_get_suffixes(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    first = metrics.accuracy_score(y_test, model.predict(X_test))
    metrics.accuracy_score(y_test, model.predict(X_test))
    for X_eval, y_eval in ((X_test.copy(), y_test), (X_train.copy(), y_train)):
        metrics.accuracy_score(y_eval, model.predict(X_eval))
    got = mem.the_run().latest()
    assert got["accuracy_score_X_test"] == first
    assert got["accuracy_score-2_X_test"] == first
    assert got["accuracy_score_X_eval"] == first
    assert got["accuracy_score_X_eval-2"] == metrics.accuracy_score(y_train, model.predict(X_train))


def test_unnamed_dataset_falls_back_to_eval_dataset(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LinearRegression().fit(X_train, y_train)
    error = metrics.mean_squared_error(y_test, model.predict(X_test + 0.0))
    assert mem.the_run().latest()["mean_squared_error_eval_dataset"] == error


def test_score_of_a_logged_model_is_logged(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    score = model.score(X_test, y_test)
    got = mem.the_run().latest()
    assert got["LogisticRegression_score_X_test"] == score
    assert "accuracy_score_X_test" not in got  # score's own accuracy_score call is not a second one


def test_unrelated_arrays_and_unlogged_models_log_nothing(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    metrics.accuracy_score(y_test, y_test)
    autolog.autolog(disable=True)
    quiet = LogisticRegression().fit(X_train, y_train)
    autolog.autolog(backends=[mem])
    metrics.accuracy_score(y_test, quiet.predict(X_test))
    (run,) = mem.all_runs()
    assert [k for k in run.latest() if not k.startswith("training_")] == []
    assert model is not None


def test_scikit_learns_own_evaluations_are_not_logged(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    permutation_importance(model, X_test, y_test, n_repeats=2, random_state=0)
    assert [k for k in mem.the_run().latest() if not k.startswith("training_")] == []


def test_post_training_option_off(strict, split):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"log_post_training_metrics": False})
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    metrics.accuracy_score(y_test, model.predict(X_test))
    model.score(X_test, y_test)
    autolog.flush()
    (run,) = backend.runs.values()
    assert all(key.startswith("training_") for key in run.latest())


def test_predictions_are_returned_unchanged(mem, split):
    X_train, X_test, y_train, y_test = split
    model = LogisticRegression().fit(X_train, y_train)
    patched = model.predict(X_test), model.predict_proba(X_test), model.decision_function(X_test)
    autolog.autolog(disable=True)
    plain = model.predict(X_test), model.predict_proba(X_test), model.decision_function(X_test)
    for a, b in zip(patched, plain):
        np.testing.assert_array_equal(a, b)
