"""Training metrics and plot data in plain numpy: scikit-learn's values without its validation.

``sklearn.metrics`` spends almost all of its time on input validation (``type_of_target``,
``check_array``, dataframe checks, ``_check_targets``, one-hot encoding), repeated for every
metric. Here the labels are encoded once against the snapshot's ``classes`` and every classifier
metric is derived from the same integer codes: accuracy, precision/recall/F1 and the confusion
matrix from ``np.bincount``; log loss from the probability of each row's true class; ROC AUC and
the ROC/precision-recall curves from one sort of the scores.

Each value is computed with the same numpy operations, in the same order, as scikit-learn 1.9
computes it, so that it is equal to scikit-learn's, exactly in practice and within 1e-12
relative at worst. That arithmetic changes between releases (before 1.9: float32 log loss and
regression, ROC sums and curve thresholds differ in the last bits or more), so the entry points
only run under the versions in :data:`VERIFIED_SKLEARN` and leave every other one to sklearn.
Whenever a precondition of that common case does not hold, a
function returns None, meaning "ask scikit-learn": the caller then makes the sklearn call,
which gives the same value, or raises or warns exactly as before. The fall-back conditions are
listed in each function's docstring; in short:

* labels: ``y_true``/``y_pred`` not 1-D numpy arrays of one length, ``classes`` not strictly
  increasing (sklearn's sorted ``classes_``), labels of different kinds (strings and numbers),
  float labels that are not whole numbers, or a label not found in ``classes``;
* weights: not a 1-D float32/float64/integer array of the right length, not finite, negative,
  or all zero;
* probabilities and scores: not float32/float64 (or integer scores), not finite, outside [0, 1],
  rows that do not sum to one (log loss, multiclass ROC AUC);
* undefined values: a class with no weight among the true labels (or no other class), where
  sklearn warns and returns NaN or a value with a warning; R² with fewer than two samples;
  multi-output regression.

Importing this module imports numpy: import it lazily, from inside functions (as ``_metrics``
does), so that ``import autolog`` stays free of numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from autolog.integrations.sklearn._plots import MAX_CLASSES

#: scikit-learn releases (major, minor) whose arithmetic this module reproduces, as checked by
#: tests/integrations/sklearn/test_fast_metrics.py. Under any other, everything goes to sklearn.
VERIFIED_SKLEARN = ((1, 9),)

#: What ``plot_data`` writes for the ROC curve's first threshold (sklearn's ``inf``): JSON null.
INFINITE_THRESHOLD = None

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass
class Encoded:
    """A classifier's training labels as integer codes into its sorted ``classes``."""

    classes: Any  # the snapshot's classes (sorted, unique), as given
    true: Any  # int codes of y_true into classes
    pred: Any  # int codes of y_pred into classes
    weight: Any  # the snapshot's sample weights (validated, dtype kept) or None

    @property
    def n_classes(self) -> int:
        return len(self.classes)


@dataclass
class Curve:
    """sklearn's ``confusion_matrix_at_thresholds`` for one binary problem (before any drop)."""

    fps: Any  # weighted false positives at each distinct score, decreasing thresholds
    tps: Any  # weighted true positives, likewise
    thresholds: Any  # the distinct scores, decreasing, in the scores' dtype


_supported: bool | None = None


# -- entry points ---------------------------------------------------------------------------------
def supported() -> bool:
    """Whether the installed scikit-learn is one of :data:`VERIFIED_SKLEARN` (checked once)."""
    global _supported
    if _supported is None:
        import sklearn
        from packaging.version import InvalidVersion, Version

        try:
            _supported = Version(sklearn.__version__).release[:2] in VERIFIED_SKLEARN
        except InvalidVersion:
            _supported = False
    return _supported


def training_metrics(snap: Any) -> dict[str, float]:
    """The training metrics of ``snap`` computable here: name -> value; a missing name falls back.

    Empty under a scikit-learn release not in :data:`VERIFIED_SKLEARN`.
    """
    if not supported():
        return {}
    if snap.kind == "classifier" and snap.y_pred is not None:
        values = classifier_metrics(snap)
    elif snap.kind == "regressor" and snap.y_pred is not None:
        values = regressor_metrics(snap)
    else:
        return {}
    return {key: value for key, value in values.items() if value is not None}


def classifier_metrics(snap: Any) -> dict[str, float | None]:
    """Accuracy, precision/recall/F1, log loss and ROC AUC as ``_metrics`` asks sklearn for them.

    A value of None (or an empty dict, when the labels cannot be encoded) means: ask sklearn.
    """
    encoded = encode(snap)
    if encoded is None:
        return {}
    out: dict[str, float | None] = {"training_accuracy_score": accuracy(encoded)}
    if snap.pos_label is not None and snap.binary:  # average="binary", pos_label=...
        positive = _positive_index(snap, encoded)
        prf = None if positive is None else precision_recall_f1(encoded, positive)
    else:  # average="weighted"
        prf = precision_recall_f1(encoded, None)
    if prf is not None:
        out["training_precision_score"], out["training_recall_score"], out["training_f1_score"] = prf
    proba = _probabilities(snap.proba, len(encoded.true))
    if proba is None or encoded.n_classes < 2 or proba.shape[1] != encoded.n_classes:
        return out
    out["training_log_loss"] = log_loss(encoded, proba)
    if snap.binary:
        out["training_roc_auc"] = binary_roc_auc(snap, encoded)
    else:
        out["training_roc_auc"] = multiclass_roc_auc(encoded, proba)
    return out


def plot_data(snap: Any) -> dict[str, Any] | None:
    """The data behind ``_plots.render``'s figures, as JSON-ready plain Python; None: ask sklearn.

    Keys: ``confusion_matrix`` (``labels``: the classes as strings; ``counts``: nested lists,
    ints without sample weights or with integer ones, floats otherwise, rows true, columns
    predicted) and, for binary problems with scores, ``roc_curve`` (``fpr``, ``tpr``,
    ``thresholds``, ``auc``; ``roc_curve(..., drop_intermediate=True)`` and ``auc``) and
    ``precision_recall_curve`` (``precision``, ``recall``, ``thresholds``,
    ``average_precision``). The ROC curve's first threshold, sklearn's ``inf``, is written as
    :data:`INFINITE_THRESHOLD` (``None``, JSON null); every other threshold is a finite float.

    Empty (no key) where ``_plots.render`` draws nothing: not a classifier's predictions, 2-D
    labels, no classes, or more than :data:`~autolog.integrations.sklearn._plots.MAX_CLASSES`.
    None where sklearn must be asked: labels that cannot be encoded (see :func:`encode`), a
    single class, or a curve that sklearn leaves undefined (no positive or no negative weight:
    NaN rates and a warning), and under a scikit-learn release not in :data:`VERIFIED_SKLEARN`.
    """
    if snap.kind != "classifier" or snap.y_pred is None or snap.y_true is None:
        return {}
    if getattr(snap.y_true, "ndim", 1) != 1 or snap.classes is None or len(snap.classes) > MAX_CLASSES:
        return {}
    if not supported():
        return None
    encoded = encode(snap)
    if encoded is None or encoded.n_classes < 2:
        return None
    data: dict[str, Any] = {"confusion_matrix": _confusion_data(encoded)}
    if not snap.binary:
        return data
    scores = _scores(snap)
    if scores is _UNAVAILABLE:
        return data  # no scores: render draws the confusion matrix only
    positive = _positive_index(snap, encoded)
    if scores is None or positive is None:
        return None
    curve = threshold_counts(encoded.true == positive, scores, encoded.weight)
    if curve is None:
        return None
    data["roc_curve"] = _roc_data(curve)
    data["precision_recall_curve"] = _precision_recall_data(curve)
    return data


# -- labels and weights ---------------------------------------------------------------------------
def encode(snap: Any) -> Encoded | None:
    """``y_true`` and ``y_pred`` as codes into ``snap.classes``, or None where sklearn must decide.

    Falls back unless: both are 1-D numpy arrays of one length (at least one row); ``classes`` is
    a 1-D array, strictly increasing (as sklearn's ``classes_``); labels and classes are all
    numbers (bool, int, or whole finite floats) or all strings (``str`` arrays, or object arrays
    of ``str``); every label is one of the classes; the weights pass :func:`valid_weight`.
    """
    y_true, y_pred, classes = snap.y_true, snap.y_pred, snap.classes
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in (y_true, y_pred, classes)):
        return None
    n = len(y_true)
    if n == 0 or len(y_pred) != n or len(classes) == 0:
        return None
    weight = snap.sample_weight
    if weight is not None and not valid_weight(weight, n):
        return None
    kinds = {_label_kind(a) for a in (y_true, y_pred, classes)}
    if len(kinds) != 1 or None in kinds:
        return None
    sorted_classes = _comparable(classes)
    if len(sorted_classes) > 1 and not bool(np.all(sorted_classes[1:] > sorted_classes[:-1])):
        return None
    true = _codes(sorted_classes, _comparable(y_true))
    pred = _codes(sorted_classes, _comparable(y_pred))
    if true is None or pred is None:
        return None
    return Encoded(classes, true, pred, weight)


def valid_weight(weight: Any, n: int) -> bool:
    """Whether ``weight`` is sample weights every fast metric takes as sklearn does.

    A 1-D numpy array of ``n`` float32, float64 or integer values, finite, non-negative and not
    all zero (sklearn raises for all-zero weights; negative ones are left to sklearn).
    """
    if not isinstance(weight, np.ndarray) or weight.ndim != 1 or len(weight) != n:
        return False
    if weight.dtype.kind in "iu":
        return bool(np.all(weight >= 0) and np.any(weight != 0))
    if weight.dtype not in _FLOATS:
        return False
    return bool(np.all(np.isfinite(weight)) and np.all(weight >= 0) and np.any(weight != 0))


def _label_kind(labels: Any) -> str | None:
    """``"number"`` or ``"str"``: the kind sklearn's label checks accept without a mix; else None."""
    kind = labels.dtype.kind
    if kind in "biu":
        return "number"
    if kind == "f":
        finite = np.isfinite(labels)
        if not bool(np.all(finite)) or not bool(np.all(labels == np.trunc(labels))):
            return None  # sklearn: "continuous" targets, or NaN
        return "number" if not len(labels) or float(np.max(np.abs(labels))) < 2.0**53 else None
    if kind == "U":
        return "str"
    if kind == "O" and all(isinstance(value, str) for value in labels.tolist()):
        return "str"
    return None


def _comparable(labels: Any) -> Any:
    """``labels`` as an array numpy can sort and search (object arrays of ``str`` become ``str``)."""
    return labels.astype(str) if labels.dtype.kind == "O" else labels


def _codes(classes: Any, labels: Any) -> Any:
    """The index of each label in sorted ``classes``, or None when some label is not a class."""
    codes = np.searchsorted(classes, labels)
    inside = np.minimum(codes, len(classes) - 1)
    if not bool(np.all(classes[inside] == labels)):
        return None
    return codes


def _positive_index(snap: Any, encoded: Encoded) -> int | None:
    """Index of ``snap.positive_class`` in the classes (as ``Snapshot.positive_scores`` finds it)."""
    try:
        return list(encoded.classes).index(snap.positive_class)
    except ValueError:
        return None


# -- accuracy, precision, recall, F1 --------------------------------------------------------------
def accuracy(encoded: Encoded) -> float:
    """``accuracy_score(y_true, y_pred, sample_weight=w)``: np.average of the matches, as sklearn."""
    return float(np.average(encoded.true == encoded.pred, weights=encoded.weight))


def confusion_counts(encoded: Encoded) -> Any:
    """The (weighted) confusion matrix over all classes: rows true, columns predicted (bincount)."""
    k = encoded.n_classes
    flat = np.bincount(encoded.true * k + encoded.pred, weights=encoded.weight, minlength=k * k)
    return flat.reshape(k, k)


def precision_recall_f1(encoded: Encoded, positive: int | None) -> tuple[float, float, float]:
    """``precision_recall_fscore_support(..., zero_division=0)`` averaged as ``_metrics`` asks.

    ``positive`` None: ``average="weighted"``, over the labels present in ``y_true`` or
    ``y_pred`` (sklearn's labels, not all classes) weighted by their true support. A class
    index: ``average="binary"`` with that class as ``pos_label``.

    The sums are those of sklearn's ``multilabel_confusion_matrix``: per-class bincounts in row
    order, then ``tp + fp`` and ``tp + fn`` rebuilt from the differences, as it does.
    """
    k = encoded.n_classes
    weight = encoded.weight
    tp_all = np.diagonal(confusion_counts(encoded)).copy()
    pred_all = np.bincount(encoded.pred, weights=weight, minlength=k)
    true_all = np.bincount(encoded.true, weights=weight, minlength=k)
    if positive is None:
        present = np.flatnonzero(np.bincount(encoded.true, minlength=k) + np.bincount(encoded.pred, minlength=k))
    else:
        present = np.asarray([positive])
    tp, pred_count, true_count = tp_all[present], pred_all[present], true_all[present]
    fp, fn = pred_count - tp, true_count - tp
    pred_sum, true_sum = tp + fp, tp + fn
    precision = _prf_divide(tp, pred_sum)
    recall = _prf_divide(tp, true_sum)
    beta2 = 1.0**2
    denominator = beta2 * true_sum.astype(np.float64) + pred_sum.astype(np.float64)
    f1 = _prf_divide((1 + beta2) * tp.astype(np.float64), denominator)
    if positive is None:
        return _weighted_mean(precision, true_sum), _weighted_mean(recall, true_sum), _weighted_mean(f1, true_sum)
    return float(np.nanmean(precision)), float(np.nanmean(recall)), float(np.nanmean(f1))


def _prf_divide(numerator: Any, denominator: Any) -> Any:
    """sklearn's ``_prf_divide`` with ``zero_division=0``: a float ratio, 0 where the divisor is 0."""
    floats = [a.dtype for a in (numerator, denominator) if a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.float64
    mask = denominator == 0
    denominator = np.asarray(denominator, dtype=dtype).copy()
    denominator[mask] = 1
    result = np.asarray(numerator, dtype=dtype) / denominator
    result[mask] = 0.0
    return result


def _weighted_mean(values: Any, weights: Any) -> float:
    """sklearn's ``_nanaverage`` without NaNs: np.average, unweighted when the weights sum to 0."""
    try:
        return float(np.average(values, weights=weights))
    except ZeroDivisionError:
        return float(np.average(values))


# -- log loss -------------------------------------------------------------------------------------
def _probabilities(proba: Any, n: int) -> Any:
    """``proba`` when it is a finite float32/float64 (n, k) array of values in [0, 1], else None."""
    if not isinstance(proba, np.ndarray) or proba.ndim != 2 or proba.shape[0] != n or proba.dtype not in _FLOATS:
        return None
    if not bool(np.all(np.isfinite(proba))):
        return None
    if proba.size and (float(proba.max()) > 1 or float(proba.min()) < 0):
        return None
    return proba


def log_loss(encoded: Encoded, proba: Any) -> float | None:
    """``log_loss(y_true, proba, sample_weight=w, labels=classes)`` of sklearn 1.9.

    sklearn 1.9 clips to ``[eps, 1 - eps]`` with ``eps`` of ``proba``'s dtype, computes in that
    dtype, and does not renormalise the rows (it warns when they do not sum to one): falls back
    on rows that do not sum to one within ``sqrt(eps)`` (inside sklearn's tolerance), so that its
    warning is kept. The loss of a row is ``-log`` of its true class's clipped probability (the
    one nonzero term of sklearn's ``xlogy`` row sum), averaged with ``np.average`` as sklearn.
    """
    eps = np.finfo(proba.dtype).eps
    row_sums = np.sum(proba, axis=1)
    if not bool(np.all(np.abs(row_sums - 1) <= np.sqrt(eps))):
        return None
    rows = np.arange(len(encoded.true))
    chosen = np.clip(proba[rows, encoded.true], eps, 1 - eps)
    return float(np.average(-np.log(chosen), weights=encoded.weight))


# -- ROC AUC and curves ---------------------------------------------------------------------------
_UNAVAILABLE = object()


def _scores(snap: Any) -> Any:
    """The positive class's scores (``Snapshot.positive_scores``) if usable here.

    ``_UNAVAILABLE`` when the snapshot has none (render draws no curves); None when they exist
    but are not a finite 1-D float32/float64/integer array of one score per row.
    """
    try:
        scores = snap.positive_scores()
    except ValueError:
        return None  # pos_label not a class: sklearn raises
    if scores is None:
        return _UNAVAILABLE
    if not isinstance(scores, np.ndarray) or scores.ndim != 1 or len(scores) != len(snap.y_true):
        return None
    if scores.dtype not in _FLOATS and scores.dtype.kind not in "iu":
        return None
    if not bool(np.all(np.isfinite(scores))):
        return None
    return scores


def threshold_counts(positive: Any, scores: Any, weight: Any, *, exact_ties: bool = True) -> Curve | None:
    """sklearn's ``confusion_matrix_at_thresholds``: weighted tps/fps at each distinct score.

    Same steps as sklearn: zero-weight rows dropped, a stable descending sort built as sklearn's
    array-API ``argsort(descending=True)`` is (so tied rows sum in the same order), the last
    index of each run of tied scores, cumulative sums in float64. None (fall back) when the
    positives or the negatives have no weight: sklearn's rates are NaN then, with a warning.

    ``exact_ties=False`` (only without weights, when the thresholds are not used) sorts with
    numpy's faster unstable sort: the order of tied rows cannot change whole-number counts, but
    could change which of ``0.0`` and ``-0.0`` stands for a tie in ``thresholds``.
    """
    truth = positive.astype(np.float64)
    if weight is not None:
        weight = np.asarray(weight, dtype=np.float64) if weight.dtype not in _FLOATS else weight
        keep = weight != 0
        truth, scores, weight = truth[keep], scores[keep], weight[keep]
    n = len(scores)
    if n == 0:
        return None
    if exact_ties or weight is not None:
        order = (n - 1) - np.flip(np.argsort(np.flip(scores), kind="stable"))
    else:
        order = np.flip(np.argsort(scores))
    scores, truth = scores[order], truth[order]
    if weight is not None:
        weight = weight[order]
    last = np.concatenate([np.nonzero(np.diff(scores))[0], np.asarray([n - 1])])
    tps = np.cumsum(truth * (1.0 if weight is None else weight), dtype=np.float64)[last]
    if weight is not None:
        fps = np.cumsum((1 - truth) * weight, dtype=np.float64)[last]
    else:
        fps = 1 + last.astype(np.float64) - tps
    if not (tps[-1] > 0 and fps[-1] > 0):
        return None
    return Curve(fps, tps, scores[last])


def roc_points(curve: Curve) -> tuple[Any, Any, Any]:
    """``roc_curve(..., drop_intermediate=True)``: (fpr, tpr, thresholds with ``inf`` first)."""
    fps, tps, thresholds = curve.fps, curve.tps, curve.thresholds
    if len(fps) > 2:
        corners = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.where(np.concatenate([np.asarray([True]), corners, np.asarray([True])]))[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    tps = np.concatenate([np.asarray([0.0]), tps])
    fps = np.concatenate([np.asarray([0.0]), fps])
    thresholds = np.concatenate([np.asarray([np.inf]), thresholds.astype(np.float64)])
    return fps / fps[-1], tps / tps[-1], thresholds


def trapezoid_auc(fpr: Any, tpr: Any) -> float:
    """``sklearn.metrics.auc(fpr, tpr)`` for an increasing ``fpr`` (scipy's trapezoid, same sum)."""
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2.0, dtype=np.float64))


def binary_roc_auc(snap: Any, encoded: Encoded) -> float | None:
    """``roc_auc_score(y == positive, snap.positive_scores(), sample_weight=w)``.

    Falls back when the scores are unusable (see :func:`_scores`) or the AUC is undefined (a
    class without weight: sklearn warns and returns NaN, which ``_metrics`` skips).
    """
    scores = _scores(snap)
    positive = _positive_index(snap, encoded)
    if scores is None or scores is _UNAVAILABLE or positive is None:
        return None
    curve = threshold_counts(encoded.true == positive, scores, encoded.weight)
    if curve is None:
        return None
    fpr, tpr, _ = roc_points(curve)
    return trapezoid_auc(fpr, tpr)


def multiclass_roc_auc(encoded: Encoded, proba: Any) -> float | None:
    """``roc_auc_score(y, proba, multi_class="ovr", average="weighted", sample_weight=w, labels=classes)``.

    One-vs-rest binary AUCs, averaged with weights the (weighted) support of each class computed
    as sklearn does. Falls back when the rows do not sum to one (``np.allclose``, where sklearn
    raises), or some class has no weight among the true labels, or no other class has: sklearn
    warns then (and gives that class weight 0, or NaN).
    """
    if not np.allclose(1, proba.sum(axis=1)):
        return None
    k, weight = encoded.n_classes, encoded.weight
    if weight is None:
        support = np.bincount(encoded.true, minlength=k)
    else:
        indicator = (encoded.true[:, None] == np.arange(k)).astype(weight.dtype)
        support = np.sum(indicator * weight.reshape(-1, 1), axis=0)
    if np.isclose(np.sum(support), 0) or not bool(np.all(support > 0)):
        return None
    scores = np.zeros((k,))
    columns = np.ascontiguousarray(proba.T)
    for c in range(k):
        curve = threshold_counts(encoded.true == c, columns[c], weight, exact_ties=False)
        if curve is None:
            return None
        fpr, tpr, _ = roc_points(curve)
        scores[c] = trapezoid_auc(fpr, tpr)
    return float(np.average(scores, weights=support))


# -- regressors -----------------------------------------------------------------------------------
def regressor_metrics(snap: Any) -> dict[str, float | None]:
    """MSE, RMSE, MAE and R² of a 1-D regression, as ``_metrics`` asks sklearn for them.

    Computed in sklearn's dtype (float32 when every float input is float32, else float64) on
    (n, 1) columns with the same ``np.average``/``np.sum`` calls, so the values are sklearn's.
    Falls back (empty dict) unless ``y_true`` and ``y_pred`` are 1-D numpy arrays of one length,
    of bools, integers, float32 or float64, all finite, with weights as :func:`valid_weight`
    wants; R² also needs two rows (sklearn warns and gives NaN below that).
    """
    y_true, y_pred, weight = snap.y_true, snap.y_pred, snap.sample_weight
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in (y_true, y_pred)):
        return {}
    n = len(y_true)
    if n == 0 or len(y_pred) != n or not all(_numeric(a) for a in (y_true, y_pred)):
        return {}
    if weight is not None and not valid_weight(weight, n):
        return {}
    floats = [a.dtype for a in (y_true, y_pred, weight) if a is not None and a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
    truth = y_true.astype(dtype, copy=False).reshape(-1, 1)
    pred = y_pred.astype(dtype, copy=False).reshape(-1, 1)
    if weight is not None:
        weight = weight.astype(dtype, copy=False)
    squared = np.average((truth - pred) ** 2, axis=0, weights=weight)
    return {
        "training_mean_squared_error": float(np.average(squared)),
        "training_root_mean_squared_error": float(np.average(np.sqrt(squared))),
        "training_mean_absolute_error": float(np.average(np.average(np.abs(pred - truth), weights=weight, axis=0))),
        "training_r2_score": _r2(truth, pred, weight) if n >= 2 else None,
    }


def _numeric(values: Any) -> bool:
    """Whether sklearn's ``check_array`` takes ``values`` as they are: finite bool/int/float32/64."""
    if values.dtype.kind in "biu":
        return True
    return values.dtype in _FLOATS and bool(np.all(np.isfinite(values)))


def _r2(truth: Any, pred: Any, weight: Any) -> float:
    """``r2_score`` with ``force_finite=True``: 1.0 for a perfect fit, 0.0 for constant ``y_true``."""
    factor = 1.0 if weight is None else weight[:, None]
    numerator = np.sum(factor * (truth - pred) ** 2, axis=0)
    denominator = np.sum(factor * (truth - np.average(truth, axis=0, weights=weight)) ** 2, axis=0)
    scores = np.ones([1], dtype=numerator.dtype)
    nonzero_numerator, nonzero_denominator = numerator != 0, denominator != 0
    valid = nonzero_denominator & nonzero_numerator
    scores[valid] = 1 - (numerator[valid] / denominator[valid])
    scores[nonzero_numerator & ~nonzero_denominator] = 0.0
    return float(np.average(scores))


# -- plot data ------------------------------------------------------------------------------------
def _confusion_data(encoded: Encoded) -> dict[str, Any]:
    """``confusion_matrix(y, y_pred, labels=classes, sample_weight=w)`` as lists.

    Int counts without weights or with integer weights (sklearn's int64 accumulator), floats
    with float weights.
    """
    counts = confusion_counts(encoded)
    weight = encoded.weight
    if weight is None or weight.dtype.kind in "iu":
        counts = counts.astype(np.int64)
    return {"labels": [str(c) for c in encoded.classes], "counts": counts.tolist()}


def _roc_data(curve: Curve) -> dict[str, Any]:
    """ROC curve points and AUC; the first threshold (``inf``) as :data:`INFINITE_THRESHOLD`."""
    fpr, tpr, thresholds = roc_points(curve)
    listed = thresholds.tolist()
    listed[0] = INFINITE_THRESHOLD
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": listed, "auc": trapezoid_auc(fpr, tpr)}


def _precision_recall_data(curve: Curve) -> dict[str, Any]:
    """``precision_recall_curve`` (no points dropped) and ``average_precision_score``."""
    tps, fps = curve.tps, curve.fps
    predicted = tps + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted != 0, np.divide(tps, predicted), 0.0)
    recall = tps / tps[-1]
    precision = np.concatenate((np.flip(precision), np.asarray([1.0])))
    recall = np.concatenate((np.flip(recall), np.asarray([0.0])))
    average = float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
    return {
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "thresholds": np.flip(curve.thresholds).astype(np.float64).tolist(),
        "average_precision": average,
    }
