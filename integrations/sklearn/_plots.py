"""Classifier plots, logged as their data on autolog's background thread.

A confusion matrix for every classifier (up to :data:`MAX_CLASSES` classes), and ROC and
precision-recall curves for binary ones, under ``plots/`` with MLflow's names
(``plots/training_confusion_matrix`` ...). Each is a :class:`autolog.records.Plot`: the counts
or the curve's points (at most 200, evenly thinned, with their thresholds; the ROC curve's
first threshold, infinite, is null), equal to scikit-learn's ``confusion_matrix``, ``roc_curve``
and ``precision_recall_curve`` (computed with numpy where that is verified: ``_fast``), a few kilobytes, computed from
the predictions the fit's snapshot already holds. Nothing is rasterised during training: the local store keeps the spec as JSON and renders
the PNG when someone first opens it (``autolog plots RUN_ID``, or ``Client.artifact_path(run_id,
"plots/training_roc_curve.png")``); image-only backends render it when they deliver it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog.sdk import plots

if TYPE_CHECKING:
    from autolog.integrations.sklearn._metrics import Snapshot

    from autolog.sdk import AutologgedRun

MAX_CLASSES = 30


def wanted(snap: Snapshot) -> bool:
    return snap.kind == "classifier" and snap.y_pred is not None and snap.y_true is not None


def specs(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """The plot specs of one classifier's training predictions, by artifact path."""
    data = _data(snap)
    out: dict[str, dict[str, Any]] = {}
    matrix = data.get("confusion_matrix")
    if matrix is not None:
        out["plots/training_confusion_matrix"] = plots.confusion_matrix_spec(
            "Confusion matrix (training data)", matrix["labels"], matrix["counts"]
        )
    positive = str(snap.positive_class) if snap.binary else None
    roc = data.get("roc_curve")
    if roc is not None:
        x, y, cut = plots.thin(roc["fpr"], roc["tpr"], roc["thresholds"])
        out["plots/training_roc_curve"] = plots.curve_spec(
            "ROC curve (training data)", x, y,
            x_label="False positive rate", y_label="True positive rate", label=f"AUC = {roc['auc']:.3f}",
            diagonal=True, thresholds=cut, auc=roc["auc"], positive_label=positive,
        )
    pr = data.get("precision_recall_curve")
    if pr is not None:
        ap = pr["average_precision"]
        x, y, cut = plots.thin(pr["recall"], pr["precision"], [*pr["thresholds"], None])
        out["plots/training_precision_recall_curve"] = plots.curve_spec(
            "Precision-recall curve (training data)", x, y,
            x_label="Recall", y_label="Precision", label=f"AP = {ap:.3f}", step=True,
            thresholds=cut, average_precision=ap, positive_label=positive,
        )
    return out


def _data(snap: Snapshot) -> dict[str, Any]:
    """The numbers behind the plots: numpy's fast path where it is verified, else scikit-learn."""
    from autolog.integrations.sklearn import _fast

    fast = _fast.plot_data(snap)
    return fast if fast is not None else _sklearn_data(snap)


def _sklearn_data(snap: Snapshot) -> dict[str, Any]:
    """:func:`_data` through scikit-learn's own functions (same keys as ``_fast.plot_data``)."""
    import sklearn
    from autolog.integrations.sklearn._util import original
    from sklearn import metrics

    if getattr(snap.y_true, "ndim", 1) != 1 or snap.classes is None or len(snap.classes) > MAX_CLASSES:
        return {}
    out: dict[str, Any] = {}
    weight = snap.sample_weight
    with sklearn.config_context(skip_parameter_validation=True):
        counts = original(metrics.confusion_matrix)(snap.y_true, snap.y_pred, labels=snap.classes, sample_weight=weight)
        out["confusion_matrix"] = {"labels": [str(c) for c in snap.classes], "counts": counts.tolist()}
        if not snap.binary:
            return out
        scores = snap.positive_scores()
        if scores is None:
            return out
        positive = snap.positive_class
        fpr, tpr, thresholds = original(metrics.roc_curve)(snap.y_true, scores, pos_label=positive, sample_weight=weight)
        out["roc_curve"] = {
            "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": _finite(thresholds),
            "auc": float(original(metrics.auc)(fpr, tpr)),
        }
        precision, recall, pr_thresholds = original(metrics.precision_recall_curve)(
            snap.y_true, scores, pos_label=positive, sample_weight=weight
        )
        ap = original(metrics.average_precision_score)(snap.y_true == positive, scores, sample_weight=weight)
        out["precision_recall_curve"] = {
            "precision": precision.tolist(), "recall": recall.tolist(), "thresholds": _finite(pr_thresholds),
            "average_precision": float(ap),
        }
    return out


def _finite(values: Any) -> list[Any]:
    """Thresholds as JSON-ready numbers; the infinite first ROC threshold becomes None."""
    import numpy as np

    return [float(v) if np.isfinite(v) else None for v in values]


def log(run: AutologgedRun, snap: Snapshot) -> None:
    """Log the plots of one classifier's training predictions (as data)."""
    for path, spec in specs(snap).items():
        run.log_plot(path, spec)
