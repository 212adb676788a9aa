"""Training metrics: predictions taken in the caller, metric values computed in the background.

The caller's thread runs only what needs the live estimator and the user's ``X``: ``predict``,
``predict_proba`` (and ``score`` when it is not plain accuracy or R²). Labels, weights and
predictions are private copies, so the background thread can compute the metrics (and the plots)
while the user's code goes on, and the user may change their own arrays meanwhile. The values
come from ``_fast`` (numpy, scikit-learn's values without its per-call validation) wherever it
can give them, and from the ``sklearn.metrics`` functions otherwise.

Names follow MLflow: ``training_accuracy_score``, ``training_precision_score``,
``training_recall_score``, ``training_f1_score``, ``training_log_loss``, ``training_roc_auc``;
``training_mean_squared_error``, ``training_root_mean_squared_error``,
``training_mean_absolute_error``, ``training_r2_score``; ``training_silhouette_score``,
``training_inertia``; and ``training_score`` (``estimator.score``) for every kind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autolog.integrations.sklearn import _data
from autolog.integrations.sklearn._options import Options
from autolog.integrations.sklearn._util import original_attribute, unwrapped

from autolog.sdk import report_internal_error, warn_once


@dataclass
class Snapshot:
    """What the background needs to compute a fit's training metrics and plots."""

    kind: str
    estimator_name: str
    pos_label: Any = None
    y_true: Any = None
    y_pred: Any = None
    proba: Any = None
    decision: Any = None
    classes: Any = None
    sample_weight: Any = None
    labels_sample: Any = None
    x_sample: Any = None
    score: float | None = None
    score_from: str | None = None
    inertia: float | None = None

    @property
    def binary(self) -> bool:
        return self.classes is not None and getattr(self.classes, "ndim", 0) == 1 and len(self.classes) == 2

    @property
    def positive_class(self) -> Any:
        """The class scored as positive in binary metrics and curves (``pos_label`` or the larger)."""
        if self.pos_label is not None:
            return self.pos_label
        return self.classes[1] if self.binary else None

    def positive_scores(self) -> Any:
        """Scores of the positive class for ROC/PR: a ``predict_proba`` column or the decision."""
        classes = list(self.classes)
        index = classes.index(self.positive_class)
        if self.proba is not None and getattr(self.proba, "ndim", 0) == 2:
            return self.proba[:, index]
        if self.decision is not None and getattr(self.decision, "ndim", 0) == 1:
            return self.decision if index == 1 else -self.decision
        return None


def estimator_kind(estimator: Any) -> str:
    """``classifier``, ``regressor``, ``clusterer`` or ``other``."""
    from sklearn import base

    try:
        if base.is_classifier(estimator):
            return "classifier"
        if base.is_regressor(estimator):
            return "regressor"
        is_clusterer = getattr(base, "is_clusterer", None)
        if is_clusterer is not None:
            if is_clusterer(estimator):
                return "clusterer"
        elif getattr(estimator, "_estimator_type", None) == "clusterer":
            return "clusterer"
    except Exception:  # noqa: BLE001 - an estimator with broken tags is simply "other"
        pass
    return "other"


def snapshot(
    estimator: Any, method: str, x: Any, y: Any, sample_weight: Any, result: Any, options: Options
) -> Snapshot:
    """In the caller's thread, right after the fit: predictions and private copies."""
    name = type(estimator).__name__
    kind = estimator_kind(estimator)
    snap = Snapshot(kind, name, options.pos_label)
    if not options.log_training_metrics and kind != "classifier":
        return snap  # only classifiers' plots need predictions
    if x is None or (hasattr(estimator, "cv_results_") and not hasattr(estimator, "best_estimator_")):
        return snap  # no data, or a search that did not refit: nothing to predict with
    if kind in ("classifier", "regressor") and y is not None:
        snap.y_true = _data.private_copy(y)
        snap.sample_weight = _data.private_copy(sample_weight)
        if kind == "classifier":
            _classifier_predictions(estimator, x, snap, options)
        elif _has(estimator, "predict"):
            snap.y_pred = _call(name, "predict", estimator.predict, x)
        snap.score_from = standard_score(estimator)
    elif kind == "clusterer":
        _clusterer_outputs(estimator, method, x, result, snap)
    if snap.score_from is None and options.log_training_metrics and _has(estimator, "score"):
        snap.score = _training_score(estimator, x, y, sample_weight)
    return snap


def _classifier_predictions(estimator: Any, x: Any, snap: Snapshot, options: Options) -> None:
    import numpy as np

    name = snap.estimator_name
    classes = getattr(estimator, "classes_", None)
    if isinstance(classes, np.ndarray):
        snap.classes = classes.copy()
    elif classes is None and getattr(snap.y_true, "ndim", 0) == 1:
        snap.classes = np.unique(snap.y_true)  # a classifier without classes_: sorted labels, as sklearn's
    if _has(estimator, "predict_proba"):
        snap.proba = _call(name, "predict_proba", estimator.predict_proba, x)
    snap.y_pred = _predict_from_proba(estimator, snap.proba)
    if snap.y_pred is None and _has(estimator, "predict"):
        snap.y_pred = _call(name, "predict", estimator.predict, x)
    if snap.proba is None and options.log_plots and snap.binary and _has(estimator, "decision_function"):
        snap.decision = _call(name, "decision_function", estimator.decision_function, x)


def _predict_from_proba(estimator: Any, proba: Any) -> Any:
    """``predict`` without a second pass where ``predict`` is exactly argmax of ``predict_proba``."""
    forest = sys.modules.get("sklearn.ensemble._forest")
    if proba is None or forest is None or getattr(proba, "ndim", 0) != 2:
        return None
    if original_attribute(type(estimator), "predict") is not unwrapped(forest.ForestClassifier.__dict__["predict"]):
        return None
    if getattr(estimator, "n_outputs_", 1) != 1:
        return None
    import numpy as np

    return estimator.classes_.take(np.argmax(proba, axis=1), axis=0)  # as ForestClassifier.predict


def _clusterer_outputs(estimator: Any, method: str, x: Any, result: Any, snap: Snapshot) -> None:
    import numpy as np

    labels = result if method == "fit_predict" else getattr(estimator, "labels_", None)
    if labels is None and _has(estimator, "predict"):
        labels = _call(snap.estimator_name, "predict", estimator.predict, x)
    inertia = getattr(estimator, "inertia_", None)
    if inertia is not None:
        snap.inertia = float(inertia)
    if labels is None:
        return
    sample = _data.sample_rows(x)
    if sample is None:
        return
    rows, index = sample
    labels = np.asarray(labels)
    snap.x_sample = rows
    snap.labels_sample = labels.copy() if index is None else labels[index]


def standard_score(estimator: Any) -> str | None:
    """``"accuracy"``/``"r2"`` when ``estimator.score`` is scikit-learn's plain one, else None.

    Then ``training_score`` equals the accuracy (R²) of the predictions already taken, and the
    caller saves a second pass over the data. Pipelines are looked through to their last step.
    """
    from sklearn.base import ClassifierMixin, RegressorMixin
    from sklearn.pipeline import Pipeline

    accuracy = unwrapped(ClassifierMixin.__dict__["score"])
    r2 = unwrapped(RegressorMixin.__dict__["score"])
    pipeline = unwrapped(Pipeline.__dict__["score"])
    for _ in range(10):
        score = original_attribute(type(estimator), "score")
        if score is pipeline:
            estimator = estimator.steps[-1][1]
            if estimator is None or isinstance(estimator, str):
                return None
            continue
        return "accuracy" if score is accuracy else "r2" if score is r2 else None
    return None


def _training_score(estimator: Any, x: Any, y: Any, sample_weight: Any) -> float | None:
    kwargs = {}
    if sample_weight is not None and _data.accepts(estimator, "score", "sample_weight"):
        kwargs["sample_weight"] = sample_weight
    args = (x,) if y is None else (x, y)
    value = _call(type(estimator).__name__, "score", estimator.score, *args, **kwargs)
    return _finite(value)


def _has(estimator: Any, method: str) -> bool:
    try:
        return callable(getattr(estimator, method, None))
    except Exception:  # noqa: BLE001 - an available_if check that raises something odd
        return False


def _call(name: str, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the estimator's own limitation, not autolog's
        _skipped(name, what, exc)
        return None


def _skipped(name: str, what: str, exc: BaseException) -> None:
    warn_once(
        f"sklearn-metric:{name}:{what}",
        f"autolog: training metric input {what!r} of {name} could not be computed "
        f"({type(exc).__name__}: {exc}); the metrics that need it are skipped.",
    )


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


# -- in the background ---------------------------------------------------------------------------
def compute(snap: Snapshot) -> dict[str, float]:
    """Every training metric that can be computed from ``snap`` (failures warn once each)."""
    import sklearn

    out: dict[str, float] = {}
    with sklearn.config_context(skip_parameter_validation=True):
        if snap.kind == "classifier" and snap.y_pred is not None:
            _classifier_metrics(snap, out, _fast_metrics(snap))
        elif snap.kind == "regressor" and snap.y_pred is not None:
            _regressor_metrics(snap, out, _fast_metrics(snap))
        elif snap.kind == "clusterer":
            _clusterer_metrics(snap, out)
    if snap.score is not None:
        out["training_score"] = snap.score
    elif snap.score_from == "accuracy" and "training_accuracy_score" in out:
        out["training_score"] = out["training_accuracy_score"]
    elif snap.score_from == "r2" and "training_r2_score" in out:
        out["training_score"] = out["training_r2_score"]
    return out


def _fast_metrics(snap: Snapshot) -> dict[str, float]:
    """The metrics ``_fast`` computes without sklearn's validation; the others fall back to sklearn.

    A bug there must not lose a metric: it is reported as autolog's own error (raised under
    ``AUTOLOG_TESTING``) and every metric then comes from sklearn.
    """
    try:
        from autolog.integrations.sklearn import _fast

        return _fast.training_metrics(snap)
    except Exception as exc:  # noqa: BLE001
        report_internal_error("sklearn fast training metrics", exc)
        return {}


def _attempt(
    snap: Snapshot,
    out: dict[str, float],
    key: str,
    compute_value: Callable[[], Any],
    fast: dict[str, float] | None = None,
) -> None:
    """``out[key]``: from ``fast`` when it has the value, else ``compute_value()`` (sklearn).

    A failing sklearn call is skipped with one warning; NaN and infinite values are dropped.
    """
    if fast is not None and key in fast:
        value = _finite(fast[key])
        if value is not None:
            out[key] = value
        return
    try:
        value = _finite(compute_value())
    except Exception as exc:  # noqa: BLE001
        warn_once(
            f"sklearn-metric:{snap.estimator_name}:{key}",
            f"autolog: training metric {key!r} could not be computed for {snap.estimator_name} "
            f"({type(exc).__name__}: {exc}); skipped.",
        )
        return
    if value is not None:
        out[key] = value


def _from_fast(out: dict[str, float], fast: dict[str, float], keys: tuple[str, ...]) -> bool:
    """Copy ``keys`` from ``fast`` into ``out`` when it has them all (finite ones only)."""
    if not all(key in fast for key in keys):
        return False
    for key in keys:
        value = _finite(fast[key])
        if value is not None:
            out[key] = value
    return True


def _classifier_metrics(snap: Snapshot, out: dict[str, float], fast: dict[str, float]) -> None:
    from autolog.integrations.sklearn._util import original
    from sklearn import metrics

    y, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    binary_label = snap.pos_label is not None and snap.binary
    average = "binary" if binary_label else "weighted"
    extra = {"pos_label": snap.pos_label} if binary_label else {}
    _attempt(snap, out, "training_accuracy_score", lambda: original(metrics.accuracy_score)(y, y_pred, sample_weight=weight), fast)
    if not _from_fast(out, fast, ("training_precision_score", "training_recall_score", "training_f1_score")):
        _sklearn_prf(snap, out, average, extra)
    proba = snap.proba
    if proba is None or getattr(proba, "ndim", 0) != 2 or getattr(y, "ndim", 1) != 1:
        return
    labels = snap.classes
    _attempt(
        snap,
        out,
        "training_log_loss",
        lambda: original(metrics.log_loss)(y, proba, sample_weight=weight, labels=labels),
        fast,
    )
    if snap.binary:
        positive = snap.positive_class
        _attempt(
            snap,
            out,
            "training_roc_auc",
            lambda: original(metrics.roc_auc_score)(y == positive, snap.positive_scores(), sample_weight=weight),
            fast,
        )
    else:
        _attempt(
            snap,
            out,
            "training_roc_auc",
            lambda: original(metrics.roc_auc_score)(
                y, proba, multi_class="ovr", average="weighted", sample_weight=weight, labels=labels
            ),
            fast,
        )


def _sklearn_prf(snap: Snapshot, out: dict[str, float], average: str, extra: dict[str, Any]) -> None:
    """Precision, recall and F1 from one ``precision_recall_fscore_support`` call."""
    from autolog.integrations.sklearn._util import original
    from sklearn import metrics

    y, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    scores: dict[str, float] = {}

    def prf() -> Any:
        p, r, f, _ = original(metrics.precision_recall_fscore_support)(
            y, y_pred, average=average, sample_weight=weight, zero_division=0, **extra
        )
        scores.update(precision=p, recall=r, f1=f)
        return p

    _attempt(snap, out, "training_precision_score", prf)
    if scores:
        out["training_recall_score"] = float(scores["recall"])
        out["training_f1_score"] = float(scores["f1"])


def _regressor_metrics(snap: Snapshot, out: dict[str, float], fast: dict[str, float]) -> None:
    import numpy as np
    from autolog.integrations.sklearn._util import original
    from sklearn import metrics

    y, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    _attempt(snap, out, "training_mean_squared_error", lambda: original(metrics.mean_squared_error)(y, y_pred, sample_weight=weight), fast)
    rmse = getattr(metrics, "root_mean_squared_error", None)
    if rmse is not None or "training_root_mean_squared_error" in fast:
        _attempt(snap, out, "training_root_mean_squared_error", lambda: original(rmse)(y, y_pred, sample_weight=weight), fast)
    elif "training_mean_squared_error" in out:
        out["training_root_mean_squared_error"] = float(np.sqrt(out["training_mean_squared_error"]))
    _attempt(snap, out, "training_mean_absolute_error", lambda: original(metrics.mean_absolute_error)(y, y_pred, sample_weight=weight), fast)
    _attempt(snap, out, "training_r2_score", lambda: original(metrics.r2_score)(y, y_pred, sample_weight=weight), fast)


def _clusterer_metrics(snap: Snapshot, out: dict[str, float]) -> None:
    import numpy as np
    from autolog.integrations.sklearn._util import original
    from sklearn import metrics

    if snap.inertia is not None:
        out["training_inertia"] = snap.inertia
    labels = snap.labels_sample
    if labels is None or snap.x_sample is None:
        return
    found = len(np.unique(labels))
    if 2 <= found < len(labels):  # silhouette is undefined otherwise: not an error worth a warning
        _attempt(snap, out, "training_silhouette_score", lambda: original(metrics.silhouette_score)(snap.x_sample, labels))
