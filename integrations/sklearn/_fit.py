"""What happens around one logged ``fit``/``fit_transform``/``fit_predict``/``partial_fit``.

Before the call (caller's thread): open the run (or use the active one), log params and tags.
After it (caller's thread): predictions for the training metrics, search results and child runs,
the pickled model, signature and input example of the first rows; then the metrics, the model
record, ``cv_results.csv`` and the plot data are finished: on the caller when that is cheap (the
numpy fast path, a small model: about 0.5 ms, see :func:`_cheap`), else in one deferred task on
autolog's background thread, with the run's end queued behind it.
On an exception the run ends FAILED (KILLED for Ctrl-C) and the exception reaches the user
unchanged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from autolog.integrations.sklearn import (
    _data,
    _instrument,
    _metrics,
    _options,
    _params,
    _plots,
    _post_training,
    _search,
    flavor,
)
from autolog.integrations.sklearn._util import quiet

from autolog.sdk import (
    AutologgedRun,
    infer_signature,
    input_example,
    interrupted_status,
    report_internal_error,
    start_autologged_run,
    status_for,
)


@dataclass
class FitState:
    run: AutologgedRun
    estimator: Any
    x: Any
    y: Any
    sample_weight: Any
    options: _options.Options


class FitHooks:
    """The hooks of one fit-like method (``method`` names it)."""

    def __init__(self, method: str) -> None:
        self.method = method

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> FitState | None:
        from sklearn.base import BaseEstimator

        if not isinstance(instance, BaseEstimator):
            return None
        options = _options.current()
        if options.excludes(type(instance)) and not _instrument.is_instrumented(instance):
            return None  # nothing is logged, and nested fits stay quiet too
        x, y, sample_weight = _data.fit_arguments(instance, self.method, args, kwargs)
        try:
            params = _params.extract(instance)
        except Exception as exc:  # noqa: BLE001 - log the run without its params
            report_internal_error("sklearn params", exc)
            params = {}
        run = start_autologged_run(type(instance).__name__, tags=_params.tags(instance), params=params)
        if run is None:
            return None
        return FitState(run, instance, x, y, sample_weight, options)

    def after(self, state: FitState, result: Any) -> None:
        try:
            log_fitted(state, self.method, result)
        except BaseException as exc:
            state.run.end(interrupted_status(exc))
            raise
        state.run.end()  # only a run this call opened

    def error(self, state: FitState, exc: BaseException) -> None:
        state.run.end(status_for(exc))


def log_fitted(state: FitState, method: str, result: Any) -> None:
    """Everything logged after a successful fit (caller's part, then one deferred task)."""
    run, estimator, options = state.run, state.estimator, state.options
    snap = None
    if options.log_training_metrics or options.log_plots:
        snap = _metrics.snapshot(estimator, method, state.x, state.y, state.sample_weight, result, options)
    step = _partial_fit_step(run, estimator) if method == "partial_fit" and not run.owned else 0
    cv_results = None
    if _search.is_search(estimator):
        cv_results = _search.log_search(run, estimator, options)
    blob = signature = example = None
    if options.log_models:
        blob = flavor.snapshot(estimator)
        if blob is not None:
            head = _data.head(state.x)
            if options.log_signatures:
                signature = _signature(estimator, head, snap, method, result)
            if options.log_input_examples:
                example = _safe_example(head)
    _post_training.remember_model(estimator, run)
    if snap is None and blob is None and cv_results is None:
        return
    search = cv_results is not None
    metadata = {"estimator_class": f"{type(estimator).__module__}.{type(estimator).__qualname__}"}

    def finish(run: AutologgedRun) -> None:
        token = quiet.set(True)
        try:
            _finish(run)
        finally:
            quiet.reset(token)

    def _finish(run: AutologgedRun) -> None:  # each part on its own: one failing loses nothing else
        if snap is not None and options.log_training_metrics:
            _isolated("training metrics", lambda: run.log_metrics(_metrics.compute(snap), step=step))
        if blob is not None:
            _isolated("model", lambda: flavor.log(run, blob, "model", signature=signature, input_example=example, metadata=metadata))
            if search:
                _isolated("best estimator", lambda: _log_best_estimator(run, blob, signature, example))
        if cv_results is not None:
            _isolated("cv_results.csv", lambda: _search.write_cv_results(run, cv_results))
        if snap is not None and options.log_plots and _plots.wanted(snap):
            _isolated("plots", lambda: _plots.log(run, snap))

    if _cheap(snap, blob, cv_results):
        finish(run)  # about half a millisecond: less than a background thread costs in GIL hand-offs
    else:
        run.defer("sklearn autologging", finish)


#: A model pickle up to this size is finished on the caller's thread (see :func:`_cheap`).
INLINE_MODEL_BYTES = 1 << 20


def _cheap(snap: Any, blob: bytes | None, cv_results: Any) -> bool:
    """Whether the rest of a fit's logging costs less on the caller than on the background thread.

    On two cores a background thread is not free: while it runs Python, every numpy call of the
    training loop that releases the GIL waits to get it back. With the numpy fast path for metrics
    and plot data, finishing a small model's run costs about 0.5 ms, less than those hand-offs;
    searches (``cv_results.csv``), large models and scikit-learn's slower metrics go to the
    background.
    """
    from autolog.integrations.sklearn import _fast

    if cv_results is not None or (blob is not None and len(blob) > INLINE_MODEL_BYTES):
        return False
    return snap is None or _fast.supported()


def _isolated(what: str, task: Any) -> None:
    try:
        task()
    except Exception as exc:  # noqa: BLE001
        report_internal_error(f"sklearn {what}", exc)


def _log_best_estimator(run: AutologgedRun, blob: bytes, signature: Any, example: Any) -> None:
    """The search's best estimator as its own model, taken from the search's snapshot."""
    import pickle

    best = getattr(pickle.loads(blob), "best_estimator_", None)
    if best is None:
        return
    best_blob = flavor.snapshot(best)
    if best_blob is not None:
        metadata = {"estimator_class": f"{type(best).__module__}.{type(best).__qualname__}"}
        flavor.log(run, best_blob, "best_estimator", signature=signature, input_example=example, metadata=metadata)


def _signature(estimator: Any, head: Any, snap: Any, method: str, result: Any) -> Any:
    """Input and output spec from the first rows (output: predictions, labels or transform)."""
    if head is None:
        return None
    rows = _data.num_rows(head) or 0
    output = None
    if snap is not None and snap.y_pred is not None:
        output = snap.y_pred[:rows]
    elif method == "fit_predict" and result is not None:
        output = _data.head(result, rows)
    else:
        for name in ("predict", "transform"):
            func = _method(estimator, name)
            if func is not None:
                try:
                    output = func(head)
                    break
                except Exception:  # noqa: BLE001 - some models cannot score five rows; no output spec
                    output = None
        else:  # a clusterer that only labels its training rows
            output = _data.head(getattr(estimator, "labels_", None), rows)
    try:
        return infer_signature(head, output)
    except Exception:  # noqa: BLE001
        return infer_signature(head, None)


def _safe_example(head: Any) -> Any:
    try:
        return input_example(head, _data.EXAMPLE_ROWS)
    except Exception:  # noqa: BLE001 - an exotic container: no example
        return None


def _method(estimator: Any, name: str) -> Any:
    try:
        func = getattr(estimator, name, None)
    except Exception:  # noqa: BLE001
        return None
    return func if callable(func) else None


_steps_lock = threading.Lock()
#: run id -> estimator id -> last step (the most recent runs only: no weakref callbacks, which
#: would run inside the user's code when a run is freed)
_steps: OrderedDict[str, dict[int, int]] = OrderedDict()
MAX_STEP_RUNS = 1000


def _partial_fit_step(run: AutologgedRun, estimator: Any) -> int:
    """In a run opened by the user, successive ``partial_fit`` calls log at steps 0, 1, 2..."""
    with _steps_lock:
        per_run = _steps.setdefault(run.run_id, {})
        _steps.move_to_end(run.run_id)
        while len(_steps) > MAX_STEP_RUNS:
            _steps.popitem(last=False)
        step = per_run.get(id(estimator), -1) + 1
        per_run[id(estimator)] = step
    return step
