"""Classifier plots, logged as their data on autolog's background thread.

A confusion matrix for every classifier (up to :data:`MAX_CLASSES` classes), and ROC and
precision-recall curves for binary ones, under ``plots/`` with MLflow's names
(``plots/training_confusion_matrix`` ...). Each is a :class:`autolog.records.Plot`: the counts
or the curve's points (scikit-learn's ``drop_intermediate`` points, at most 500, with their
thresholds; the ROC curve's first threshold, infinite, is null), a few kilobytes, computed from
the predictions the fit's snapshot already holds. Nothing is rasterised during training: the local store keeps the spec as JSON and renders
the PNG when someone first opens it (``autolog plots RUN_ID``, or ``Client.artifact_path(run_id,
"plots/training_roc_curve.png")``); image-only backends render it when they deliver it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from autolog import plots

if TYPE_CHECKING:
    from autolog._runs import Run
    from autolog.integrations.sklearn._metrics import Snapshot

MAX_CLASSES = 30


def wanted(snap: "Snapshot") -> bool:
    return snap.kind == "classifier" and snap.y_pred is not None and snap.y_true is not None


def specs(snap: "Snapshot") -> dict[str, dict[str, Any]]:
    """The plot specs of one classifier's training predictions, by artifact path."""
    import sklearn
    from sklearn import metrics

    from autolog.integrations.sklearn._util import original

    if getattr(snap.y_true, "ndim", 1) != 1 or snap.classes is None or len(snap.classes) > MAX_CLASSES:
        return {}
    out: dict[str, dict[str, Any]] = {}
    with sklearn.config_context(skip_parameter_validation=True):
        counts = original(metrics.confusion_matrix)(
            snap.y_true, snap.y_pred, labels=snap.classes, sample_weight=snap.sample_weight
        )
        out["plots/training_confusion_matrix"] = plots.confusion_matrix_spec(
            "Confusion matrix (training data)", [str(c) for c in snap.classes], counts.tolist()
        )
        if not snap.binary:
            return out
        scores = snap.positive_scores()
        if scores is None:
            return out
        positive = snap.positive_class
        weight = snap.sample_weight
        fpr, tpr, thresholds = original(metrics.roc_curve)(snap.y_true, scores, pos_label=positive, sample_weight=weight)
        auc = float(original(metrics.auc)(fpr, tpr))
        x, y, cut = plots.thin(fpr.tolist(), tpr.tolist(), _finite(thresholds))
        out["plots/training_roc_curve"] = plots.curve_spec(
            "ROC curve (training data)", x, y,
            x_label="False positive rate", y_label="True positive rate", label=f"AUC = {auc:.3f}",
            diagonal=True, thresholds=cut, auc=auc, positive_label=str(positive),
        )  # fmt: skip
        precision, recall, pr_thresholds = original(metrics.precision_recall_curve)(
            snap.y_true, scores, pos_label=positive, sample_weight=weight, **_drop_intermediate()
        )
        ap = float(original(metrics.average_precision_score)(snap.y_true == positive, scores, sample_weight=weight))
        x, y, cut = plots.thin(recall.tolist(), precision.tolist(), _finite(pr_thresholds) + [None])
        out["plots/training_precision_recall_curve"] = plots.curve_spec(
            "Precision-recall curve (training data)", x, y,
            x_label="Recall", y_label="Precision", label=f"AP = {ap:.3f}", step=True,
            thresholds=cut, average_precision=ap, positive_label=str(positive),
        )  # fmt: skip
    return out


def _finite(values: Any) -> list[Any]:
    """Thresholds as JSON-ready numbers; the infinite first ROC threshold becomes None."""
    import numpy as np

    return [float(v) if np.isfinite(v) else None for v in values]


@functools.lru_cache(maxsize=1)
def _drop_intermediate() -> dict[str, Any]:
    """``precision_recall_curve(drop_intermediate=True)`` where scikit-learn has it (1.3+)."""
    import inspect

    from sklearn import metrics

    from autolog.integrations.sklearn._util import original

    try:
        return {"drop_intermediate": True} if "drop_intermediate" in inspect.signature(original(metrics.precision_recall_curve)).parameters else {}
    except (TypeError, ValueError):
        return {}


def log(run: "Run", snap: "Snapshot") -> None:
    """Log the plots of one classifier's training predictions (as data)."""
    for path, spec in specs(snap).items():
        run.log_plot(path, spec)
