"""Classifier plots, rendered on autolog's background thread.

A confusion matrix for every classifier (up to :data:`MAX_CLASSES` classes), and ROC and
precision-recall curves for binary ones, saved as PNG artifacts under ``plots/`` with MLflow's
file names. Rendering uses ``matplotlib.figure.Figure`` with the Agg canvas directly: pyplot is
never imported, so the user's backend, figures and rcParams are untouched.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog._runs import Run
    from autolog.integrations.sklearn._metrics import Snapshot

MAX_CLASSES = 30
DPI = 80

_available: bool | None = None


def available() -> bool:
    """Whether matplotlib is installed (checked once, without importing it)."""
    global _available
    if _available is None:
        _available = importlib.util.find_spec("matplotlib") is not None
    return _available


def wanted(snap: "Snapshot") -> bool:
    return snap.kind == "classifier" and snap.y_pred is not None and snap.y_true is not None and available()


def render(run: "Run", snap: "Snapshot") -> None:
    """Render and log the plots of one classifier's training predictions."""
    import sklearn
    from sklearn import metrics

    from autolog.integrations.sklearn._util import original

    if getattr(snap.y_true, "ndim", 1) != 1 or snap.classes is None or len(snap.classes) > MAX_CLASSES:
        return
    with sklearn.config_context(skip_parameter_validation=True):
        counts = original(metrics.confusion_matrix)(
            snap.y_true, snap.y_pred, labels=snap.classes, sample_weight=snap.sample_weight
        )
        _log(run, "training_confusion_matrix.png", _confusion_figure(counts, snap.classes))
        if not snap.binary:
            return
        scores = snap.positive_scores()
        if scores is None:
            return
        positive = snap.positive_class
        fpr, tpr, _ = original(metrics.roc_curve)(snap.y_true, scores, pos_label=positive, sample_weight=snap.sample_weight)
        auc = original(metrics.auc)(fpr, tpr)
        _log(run, "training_roc_curve.png", _curve_figure(fpr, tpr, f"AUC = {auc:.3f}", "False positive rate", "True positive rate", "ROC curve", diagonal=True))
        precision, recall, _ = original(metrics.precision_recall_curve)(
            snap.y_true, scores, pos_label=positive, sample_weight=snap.sample_weight
        )
        ap = original(metrics.average_precision_score)(snap.y_true == positive, scores, sample_weight=snap.sample_weight)
        _log(run, "training_precision_recall_curve.png", _curve_figure(recall, precision, f"AP = {ap:.3f}", "Recall", "Precision", "Precision-recall curve", step=True))


def _new_figure(size: tuple[float, float]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.16, right=0.95, bottom=0.14, top=0.9)  # fixed: no layout pass
    return figure


def _confusion_figure(counts: Any, classes: Any) -> Any:
    n = len(classes)
    side = min(4.0 + 0.3 * n, 12.0)
    figure = _new_figure((side, side))
    if n > 4:
        figure.subplots_adjust(bottom=0.2, left=0.2)
    ax = figure.add_subplot()
    ax.imshow(counts, cmap="Blues", interpolation="nearest")
    ticks = list(range(n))
    names = [str(c) for c in classes]
    ax.set_xticks(ticks, names, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title("Confusion matrix (training data)")
    if n <= 15:
        threshold = counts.max() / 2.0 if counts.size else 0
        for i in range(n):
            for j in range(n):
                value = counts[i, j]
                text = f"{value:g}" if isinstance(value, float) else str(value)
                ax.text(j, i, text, ha="center", va="center", color="white" if value > threshold else "black")
    return figure


def _curve_figure(x: Any, y: Any, label: str, xlabel: str, ylabel: str, title: str, diagonal: bool = False, step: bool = False) -> Any:
    figure = _new_figure((5.0, 4.5))
    ax = figure.add_subplot()
    if step:
        ax.step(x, y, where="post", label=label)
    else:
        ax.plot(x, y, label=label)
    if diagonal:
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} (training data)")
    ax.legend(loc="lower right")
    return figure


def _log(run: "Run", name: str, figure: Any) -> None:
    handle, path = tempfile.mkstemp(prefix="autolog-plot-", suffix=".png")
    os.close(handle)
    try:
        figure.savefig(path, format="png")
    except BaseException:
        os.remove(path)
        raise
    run.log_artifact(path, f"plots/{name}", kind="plot", staged=True)
