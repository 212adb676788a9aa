"""Model-selection helpers: one run for a whole ``cross_validate`` (not one per fold).

``cross_validate``, ``cross_val_score``, ``cross_val_predict``, ``learning_curve``,
``validation_curve`` and ``permutation_test_score`` each log one run named after the function,
with the estimator's params and tags, the call's own options (``cross_validate_cv``, ...) and:

* ``cross_validate``: ``cv_<key>`` per fold (step = fold) and ``cv_<key>_mean``/``_std`` for
  every array it returns (``test_score``, ``train_score``, ``fit_time``, ...);
* ``cross_val_score``: the same for ``test_score``;
* ``learning_curve``: ``learning_curve_{train,test}_score_{mean,std}`` at step = training size;
* ``validation_curve``: ``validation_curve_{train,test}_score_{mean,std}`` at step = index in
  ``param_range``;
* ``permutation_test_score``: ``cv_score``, ``permutation_score_mean`` and ``pvalue``.

The functions are wrapped where they are defined (``sklearn.model_selection._validation``, so
that ``cross_val_score`` reaches the patched ``cross_validate`` even when the user imported it
before ``autolog.autolog()``) and wherever an imported ``sklearn.*`` module holds the same
function object (``sklearn.model_selection``, the module behind ``LearningCurveDisplay``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from autolog.integrations.sklearn import _options, _params

from autolog.sdk import interrupted_status, report_internal_error, start_autologged_run, status_for

if TYPE_CHECKING:
    from autolog.sdk import Patcher

FUNCTIONS = (
    "cross_validate",
    "cross_val_score",
    "cross_val_predict",
    "learning_curve",
    "validation_curve",
    "permutation_test_score",
)
#: Arguments that are data, not options, and are never logged as params.
_DATA_ARGUMENTS = {"estimator", "X", "y", "groups", "params", "fit_params", "param_name", "param_range"}
_POSITIONAL = ("estimator", "X", "y")


class FunctionHooks:
    """The hooks around one model-selection function."""

    def __init__(self, function: str) -> None:
        self.function = function

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        bound = dict(zip(_POSITIONAL, args))
        bound.update(kwargs)
        estimator = bound.get("estimator")
        options = _options.current()
        if estimator is None or not hasattr(estimator, "get_params") or options.excludes(type(estimator)):
            return None
        tags = dict(_params.tags(estimator), sklearn_function=self.function)
        try:
            params = _params.extract(estimator)
            for key, value in kwargs.items():
                if key not in _DATA_ARGUMENTS:
                    params[f"{self.function}_{key}"] = _params.truncate(_params.describe(value))
            if self.function == "validation_curve":
                for key in ("param_name", "param_range"):
                    if key in bound:
                        params[f"validation_curve_{key}"] = _params.truncate(_params.describe(bound[key]))
        except Exception as exc:  # noqa: BLE001 - log the run without its params
            report_internal_error(f"sklearn {self.function} params", exc)
            params = {}
        return start_autologged_run(self.function, tags=tags, params=params)

    def after(self, run: Any, result: Any) -> None:
        try:
            _log_result(run, self.function, result)
        except BaseException as exc:
            run.end(interrupted_status(exc))
            raise
        run.end()

    def error(self, run: Any, exc: BaseException) -> None:
        run.end(status_for(exc))


def _log_result(run: Any, function: str, result: Any) -> None:
    import numpy as np

    if function == "cross_validate":
        for key, values in result.items():
            _log_folds(run, f"cv_{key}", values)
    elif function == "cross_val_score":
        _log_folds(run, "cv_test_score", result)
    elif function == "learning_curve":
        sizes, train, test = result[0], result[1], result[2]
        for i, size in enumerate(np.asarray(sizes)):
            _log_summary(run, "learning_curve_train_score", train[i], int(size))
            _log_summary(run, "learning_curve_test_score", test[i], int(size))
    elif function == "validation_curve":
        train, test = result[0], result[1]
        for i in range(len(train)):
            _log_summary(run, "validation_curve_train_score", train[i], i)
            _log_summary(run, "validation_curve_test_score", test[i], i)
    elif function == "permutation_test_score":
        score, permutations, pvalue = result
        run.log_metrics({"cv_score": score, "pvalue": pvalue, "permutation_score_mean": float(np.mean(permutations))})


def _log_folds(run: Any, key: str, values: Any) -> None:
    import numpy as np

    array = np.asarray(values) if isinstance(values, (list, tuple)) or hasattr(values, "dtype") else None
    if array is None or array.ndim != 1 or array.dtype.kind not in "biuf" or not len(array):
        return
    for fold, value in enumerate(array):
        if np.isfinite(value):
            run.log_metrics({key: float(value)}, step=fold)
    _log_summary(run, key, array, 0)


def _log_summary(run: Any, key: str, values: Any, step: int) -> None:
    import numpy as np

    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if len(array):
        run.log_metrics({f"{key}_mean": float(array.mean()), f"{key}_std": float(array.std())}, step=step)


def patch_functions(patcher: Patcher, wrappers: dict[str, Any]) -> None:
    """Wrap the functions where defined and wherever an imported ``sklearn`` module holds them."""
    from autolog.integrations.sklearn._util import unwrapped

    validation = sys.modules.get("sklearn.model_selection._validation")
    if validation is None:
        return
    for name in FUNCTIONS:
        original = unwrapped(validation.__dict__.get(name))
        if original is None:
            continue
        for module_name, module in list(sys.modules.items()):
            if module is None or not module_name.startswith("sklearn"):
                continue
            try:
                held = vars(module).get(name)
            except TypeError:
                continue
            if held is original:
                patcher.wrap(module, name, wrappers[name])  # type: ignore[arg-type]
