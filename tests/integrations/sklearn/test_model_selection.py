"""cross_validate and friends: one run for the whole call, never one per fold."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import model_selection as ms
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LearningCurveDisplay
from sklearn.model_selection import cross_val_score as cross_val_score_imported_before_autolog

import autolog


def test_cross_validate_logs_one_run_with_fold_metrics(mem, binary_data):
    result = ms.cross_validate(LogisticRegression(C=0.5), *binary_data, cv=4, return_train_score=True)
    run = mem.the_run()
    assert run.start.name == "cross_validate" and run.status == "FINISHED"
    assert run.params["C"] == "0.5" and run.params["cross_validate_cv"] == "4"
    assert run.tags["estimator_name"] == "LogisticRegression" and run.tags["sklearn_function"] == "cross_validate"
    assert [v for _, v in run.history("cv_test_score")] == list(result["test_score"])
    assert run.latest()["cv_test_score_mean"] == pytest.approx(result["test_score"].mean())
    assert run.latest()["cv_train_score_std"] == pytest.approx(result["train_score"].std())
    assert "cv_fit_time_mean" in run.latest()


def test_cross_val_score_logs_one_run(mem, binary_data):
    scores = ms.cross_val_score(LogisticRegression(), *binary_data, cv=3, scoring="f1")
    run = mem.the_run()
    assert run.start.name == "cross_val_score" and run.params["cross_val_score_scoring"] == "f1"
    assert run.latest()["cv_test_score_mean"] == pytest.approx(scores.mean())


def test_learning_curve_logs_one_run_with_steps_at_training_sizes(mem, binary_data):
    sizes, train, test = ms.learning_curve(LogisticRegression(), *binary_data, cv=3, train_sizes=[0.5, 1.0])
    run = mem.the_run()
    assert [step for step, _ in run.history("learning_curve_test_score_mean")] == list(sizes)
    assert [v for _, v in run.history("learning_curve_train_score_mean")] == pytest.approx(list(train.mean(axis=1)))


def test_learning_curve_display_logs_one_run(mem, binary_data):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg", force=False)
    LearningCurveDisplay.from_estimator(LogisticRegression(), *binary_data, cv=3, train_sizes=[0.5, 1.0])
    import matplotlib.pyplot as plt

    plt.close("all")
    assert [r.start.name for r in mem.all_runs()] == ["learning_curve"]


def test_validation_curve_and_friends_log_one_run_each(mem, binary_data):
    x, y = binary_data
    ms.validation_curve(LogisticRegression(), x, y, param_name="C", param_range=[0.1, 1.0], cv=3)
    ms.cross_val_predict(LogisticRegression(), x, y, cv=3)
    score, _, pvalue = ms.permutation_test_score(LogisticRegression(), x, y, cv=3, n_permutations=5, random_state=0)
    names = [r.start.name for r in mem.all_runs()]
    assert names == ["validation_curve", "cross_val_predict", "permutation_test_score"]
    curve, _, permutation = mem.all_runs()
    assert curve.params["validation_curve_param_name"] == "C"
    assert [step for step, _ in curve.history("validation_curve_test_score_mean")] == [0, 1]
    assert permutation.latest()["pvalue"] == pvalue and permutation.latest()["cv_score"] == score


def test_cross_validate_inside_user_run_logs_into_it(mem, binary_data):
    with autolog.run(name="evaluation") as run:
        ms.cross_validate(LogisticRegression(), *binary_data, cv=3)
    only = mem.the_run()
    assert only.start.run_id == run.run_id and "cv_test_score_mean" in only.latest()


def test_a_function_imported_before_autolog_still_logs_through_cross_validate(mem, binary_data):
    """``from sklearn.model_selection import cross_val_score`` before ``autolog()`` binds the
    original; it calls ``cross_validate`` by its module's name, which is patched."""
    cross_val_score_imported_before_autolog(LogisticRegression(), *binary_data, cv=3)
    assert [r.start.name for r in mem.all_runs()] == ["cross_validate"]


def test_failing_cross_validate_fails_its_run(mem):
    x = np.ones((10, 2))
    with pytest.raises(ValueError):
        ms.cross_validate(LogisticRegression(), x, np.zeros(10), cv=3, error_score="raise")
    assert mem.the_run().status == "FAILED"
