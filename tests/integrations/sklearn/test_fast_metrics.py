"""The numpy fast path (``_fast``): scikit-learn's own values, and scikit-learn where it cannot.

Every expected value here comes from the real ``sklearn.metrics`` functions, called the way
``_metrics`` calls them. Values are compared exactly, except the log loss (1e-12 relative: it
goes through ``log``, whose vectorised kernels are the one place a platform could differ).
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
from autolog.integrations.sklearn import _fast, _metrics, _plots
from autolog.integrations.sklearn._metrics import Snapshot
from sklearn import metrics
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LinearRegression, LogisticRegression

from autolog import AutologWarning

CLASSIFIER_KEYS = (
    "training_accuracy_score",
    "training_precision_score",
    "training_recall_score",
    "training_f1_score",
    "training_log_loss",
    "training_roc_auc",
)
REGRESSOR_KEYS = (
    "training_mean_squared_error",
    "training_root_mean_squared_error",
    "training_mean_absolute_error",
    "training_r2_score",
)


# -- what sklearn says ----------------------------------------------------------------------------
def _value(compute_value: Any) -> float | None:
    """A metric as ``_metrics`` keeps it: None where sklearn raises or gives NaN/inf."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = float(compute_value())
        except Exception:
            return None
    return value if math.isfinite(value) else None


def sklearn_classifier_metrics(snap: Snapshot) -> dict[str, float]:
    """The calls ``_metrics._classifier_metrics`` makes, straight to sklearn."""
    y, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    binary_label = snap.pos_label is not None and snap.binary
    extra = {"pos_label": snap.pos_label} if binary_label else {}

    def prf(i: int) -> Any:
        return lambda: metrics.precision_recall_fscore_support(
            y, y_pred, average="binary" if binary_label else "weighted", sample_weight=weight, zero_division=0, **extra
        )[i]

    out = {
        "training_accuracy_score": _value(lambda: metrics.accuracy_score(y, y_pred, sample_weight=weight)),
        "training_precision_score": _value(prf(0)),
        "training_recall_score": _value(prf(1)),
        "training_f1_score": _value(prf(2)),
    }
    if snap.proba is not None and snap.proba.ndim == 2 and getattr(y, "ndim", 1) == 1:
        out["training_log_loss"] = _value(lambda: metrics.log_loss(y, snap.proba, sample_weight=weight, labels=snap.classes))
        if snap.binary:
            scores = lambda: metrics.roc_auc_score(y == snap.positive_class, snap.positive_scores(), sample_weight=weight)  # noqa: E731
        else:
            scores = lambda: metrics.roc_auc_score(  # noqa: E731
                y, snap.proba, multi_class="ovr", average="weighted", sample_weight=weight, labels=snap.classes
            )
        out["training_roc_auc"] = _value(scores)
    return {key: value for key, value in out.items() if value is not None}


def sklearn_regressor_metrics(snap: Snapshot) -> dict[str, float]:
    y, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    out = {
        "training_mean_squared_error": _value(lambda: metrics.mean_squared_error(y, y_pred, sample_weight=weight)),
        "training_root_mean_squared_error": _value(lambda: metrics.root_mean_squared_error(y, y_pred, sample_weight=weight)),
        "training_mean_absolute_error": _value(lambda: metrics.mean_absolute_error(y, y_pred, sample_weight=weight)),
        "training_r2_score": _value(lambda: metrics.r2_score(y, y_pred, sample_weight=weight)),
    }
    return {key: value for key, value in out.items() if value is not None}


def sklearn_plot_data(snap: Snapshot) -> dict[str, Any]:
    """What ``_plots.render`` computes with sklearn, in ``plot_data``'s shape."""
    weight, positive = snap.sample_weight, snap.positive_class
    counts = metrics.confusion_matrix(snap.y_true, snap.y_pred, labels=snap.classes, sample_weight=weight)
    data: dict[str, Any] = {"confusion_matrix": {"labels": [str(c) for c in snap.classes], "counts": counts.tolist()}}
    scores = snap.positive_scores() if snap.binary else None
    if scores is None:
        return data
    fpr, tpr, thresholds = metrics.roc_curve(snap.y_true, scores, pos_label=positive, sample_weight=weight)
    data["roc_curve"] = {
        "fpr": fpr.tolist(),
        "tpr": tpr.tolist(),
        "thresholds": [None if math.isinf(t) else t for t in thresholds.tolist()],
        "auc": metrics.auc(fpr, tpr),
    }
    precision, recall, thresholds = metrics.precision_recall_curve(snap.y_true, scores, pos_label=positive, sample_weight=weight)
    data["precision_recall_curve"] = {
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "thresholds": thresholds.astype(float).tolist(),
        "average_precision": metrics.average_precision_score(snap.y_true == positive, scores, sample_weight=weight),
    }
    return data


def assert_same(got: dict[str, float], expected: dict[str, float]) -> None:
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    for key, value in expected.items():
        if key == "training_log_loss":
            assert got[key] == pytest.approx(value, rel=1e-12, abs=0), key
        else:
            assert got[key] == value, (key, got[key], value)


def assert_fast_matches(snap: Snapshot, keys: tuple[str, ...] = CLASSIFIER_KEYS) -> dict[str, float]:
    """The fast path gives all of ``keys``, equal to sklearn's; and ``compute`` gives the same.

    The fast functions are called directly, so that under a scikit-learn release not yet in
    ``VERIFIED_SKLEARN`` these tests still show where its arithmetic differs.
    """
    expected = sklearn_classifier_metrics(snap) if snap.kind == "classifier" else sklearn_regressor_metrics(snap)
    fast = _fast.classifier_metrics(snap) if snap.kind == "classifier" else _fast.regressor_metrics(snap)
    got = {key: value for key, value in fast.items() if value is not None}
    assert set(got) == set(keys), sorted(set(keys) - set(got))
    assert_same(got, {key: expected[key] for key in keys})
    assert_same(_without_score(_metrics.compute(snap)), expected)
    return got


def _without_score(values: dict[str, float]) -> dict[str, float]:
    return {key: value for key, value in values.items() if key != "training_score"}


# -- snapshots ------------------------------------------------------------------------------------
def classifier_snapshot(
    seed: int,
    *,
    n_classes: int | None = None,
    labels: str | None = None,
    weights: str | None = None,
    proba: str | None = None,
    pos_label: bool | None = None,
    n: int | None = None,
) -> Snapshot:
    """A random classifier snapshot; each option left None is drawn at random.

    ``labels``: int, str, object (of str), float, bool. ``weights``: none, float, float32, int,
    zeros (some exact zeros). ``proba``: smooth, ties (rounded logits), hard (exact 0/1),
    float32. Labels arrive in random order; predictions are right ~70% of the time.
    """
    rng = np.random.default_rng(seed)
    k = n_classes or int(rng.choice([2, 2, 3, 4, 10]))
    labels = labels or str(rng.choice(["int", "str", "object", "float", "bool"] if k == 2 else ["int", "str", "object", "float"]))
    weights = weights or str(rng.choice(["none", "float", "float32", "int", "zeros"]))
    proba = proba or str(rng.choice(["smooth", "ties", "hard", "float32"]))
    n = n or int(rng.integers(40, 400))
    classes = {
        "int": np.arange(k) * 3 - 2,
        "str": np.array(sorted(f"class-{i}" for i in range(k))),
        "object": np.array(sorted(f"c{i}" for i in range(k)), dtype=object),
        "float": np.arange(k, dtype=np.float64),
        "bool": np.array([False, True]),
    }[labels]
    true = rng.integers(0, k, n)
    true[:k] = np.arange(k)  # every class present
    rng.shuffle(true)
    pred = np.where(rng.random(n) < 0.7, true, rng.integers(0, k, n))
    logits = rng.normal(size=(n, k)) + 2.0 * np.eye(k)[pred]
    if proba == "ties":
        logits = np.round(logits)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if proba == "hard":
        probabilities = np.eye(k)[pred]
    elif proba == "float32":
        probabilities = probabilities.astype(np.float32)
    sample_weight = {
        "none": None,
        "float": rng.random(n) * 3,
        "float32": (rng.random(n) * 3).astype(np.float32),
        "int": rng.integers(1, 5, n),
        "zeros": np.where(rng.random(n) < 0.25, 0.0, rng.random(n)),
    }[weights]
    positive = None
    if pos_label or (pos_label is None and k == 2 and rng.random() < 0.4):
        positive = classes.tolist()[int(rng.integers(0, 2))]
    return Snapshot("classifier", "Test", positive, classes[true], classes[pred], probabilities, None, classes, sample_weight)


def regressor_snapshot(seed: int, *, weights: str | None = None, dtype: Any = None, n: int | None = None) -> Snapshot:
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(2, 400))
    dtype = dtype or rng.choice([np.float64, np.float64, np.float32, np.int64])
    y = (rng.normal(size=n) * 20).astype(dtype)
    y_pred = (y + rng.normal(size=n)).astype(rng.choice([np.float64, np.float32]))
    weights = weights or str(rng.choice(["none", "float", "float32", "zeros"]))
    sample_weight = {
        "none": None,
        "float": rng.random(n) * 2,
        "float32": (rng.random(n) * 2).astype(np.float32),
        "zeros": np.where(np.arange(n) % 3 == 0, 0.0, rng.random(n) + 0.1),
    }[weights]
    return Snapshot("regressor", "Test", y_true=y, y_pred=y_pred, sample_weight=sample_weight)


# -- classifier metrics: parity -------------------------------------------------------------------
def test_the_installed_sklearn_is_one_the_fast_path_reproduces():
    import sklearn

    assert _fast.supported(), (
        f"scikit-learn {sklearn.__version__} is not in _fast.VERIFIED_SKLEARN, so every training metric "
        "goes through sklearn (slow). Add it there once the parity tests in this file pass under it."
    )


@pytest.mark.parametrize("seed", range(60))
def test_random_classifiers_match_sklearn(seed):
    assert_fast_matches(classifier_snapshot(seed))


@pytest.mark.parametrize("labels", ["int", "str", "object", "float", "bool"])
@pytest.mark.parametrize("weights", ["none", "float", "float32", "int", "zeros"])
def test_binary_labels_and_weights_match_sklearn(labels, weights):
    for seed in range(3):
        assert_fast_matches(classifier_snapshot(seed, n_classes=2, labels=labels, weights=weights, pos_label=False))


@pytest.mark.parametrize("labels", ["int", "str", "object", "float"])
@pytest.mark.parametrize("weights", ["none", "float", "float32", "int", "zeros"])
def test_multiclass_labels_and_weights_match_sklearn(labels, weights):
    for seed in range(3):
        assert_fast_matches(classifier_snapshot(seed, n_classes=5, labels=labels, weights=weights))


@pytest.mark.parametrize("proba", ["smooth", "ties", "hard", "float32"])
@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_probabilities_with_ties_exact_zeros_and_float32_match_sklearn(proba, n_classes):
    for seed in range(3):
        snap = classifier_snapshot(seed, n_classes=n_classes, proba=proba, pos_label=False)
        assert_fast_matches(snap)
        assert snap.proba.dtype == (np.float32 if proba == "float32" else np.float64)


@pytest.mark.parametrize("labels", ["int", "str", "bool"])
def test_pos_label_uses_the_binary_average_of_that_class(labels):
    for seed in range(6):
        snap = classifier_snapshot(seed, n_classes=2, labels=labels, pos_label=True)
        got = assert_fast_matches(snap)
        p = metrics.precision_score(snap.y_true, snap.y_pred, pos_label=snap.pos_label, sample_weight=snap.sample_weight)
        assert got["training_precision_score"] == p


def test_labels_arrive_in_any_order_and_only_the_classes_are_sorted():
    y = np.array(["pear", "apple", "fig", "pear", "fig", "apple", "apple", "fig"])
    y_pred = np.array(["fig", "apple", "fig", "pear", "pear", "apple", "fig", "fig"])
    classes = np.array(["apple", "fig", "pear"])
    proba = np.array(
        [[0.1, 0.6, 0.3], [0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7],
         [0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.3, 0.4, 0.3], [0.1, 0.8, 0.1]]
    )
    assert_fast_matches(Snapshot("classifier", "T", None, y, y_pred, proba, None, classes))


def test_a_class_never_predicted_scores_zero_precision_as_sklearn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 200)
    y_pred = np.where(y == 3, 0, y)  # class 3 never predicted: its precision is 0/0 -> 0
    proba = np.full((200, 4), 0.1)
    proba[np.arange(200), y_pred] = 0.7
    for weight in (None, rng.random(200)):
        snap = Snapshot("classifier", "T", None, y, y_pred, proba, None, np.arange(4), weight)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # zero_division=0: no UndefinedMetricWarning either way
            got = assert_fast_matches(snap)
        assert got["training_precision_score"] < got["training_recall_score"]


def test_a_label_predicted_but_never_true_counts_with_weight_zero():
    y = np.array([0, 0, 1, 1, 0, 1])
    y_pred = np.array([0, 2, 1, 1, 2, 0])
    proba = np.full((6, 3), 1 / 3)
    with pytest.warns(UndefinedMetricWarning):  # class 2 never true: sklearn's ROC AUC warns, as before
        assert_fast_matches(Snapshot("classifier", "T", None, y, y_pred, proba, None, np.arange(3)), keys=CLASSIFIER_KEYS[:5])


def test_all_scores_tied_give_auc_one_half():
    y = np.array([0, 1, 0, 1, 1, 0, 0])
    proba = np.full((7, 2), 0.5)
    got = assert_fast_matches(Snapshot("classifier", "T", None, y, np.zeros(7, dtype=int), proba, None, np.arange(2)))
    assert got["training_roc_auc"] == 0.5


@pytest.mark.parametrize("dtype", ["str", "category", "int64", "float64", "bool"])
def test_pandas_labels_and_weights_stay_on_the_fast_path(dtype):
    pd = pytest.importorskip("pandas")
    from autolog.integrations.sklearn._options import Options

    rng = np.random.default_rng(8)
    x = rng.normal(size=(200, 3))
    raw = {"str": np.where(x[:, 0] > 0, "yes", "no"), "category": np.where(x[:, 0] > 0, "b", "a")}
    y = pd.Series(raw.get(dtype, x[:, 0] + rng.normal(size=200) > 0), dtype=dtype if dtype != "str" else None)
    y = y.astype(dtype) if dtype in ("int64", "float64", "bool") else y
    model = LogisticRegression().fit(x, y)
    snap = _metrics.snapshot(model, "fit", x, y, pd.Series(rng.random(200)), model, Options())
    assert_fast_matches(snap)
    assert _fast.plot_data(snap) == sklearn_plot_data(snap)


# -- classifier metrics: undefined values and fall-backs -----------------------------------------
def test_single_class_in_y_true_skips_roc_auc_as_before():
    y = np.ones(50, dtype=int)
    y_pred = np.where(np.arange(50) % 5 == 0, 0, 1)
    proba = np.column_stack([np.linspace(0, 1, 50), 1 - np.linspace(0, 1, 50)])
    snap = Snapshot("classifier", "T", None, y, y_pred, proba, None, np.arange(2))
    fast = _fast.training_metrics(snap)
    assert "training_roc_auc" not in fast and "training_log_loss" in fast
    with warnings.catch_warnings():
        warnings.simplefilter("error", AutologWarning)  # NaN from sklearn: skipped without a warning
        with pytest.warns(UndefinedMetricWarning, match="Only one class"):  # sklearn's own, as before
            got = _metrics.compute(snap)
    assert "training_roc_auc" not in got
    assert_same(_without_score(got), sklearn_classifier_metrics(snap))


def test_zero_weight_on_every_positive_falls_back_to_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    proba = np.column_stack([1 - rng.random(100), np.zeros(100)])
    proba[:, 1] = 1 - proba[:, 0]
    weight = np.where(y == 1, 0.0, 1.0)
    snap = Snapshot("classifier", "T", None, y, y.copy(), proba, None, np.arange(2), weight)
    assert "training_roc_auc" not in _fast.training_metrics(snap)
    with pytest.warns(UndefinedMetricWarning, match="No positive samples"):
        got = _metrics.compute(snap)
    assert "training_roc_auc" not in got
    assert_same(_without_score(got), sklearn_classifier_metrics(snap))
    assert _fast.plot_data(snap) is None


def test_multiclass_with_a_class_absent_from_y_true_leaves_roc_auc_to_sklearn():
    snap = classifier_snapshot(4, n_classes=4, labels="int", weights="none")
    keep = snap.y_true != snap.classes[2]
    snap = Snapshot("classifier", "T", None, snap.y_true[keep], snap.y_pred[keep], snap.proba[keep], None, snap.classes)
    fast = _fast.training_metrics(snap)
    assert "training_roc_auc" not in fast and "training_accuracy_score" in fast
    with pytest.warns(UndefinedMetricWarning):  # sklearn's, kept: the value is its own, with it
        got = _metrics.compute(snap)
    assert_same(_without_score(got), sklearn_classifier_metrics(snap))


def fallback_cases() -> dict[str, Snapshot]:
    base = classifier_snapshot(11, n_classes=3, labels="int", weights="none")
    y, y_pred, proba, classes = base.y_true, base.y_pred, base.proba, base.classes
    n = len(y)

    def snap(**changes: Any) -> Snapshot:
        fields = dict(kind="classifier", estimator_name="T", y_true=y, y_pred=y_pred, proba=proba, classes=classes)
        fields.update(changes)
        return Snapshot(**fields)

    return {
        "multi-output y": snap(y_true=np.column_stack([y, y]), y_pred=np.column_stack([y_pred, y_pred])),
        "2-D column y": snap(y_true=y.reshape(-1, 1)),
        "label not in classes": snap(y_pred=np.where(np.arange(n) == 0, 99, y_pred)),
        "true label not in classes": snap(y_true=np.where(np.arange(n) == 0, 99, y)),
        "classes not sorted": snap(classes=classes[::-1].copy()),
        "strings and numbers": snap(y_pred=y_pred.astype(str)),
        "non-integral float labels": snap(y_true=y + 0.5, y_pred=y_pred + 0.5, classes=classes + 0.5),
        "NaN label": snap(y_true=np.where(np.arange(n) == 0, np.nan, y.astype(float)), classes=classes.astype(float)),
        "a list": snap(y_true=list(y)),
        "lengths differ": snap(y_pred=y_pred[:-1]),
        "negative weight": snap(sample_weight=np.where(np.arange(n) == 0, -1.0, 1.0)),
        "all-zero weights": snap(sample_weight=np.zeros(n)),
        "NaN weight": snap(sample_weight=np.where(np.arange(n) == 0, np.nan, 1.0)),
        "weights of another length": snap(sample_weight=np.ones(n + 1)),
        "2-D weights": snap(sample_weight=np.ones((n, 1))),
    }


@pytest.mark.parametrize("case", sorted(fallback_cases()))
def test_what_the_fast_path_cannot_take_goes_to_sklearn(case):
    snap = fallback_cases()[case]
    assert _fast.classifier_metrics(snap) == {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _without_score(_metrics.compute(snap))
    assert_same(got, sklearn_classifier_metrics(snap))


def probability_fallback_cases() -> dict[str, tuple[Snapshot, set[str]]]:
    """Snapshots whose probabilities the fast path leaves to sklearn: the keys it still gives."""
    labels_only = {"training_accuracy_score", "training_precision_score", "training_recall_score", "training_f1_score"}
    binary = classifier_snapshot(5, n_classes=2, labels="int", weights="none", pos_label=False)
    multi = classifier_snapshot(6, n_classes=4, labels="int", weights="none")

    def with_proba(base: Snapshot, proba: Any) -> Snapshot:
        return Snapshot("classifier", "T", None, base.y_true, base.y_pred, proba, None, base.classes)

    return {
        "rows not summing to one": (with_proba(multi, multi.proba * 0.9), labels_only),
        "binary rows not summing to one": (with_proba(binary, binary.proba * 0.5), labels_only | {"training_roc_auc"}),
        "a probability above one": (with_proba(multi, multi.proba * 1.5), labels_only),
        "float16 probabilities": (with_proba(multi, multi.proba.astype(np.float16)), labels_only),
        "NaN probability": (with_proba(multi, np.where(multi.proba > 0.9, np.nan, multi.proba)), labels_only),
        "fewer columns than classes": (with_proba(multi, multi.proba[:, :3]), labels_only),
    }


@pytest.mark.parametrize("case", sorted(probability_fallback_cases()))
def test_probabilities_the_fast_path_cannot_take_go_to_sklearn(case):
    snap, fast_keys = probability_fallback_cases()[case]
    assert set(_fast.training_metrics(snap)) == fast_keys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _without_score(_metrics.compute(snap))
    assert_same(got, sklearn_classifier_metrics(snap))


def test_pos_label_that_is_not_a_class_warns_as_before():
    snap = classifier_snapshot(2, n_classes=2, labels="str", weights="none", pos_label=False)
    snap.pos_label = "no such class"
    fast = _fast.training_metrics(snap)
    assert "training_precision_score" not in fast and "training_roc_auc" not in fast
    with pytest.warns(AutologWarning) as record:
        got = _metrics.compute(snap)
    warned = sorted(str(w.message).split("'")[1] for w in record)
    assert warned == ["training_precision_score", "training_roc_auc"]
    assert "training_precision_score" not in got and "training_accuracy_score" in got


# -- regressors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(30))
def test_random_regressions_match_sklearn(seed):
    assert_fast_matches(regressor_snapshot(seed), keys=REGRESSOR_KEYS)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("weights", ["none", "float", "float32", "zeros"])
def test_regression_dtypes_and_weights_match_sklearn(dtype, weights):
    for seed in range(3):
        assert_fast_matches(regressor_snapshot(seed, dtype=dtype, weights=weights), keys=REGRESSOR_KEYS)


def test_r2_of_constant_targets_is_sklearns_finite_choice():
    y = np.full(20, 4.0)
    perfect = Snapshot("regressor", "T", y_true=y, y_pred=y.copy())
    off = Snapshot("regressor", "T", y_true=y, y_pred=y + np.linspace(-1, 1, 20))
    assert assert_fast_matches(perfect, keys=REGRESSOR_KEYS)["training_r2_score"] == 1.0
    assert assert_fast_matches(off, keys=REGRESSOR_KEYS)["training_r2_score"] == 0.0


def test_r2_of_one_sample_is_left_to_sklearn():
    snap = Snapshot("regressor", "T", y_true=np.array([1.0]), y_pred=np.array([1.5]))
    assert set(_fast.training_metrics(snap)) == set(REGRESSOR_KEYS) - {"training_r2_score"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(_without_score(_metrics.compute(snap)), sklearn_regressor_metrics(snap))


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        (np.ones((30, 2)), np.zeros((30, 2))),  # multi-output
        (np.ones((30, 1)), np.zeros(30)),  # 2-D column
        (np.array([1.0, np.nan, 2.0]), np.ones(3)),  # NaN target
        (np.ones(3, dtype=np.float16), np.ones(3)),  # float16
        (np.ones(4), np.ones(3)),  # lengths differ
    ],
)
def test_regressions_the_fast_path_cannot_take_go_to_sklearn(y_true, y_pred):
    snap = Snapshot("regressor", "T", y_true=y_true, y_pred=y_pred)
    assert _fast.regressor_metrics(snap) == {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(_without_score(_metrics.compute(snap)), sklearn_regressor_metrics(snap))


# -- plot data ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_random_plot_data_matches_sklearn(seed):
    snap = classifier_snapshot(seed)
    got = _fast.plot_data(snap)
    assert got == sklearn_plot_data(snap)
    assert set(got) == ({"confusion_matrix", "roc_curve", "precision_recall_curve"} if snap.binary else {"confusion_matrix"})
    json.dumps(got, allow_nan=False)


@pytest.mark.parametrize("weights", ["none", "int", "float", "zeros"])
def test_confusion_counts_are_ints_unless_weights_are_floats(weights):
    snap = classifier_snapshot(1, n_classes=3, weights=weights)
    counts = _fast.plot_data(snap)["confusion_matrix"]["counts"]
    assert {type(c) for row in counts for c in row} == ({int} if weights in ("none", "int") else {float})
    expected = metrics.confusion_matrix(snap.y_true, snap.y_pred, labels=snap.classes, sample_weight=snap.sample_weight)
    assert counts == expected.tolist()


@pytest.mark.parametrize("proba", ["ties", "hard", "float32"])
@pytest.mark.parametrize("weights", ["none", "float", "zeros"])
def test_binary_curves_match_sklearn_with_ties_and_weights(proba, weights):
    for seed in range(3):
        snap = classifier_snapshot(seed, n_classes=2, proba=proba, weights=weights)
        got = _fast.plot_data(snap)
        assert got == sklearn_plot_data(snap)
        roc = got["roc_curve"]
        assert roc["thresholds"][0] is _fast.INFINITE_THRESHOLD is None
        assert all(isinstance(t, float) for t in roc["thresholds"][1:])
        assert roc["fpr"][0] == roc["tpr"][0] == 0.0 and roc["fpr"][-1] == roc["tpr"][-1] == 1.0


def test_curves_of_a_decision_function_match_sklearn():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 150)
    decision = np.round(rng.normal(size=150) + y, 1)  # ties
    for positive in (None, 0):
        snap = Snapshot("classifier", "SVC", positive, y, (decision > 0).astype(int), None, decision, np.arange(2))
        assert _fast.plot_data(snap) == sklearn_plot_data(snap)


def test_plot_data_is_empty_where_render_draws_nothing():
    many = np.arange(_plots.MAX_CLASSES + 1)
    assert _fast.plot_data(Snapshot("classifier", "T", y_true=many, y_pred=many, classes=many)) == {}
    assert _fast.plot_data(Snapshot("regressor", "T", y_true=np.ones(3), y_pred=np.ones(3))) == {}
    assert _fast.plot_data(Snapshot("classifier", "T", y_true=np.ones((3, 2)), y_pred=np.ones((3, 2)), classes=np.arange(2))) == {}
    assert _fast.plot_data(Snapshot("classifier", "T", y_true=np.arange(2), y_pred=None, classes=np.arange(2))) == {}


def test_binary_without_scores_has_only_the_confusion_matrix():
    snap = classifier_snapshot(3, n_classes=2, weights="none")
    snap.proba = None
    assert set(_fast.plot_data(snap)) == {"confusion_matrix"}


def test_plot_data_is_none_where_sklearn_must_be_asked():
    snap = classifier_snapshot(3, n_classes=2, weights="none", pos_label=False)
    one_class = Snapshot("classifier", "T", None, np.ones(5, dtype=int), np.ones(5, dtype=int), np.full((5, 2), 0.5), None, np.arange(2))
    for case in fallback_cases().values():
        if getattr(case.y_true, "ndim", 1) == 1:
            assert _fast.plot_data(case) is None
    assert _fast.plot_data(one_class) is None  # no negatives: sklearn's fpr is NaN, with a warning
    snap.pos_label = "absent"
    assert _fast.plot_data(snap) is None


# -- end to end: real autologged fits -------------------------------------------------------------
def test_autologged_logistic_regression_logs_sklearns_values(mem):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(300, 5))
    y = np.array(["cat", "dog", "emu"])[np.argmax(x[:, :3] + rng.normal(size=(300, 3)), axis=1)]
    weight = rng.random(300) + 0.5
    model = LogisticRegression().fit(x, y, sample_weight=weight)
    got = mem.the_run().latest()
    pred, proba = model.predict(x), model.predict_proba(x)
    assert got["training_accuracy_score"] == metrics.accuracy_score(y, pred, sample_weight=weight)
    assert got["training_precision_score"] == metrics.precision_score(y, pred, average="weighted", sample_weight=weight)
    assert got["training_recall_score"] == metrics.recall_score(y, pred, average="weighted", sample_weight=weight)
    assert got["training_f1_score"] == metrics.f1_score(y, pred, average="weighted", sample_weight=weight)
    assert got["training_log_loss"] == pytest.approx(metrics.log_loss(y, proba, sample_weight=weight), rel=1e-12)
    assert got["training_roc_auc"] == metrics.roc_auc_score(
        y, proba, multi_class="ovr", average="weighted", sample_weight=weight
    )
    assert got["training_score"] == model.score(x, y, sample_weight=weight)


def test_autologged_random_forest_logs_sklearns_values(mem, binary_data):
    x, y = binary_data
    forest = RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0).fit(x, y)
    got = mem.the_run().latest()
    pred, proba = forest.predict(x), forest.predict_proba(x)  # coarse probabilities: many ties
    assert got["training_accuracy_score"] == metrics.accuracy_score(y, pred)
    assert got["training_precision_score"] == metrics.precision_score(y, pred, average="weighted")
    assert got["training_recall_score"] == metrics.recall_score(y, pred, average="weighted")
    assert got["training_f1_score"] == metrics.f1_score(y, pred, average="weighted")
    assert got["training_log_loss"] == pytest.approx(metrics.log_loss(y, proba), rel=1e-12)
    assert got["training_roc_auc"] == metrics.roc_auc_score(y, proba[:, 1])
    assert got["training_score"] == forest.score(x, y)


def test_autologged_linear_regression_logs_sklearns_values(mem, regression_data):
    x, y = regression_data
    weight = np.linspace(0.0, 2.0, len(y))
    model = LinearRegression().fit(x, y, sample_weight=weight)
    got = mem.the_run().latest()
    pred = model.predict(x)
    assert got["training_mean_squared_error"] == metrics.mean_squared_error(y, pred, sample_weight=weight)
    assert got["training_root_mean_squared_error"] == metrics.root_mean_squared_error(y, pred, sample_weight=weight)
    assert got["training_mean_absolute_error"] == metrics.mean_absolute_error(y, pred, sample_weight=weight)
    assert got["training_r2_score"] == metrics.r2_score(y, pred, sample_weight=weight)
    assert got["training_score"] == model.score(x, y, sample_weight=weight)
