"""Post-training metrics: ``accuracy_score(y_test, model.predict(X_test))`` logged to the model's run.

As in MLflow: after a logged fit, the model's ``predict``, ``predict_proba``,
``predict_log_proba`` and ``decision_function`` remember each result they return (keyed by the
result's ``id``, holding a weak reference, or for results that cannot be weakly referenced a
strong one in a small bounded table) with the run and a dataset name: the name of the caller's
variable holding ``X`` (``X_test``), or ``eval_dataset``; a second dataset under a name already
used gets ``-2``, ``-3``... A ``sklearn.metrics`` function called with such a result logs
``<function>_<dataset>`` (``accuracy_score_X_test``; called again with the same model and data,
``accuracy_score-2_X_test``), and ``model.score(X_test, y_test)`` logs
``<EstimatorClass>_score_X_test``. Only scalar results are logged, and only calls made from
outside scikit-learn (scorers inside ``permutation_importance`` or a search are not evaluations).

The model's run has usually ended by then: the metric is a late record, delivered through the
run's own dispatcher (``AutologgedRun.emit_late``); backends accept records for a run after it ended.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autolog.integrations.sklearn import _options, _patch
from autolog.integrations.sklearn._util import called_by_sklearn, quiet

from autolog.sdk import Metric, first_outside_frame

if TYPE_CHECKING:
    from autolog.sdk import AutologgedRun as Run

#: Predictions remembered at most (oldest forgotten first).
MAX_PREDICTIONS = 64
#: Runs whose dataset names are remembered (oldest forgotten first).
MAX_RUNS_TRACKED = 100
FALLBACK_DATASET_NAME = "eval_dataset"

#: Functions of ``sklearn.metrics`` that are patched: every public one with these endings.
_METRIC_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
_METRIC_EXTRA = ("matthews_corrcoef",)

_lock = threading.Lock()
_models: dict[int, tuple[weakref.ref[Any], Run]] = {}
#: sweep dead models from ``_models`` once it holds this many entries (then twice the live ones)
MIN_SWEEP = 256
_sweep_at = [MIN_SWEEP]
_predictions: OrderedDict[int, tuple[Callable[[], Any], Run, str]] = OrderedDict()
_datasets: OrderedDict[str, dict[str, list[int]]] = OrderedDict()
_calls: dict[tuple[str, str], int] = {}


def clear() -> None:
    """Forget every remembered model, prediction and dataset name (on disable, in tests)."""
    with _lock:
        _models.clear()
        _predictions.clear()
        _datasets.clear()
        _calls.clear()


def remember_model(model: Any, run: Run) -> None:
    """``model`` was fitted by a logged call into ``run``: its evaluations log there.

    Weak references carry no callback: a callback runs when the garbage collector frees the
    model, in the middle of the user's code, where a Ctrl-C arriving would be swallowed (Python
    ignores exceptions in weakref callbacks). Dead entries are swept as the table grows instead.
    """
    try:
        ref = weakref.ref(model)
    except TypeError:  # a __slots__ estimator without __weakref__: no post-training metrics
        return
    with _lock:
        _models[id(model)] = (ref, run)
        if len(_models) >= _sweep_at[0]:
            for key in [key for key, (entry, _run) in _models.items() if entry() is None]:
                del _models[key]
            _sweep_at[0] = max(2 * len(_models), MIN_SWEEP)


def run_of(model: Any) -> Run | None:
    entry = _models.get(id(model))
    if entry is None or entry[0]() is not model:
        return None
    return entry[1]


# -- should_log functions (cheap: called on every predict/score/metric call) ----------------------
def is_logged_model(instance: Any) -> bool:
    return (
        bool(_models)
        and run_of(instance) is not None
        and not quiet.get()
        and _options.current().log_post_training_metrics
    )


def guards_metric(instance: Any) -> bool:
    """While patched, metric functions run guarded: their helper fits (``LabelBinarizer`` in
    ``log_loss``) never log, and a remembered prediction among the arguments logs the value."""
    return not quiet.get() and _patch.is_installed()


# -- hooks --------------------------------------------------------------------------------------
def _run_and_dataset(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Run, str] | None:
    """The logged model's run and the name of the data a predict/score call is given, if both."""
    run = run_of(instance)
    x = args[0] if args else kwargs.get("X")
    if run is None or x is None:
        return None
    name = _dataset_name(run.run_id, x)
    return None if name is None else (run, name)


class PredictHooks:
    """Around ``predict``-like methods of a logged model: remember the result."""

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _run_and_dataset(instance, args, kwargs)

    def after(self, state: Any, result: Any) -> None:
        run, name = state
        _remember_prediction(result, run, name)

    def error(self, state: Any, exc: BaseException) -> None:
        pass


class ScoreHooks:
    """Around ``score`` of a logged model: log ``<EstimatorClass>_score_<dataset>``."""

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        target = _run_and_dataset(instance, args, kwargs)
        return None if target is None else (target[0], f"{type(instance).__name__}_score", target[1])

    def after(self, state: Any, result: Any) -> None:
        run, prefix, dataset = state
        _log(run, prefix, dataset, result)

    def error(self, state: Any, exc: BaseException) -> None:
        pass


class MetricHooks:
    """Around a ``sklearn.metrics`` function: log it when an argument is a remembered prediction."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        for value in (*args, *kwargs.values()):
            entry = _predictions.get(id(value))
            if entry is not None and entry[0]() is value:
                if called_by_sklearn():
                    return None
                return entry[1], entry[2]
        return None

    def after(self, state: Any, result: Any) -> None:
        run, dataset = state
        _log(run, self.function_name, dataset, result)

    def error(self, state: Any, exc: BaseException) -> None:
        pass


def is_metric_function(name: str, value: Any) -> bool:
    import inspect

    if name.startswith("_") or not (inspect.isfunction(value) or hasattr(value, "__wrapped__")):
        return False
    return name.endswith(_METRIC_SUFFIXES) or name in _METRIC_EXTRA


# -- internals ----------------------------------------------------------------------------------
def _remember_prediction(result: Any, run: Run, dataset: str) -> None:
    key = id(result)
    try:
        ref: Callable[[], Any] = weakref.ref(result)  # no callback: see remember_model
    except TypeError:  # lists, tuples: hold them (the table is small and bounded)
        ref = functools.partial(_identity, result)
    with _lock:
        _predictions[key] = (ref, run, dataset)
        _predictions.move_to_end(key)
        while len(_predictions) > MAX_PREDICTIONS:
            _predictions.popitem(last=False)


def _log(run: Run, base: str, dataset: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(getattr(value, "real", None), (int, float)):
        try:
            if getattr(value, "ndim", None) != 0:
                return
            value = value.item()
        except (AttributeError, ValueError, TypeError):
            return
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    run_id = run.run_id
    with _lock:
        count = _calls.get((run_id, f"{base}_{dataset}"), 0) + 1
        _calls[(run_id, f"{base}_{dataset}")] = count
    key = f"{base}_{dataset}" if count == 1 else f"{base}-{count}_{dataset}"
    run.emit_late(Metric(run_id, key, number, 0, time.time()))


def _identity(value: Any) -> Any:
    return value


def _dataset_name(run_id: str, data: Any) -> str | None:
    """The caller's variable name for ``data`` made unique within the run; None if sklearn calls."""
    frame, _level = first_outside_frame(1)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    if module.startswith("sklearn."):
        return None
    name = None
    if frame is not None:
        for var, value in frame.f_locals.items():
            if value is data and not var.startswith("_"):
                name = var
                break
    name = name or FALLBACK_DATASET_NAME
    with _lock:
        per_run = _datasets.get(run_id)
        if per_run is None:
            per_run = _datasets[run_id] = {}
            while len(_datasets) > MAX_RUNS_TRACKED:
                _datasets.popitem(last=False)
        seen = per_run.setdefault(name, [])
        if id(data) not in seen:
            seen.append(id(data))
        index = seen.index(id(data))
    return name if index == 0 else f"{name}-{index + 1}"
