"""Hyperparameter searches: GridSearchCV, RandomizedSearchCV and the Halving searches.

The search's own run (the parent) gets, besides what every fit gets, ``best_<param>`` params,
the ``best_cv_score`` metric, the best estimator as a second model (``best_estimator``) and the
whole ``cv_results_`` as ``cv_results.csv``. The ``max_tuning_runs`` best candidates (by
``rank_test_score``; ``None`` for all) become child runs, ended FINISHED, each with the base
estimator's params as that candidate set them and every numeric ``cv_results_`` column of its
row as a metric (``mean_test_score``, ``std_test_score``, ``rank_test_score``, ...).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.integrations.sklearn import _params

from autolog.sdk import AutologgedRun as Run
from autolog.sdk import start_autologged_run

if TYPE_CHECKING:
    from autolog.integrations.sklearn._options import Options


def is_search(estimator: Any) -> bool:
    """True for a fitted hyperparameter search (anything built on ``BaseSearchCV``)."""
    import sys

    search = sys.modules.get("sklearn.model_selection._search")
    base = getattr(search, "BaseSearchCV", None)
    return base is not None and isinstance(estimator, base) and hasattr(estimator, "cv_results_")


def log_search(run: Run, search: Any, options: Options) -> dict[str, Any]:
    """Caller's thread: best params and score, child runs. Returns a copy of ``cv_results_``."""
    best = getattr(search, "best_params_", None)
    if best:
        run.log_params({f"best_{key}": _params.truncate(_params.describe(value)) for key, value in best.items()})
    best_score = getattr(search, "best_score_", None)
    if best_score is not None:
        run.log_metrics({"best_cv_score": best_score})
    results = dict(search.cv_results_)  # a new dict each fit: its arrays are never changed afterwards
    _log_children(run, search, results, options.max_tuning_runs)
    return results


def _rank_key(search: Any, results: Mapping[str, Any]) -> str | None:
    refit = getattr(search, "refit", True)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    if "rank_test_score" in results:
        return "rank_test_score"
    return next((key for key in results if key.startswith("rank_test_")), None)


def _log_children(parent: Run, search: Any, results: Mapping[str, Any], limit: int | None) -> None:
    import numpy as np

    key = _rank_key(search, results)
    candidates = results.get("params") or []
    if key is None or not candidates or (limit is not None and limit <= 0):
        return
    ranks = np.asarray(results[key])
    order = np.argsort(ranks, kind="stable")
    if limit is not None:
        order = order[:limit]
    base = getattr(search, "estimator", None)
    tags = _params.tags(base) if base is not None else {}
    numeric = {
        name: np.asarray(values)
        for name, values in results.items()
        if not name.startswith("param") and getattr(np.asarray(values), "dtype", None) is not None
        and np.asarray(values).dtype.kind in "biuf"
    }
    for index in order:
        index = int(index)
        child = start_autologged_run(
            f"{type(base).__name__ if base is not None else 'candidate'}-{index}",
            parent=parent,
            tags=dict(tags, candidate_index=str(index), **{key: str(ranks[index])}),
            params=_candidate_params(base, candidates[index]),
            activate=False,
        )
        if child is None:
            continue
        try:
            child.log_metrics(
                {name: float(values[index]) for name, values in numeric.items() if np.isfinite(values[index])}
            )
        finally:
            child.end()


def _candidate_params(base: Any, candidate: Mapping[str, Any]) -> dict[str, str]:
    """The base estimator's params as this candidate set them (the candidate's alone if not)."""
    if base is not None:
        try:
            from sklearn.base import clone

            return _params.extract(clone(base).set_params(**candidate))
        except Exception:  # noqa: BLE001 - e.g. a param grid that swaps whole steps oddly
            pass
    return {str(k): _params.truncate(_params.describe(v)) for k, v in candidate.items()}


def write_cv_results(run: Run, results: Mapping[str, Any]) -> None:
    """Background thread: ``cv_results_`` as a CSV artifact ``cv_results.csv``."""
    import numpy as np

    handle, path = tempfile.mkstemp(prefix="autolog-cv-results-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            columns = list(results)
            writer.writerow(columns)
            arrays = [results[name] for name in columns]
            rows = len(arrays[0]) if arrays else 0
            for i in range(rows):
                writer.writerow([_cell(column, i, np) for column in arrays])
    except BaseException:
        os.remove(path)
        raise
    run.log_artifact(path, "cv_results.csv", staged=True)


def _cell(column: Any, i: int, np: Any) -> Any:
    mask = getattr(column, "mask", None)
    if mask is not None and np.ndim(mask) and mask[i]:
        return ""
    value = column[i]
    if isinstance(value, dict):
        return _params.describe(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    return _params.describe(value) if not isinstance(value, (int, float, str)) else value
