"""Training metrics and plots: the values scikit-learn itself computes, under MLflow's names."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn import metrics
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import DBSCAN, KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog
from autolog import AutologWarning


def test_binary_classifier_metrics_match_sklearn(mem, binary_data):
    x, y = binary_data
    model = LogisticRegression().fit(x, y)
    got = mem.the_run().latest()
    pred, proba = model.predict(x), model.predict_proba(x)
    assert got["training_accuracy_score"] == metrics.accuracy_score(y, pred)
    assert got["training_precision_score"] == metrics.precision_score(y, pred, average="weighted")
    assert got["training_recall_score"] == metrics.recall_score(y, pred, average="weighted")
    assert got["training_f1_score"] == metrics.f1_score(y, pred, average="weighted")
    assert got["training_log_loss"] == pytest.approx(metrics.log_loss(y, proba), rel=1e-12)
    assert got["training_roc_auc"] == metrics.roc_auc_score(y, proba[:, 1])
    assert got["training_score"] == model.score(x, y)


def test_pos_label_option_uses_binary_average(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"pos_label": "no"})
    x, y = binary_data
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(x, labels)
    autolog.flush()
    got = next(iter(backend.runs.values())).latest()
    pred = model.predict(x)
    assert got["training_precision_score"] == metrics.precision_score(labels, pred, pos_label="no")
    assert got["training_f1_score"] == metrics.f1_score(labels, pred, pos_label="no")
    assert got["training_roc_auc"] == metrics.roc_auc_score(labels == "no", model.predict_proba(x)[:, 0])


def test_multiclass_classifier_metrics(mem, multiclass_data):
    x, y = multiclass_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    got = mem.the_run().latest()
    proba = model.predict_proba(x)
    assert got["training_roc_auc"] == metrics.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    assert got["training_f1_score"] == metrics.f1_score(y, model.predict(x), average="weighted")
    assert got["training_score"] == model.score(x, y)


def test_forest_metrics_are_those_of_its_own_predict(mem, binary_data):
    x, y = binary_data
    forest = RandomForestClassifier(n_estimators=10, max_depth=2, random_state=0).fit(x, y)
    got = mem.the_run().latest()
    assert got["training_accuracy_score"] == metrics.accuracy_score(y, forest.predict(x))
    assert got["training_score"] == forest.score(x, y)


def test_regressor_metrics_match_sklearn(mem, regression_data):
    x, y = regression_data
    model = Ridge(alpha=0.5).fit(x, y)
    got = mem.the_run().latest()
    pred = model.predict(x)
    assert got["training_mean_squared_error"] == metrics.mean_squared_error(y, pred)
    assert got["training_root_mean_squared_error"] == metrics.root_mean_squared_error(y, pred)
    assert got["training_mean_absolute_error"] == metrics.mean_absolute_error(y, pred)
    assert got["training_r2_score"] == metrics.r2_score(y, pred)
    assert got["training_score"] == model.score(x, y)


def test_sample_weight_is_used_in_training_metrics(mem, binary_data):
    x, y = binary_data
    weight = np.where(y == 1, 5.0, 0.2)
    model = LogisticRegression(C=0.01).fit(x, y, sample_weight=weight)
    got = mem.the_run().latest()
    pred = model.predict(x)
    assert got["training_accuracy_score"] == metrics.accuracy_score(y, pred, sample_weight=weight)
    assert got["training_accuracy_score"] != metrics.accuracy_score(y, pred)
    assert got["training_score"] == model.score(x, y, sample_weight=weight)


def test_clusterer_gets_silhouette_and_inertia(mem, binary_data):
    x, _ = binary_data
    kmeans = KMeans(n_clusters=3, n_init=2, random_state=0).fit(x)
    got = mem.the_run().latest()
    assert got["training_inertia"] == kmeans.inertia_
    assert got["training_silhouette_score"] == pytest.approx(metrics.silhouette_score(x, kmeans.labels_))
    assert got["training_score"] == kmeans.score(x)


def test_silhouette_uses_a_seeded_sample_of_at_most_1000_rows(mem):
    x = np.random.default_rng(5).normal(size=(2500, 2))
    labels = KMeans(n_clusters=2, n_init=1, random_state=0).fit_predict(x)
    index = np.sort(np.random.default_rng(0).choice(len(x), size=1000, replace=False))
    expected = metrics.silhouette_score(x[index], labels[index])
    assert mem.the_run().latest()["training_silhouette_score"] == pytest.approx(expected)


def test_clusterer_without_predict_uses_its_labels(mem):
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(-5, 0.3, size=(30, 2)), rng.normal(5, 0.3, size=(30, 2))])
    dbscan = DBSCAN(eps=1.5, min_samples=3).fit(x)
    got = mem.the_run().latest()
    assert got["training_silhouette_score"] == pytest.approx(metrics.silhouette_score(x, dbscan.labels_))


class FlakyProba(ClassifierMixin, BaseEstimator):
    """A classifier whose predict_proba always fails."""

    def fit(self, x, y):
        self.classes_ = np.unique(y)
        self.inner_ = LogisticRegression().fit(x, y)
        return self

    def predict(self, x):
        return self.inner_.predict(x)

    def predict_proba(self, x):
        raise RuntimeError("no probabilities today")


def test_a_failing_metric_is_skipped_with_one_warning(mem, binary_data):
    with pytest.warns(AutologWarning) as record:
        FlakyProba().fit(*binary_data)
        FlakyProba().fit(*binary_data)
    messages = [str(w.message) for w in record if "predict_proba" in str(w.message)]
    assert len(messages) == 1
    for run in mem.all_runs():
        got = run.latest()
        assert "training_accuracy_score" in got and "training_log_loss" not in got
        assert run.status == "FINISHED"


def test_metrics_off_logs_none(strict, regression_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"log_training_metrics": False})
    LinearRegression().fit(*regression_data)
    autolog.flush()
    assert not next(iter(backend.runs.values())).metrics


def test_binary_classifier_gets_three_plots_as_data(mem, binary_data):
    from sklearn import metrics

    x, y = binary_data
    model = LogisticRegression().fit(x, y)
    run = mem.the_run()
    assert not run.artifacts  # nothing rendered during training
    plots = {p.artifact_path: p.spec for p in run.plots}
    assert sorted(plots) == [
        "plots/training_confusion_matrix",
        "plots/training_precision_recall_curve",
        "plots/training_roc_curve",
    ]
    matrix = plots["plots/training_confusion_matrix"]
    assert matrix["labels"] == [str(c) for c in model.classes_]
    assert matrix["counts"] == metrics.confusion_matrix(y, model.predict(x)).tolist()
    roc = plots["plots/training_roc_curve"]
    fpr, tpr, _ = metrics.roc_curve(y, model.predict_proba(x)[:, 1])
    assert roc["x"] == fpr.tolist() and roc["y"] == tpr.tolist()
    assert roc["auc"] == pytest.approx(metrics.roc_auc_score(y, model.predict_proba(x)[:, 1]))
    pr = plots["plots/training_precision_recall_curve"]
    assert pr["step"] is True and pr["x"][0] == 1.0


def test_plot_data_renders_to_png(mem, binary_data, tmp_path):
    from autolog import plots

    LogisticRegression().fit(*binary_data)
    for plot in mem.the_run().plots:
        path = plots.render_png(plot.spec, str(tmp_path / (plot.artifact_path.split("/")[-1] + ".png")))
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_multiclass_classifier_gets_a_confusion_matrix_only(mem, multiclass_data):
    LogisticRegression().fit(*multiclass_data)
    assert [p.artifact_path for p in mem.the_run().plots] == ["plots/training_confusion_matrix"]


def test_classifier_without_proba_plots_curves_from_its_decision_function(mem, binary_data):
    from sklearn.svm import LinearSVC

    LinearSVC().fit(*binary_data)
    assert len(mem.the_run().plots) == 3


def test_plots_off_and_regressors_make_no_plots(strict, binary_data, regression_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"log_plots": False})
    LogisticRegression().fit(*binary_data)
    autolog.autolog(backends=[backend])
    LinearRegression().fit(*regression_data)
    autolog.flush()
    assert all(not run.plots and not run.artifacts for run in backend.runs.values())


def test_plots_never_touch_pyplot():
    code = """
        import sys
        import numpy as np
        import autolog
        from autolog.testing import MemoryBackend
        mem = MemoryBackend()
        autolog.autolog(backends=[mem])
        from sklearn.linear_model import LogisticRegression
        x = np.random.default_rng(0).normal(size=(50, 2)); y = (x[:, 0] > 0).astype(int)
        LogisticRegression().fit(x, y)
        autolog.flush()
        run = next(iter(mem.runs.values()))
        print(len(run.plots), "matplotlib.pyplot" in sys.modules, "matplotlib.figure" in sys.modules)
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "False", "False"]  # plots are data: nothing is drawn
