"""Every estimator of ``sklearn.utils.all_estimators()`` fits exactly as without autolog, and logs.

Each estimator that can be built with default arguments (``random_state=0`` where it has one)
is fitted on small synthetic data chosen by its kind, once with autolog disabled and once with
it on (``AUTOLOG_TESTING=1``: any internal error of autolog would surface as a different outcome).
Both fits must end alike: the same exception type, or the same predictions/transform/labels. An
estimator that cannot fit such data (multi-output, text, categorical input) fails identically
both ways and still gets its one FAILED run. Estimators whose plain fits are not repeatable are
recognised by fitting them plainly a second time.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from autolog.integrations.sklearn import _data
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils import all_estimators

import autolog


def make_data() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, size=(60, 4)) + 0.05
    classes = np.repeat([0, 1, 2], 20)
    x[:, 0] += classes * 0.5
    rng.shuffle(perm := np.arange(60))
    x, classes = x[perm], classes[perm]
    target = x @ np.array([1.5, -2.0, 0.5, 1.0]) + 0.05 * rng.normal(size=60)
    return {"classifier": (x, classes), "regressor": (x, target), "other": (x, classes)}


DATA = make_data()


def build(cls: type) -> Any:
    try:
        estimator = cls()
    except TypeError:
        return None  # needs arguments (meta-estimators): covered by their own tests
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=0)
    return estimator


def data_for(estimator: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        if is_classifier(estimator):
            return DATA["classifier"]
        if is_regressor(estimator):
            return DATA["regressor"]
    except Exception:
        pass
    return DATA["other"]


def outcome(estimator: Any) -> tuple[str, Any]:
    """``("error", type)`` or ``("ok", outputs)`` of fitting a clone of ``estimator``."""
    model = clone(estimator)
    x, y = data_for(model)
    first = _data.parameter_names(model, "fit")[:1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(y) if first == ("y",) else model.fit(x, y)
        except Exception as exc:
            return "error", type(exc)
        assert result is model or result is None or first == ("y",)
        return "ok", outputs(model, x, y)


def outputs(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    for method, arg in (("predict", x), ("transform", y if _data.parameter_names(model, "fit")[:1] == ("y",) else x)):
        if hasattr(model, method):
            try:
                value = getattr(model, method)(arg)
            except Exception as exc:
                return ("raised", type(exc))
            return np.asarray(value.toarray() if hasattr(value, "toarray") else value)
    labels = getattr(model, "labels_", None)
    return None if labels is None else np.asarray(labels)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-7, atol=1e-10, equal_nan=True))
        return bool(np.array_equal(a, b))
    return a == b


@pytest.mark.filterwarnings("ignore::FutureWarning")  # deprecated estimators are still estimators
def test_every_estimator_fits_as_without_autolog_and_logs_one_run(strict):
    from autolog.testing import MemoryBackend

    estimators = {name: build(cls) for name, cls in all_estimators()}
    estimators = {name: est for name, est in estimators.items() if est is not None}
    assert len(estimators) > 150

    autolog.autolog(disable=True)
    plain = {name: outcome(est) for name, est in estimators.items()}

    backend = MemoryBackend()
    autolog.autolog(backends=[backend])
    logged = {name: outcome(est) for name, est in estimators.items()}
    autolog.flush(120)

    differing = [name for name in estimators if plain[name][0] != logged[name][0] or not same(plain[name][1], logged[name][1])]
    if differing:  # not repeatable even without autolog?
        autolog.autolog(disable=True)
        again = {name: outcome(estimators[name]) for name in differing}
        differing = [n for n in differing if again[n][0] == plain[n][0] and same(again[n][1], plain[n][1])]
    assert differing == [], {n: (plain[n], logged[n]) for n in differing}

    top = [r for r in backend.runs.values() if r.start.parent_run_id is None]
    by_name: dict[str, list[Any]] = {}
    for run in top:
        by_name.setdefault(run.start.name, []).append(run)
    assert sorted(by_name) == sorted(estimators), set(by_name) ^ set(estimators)
    wrong = {
        name: [r.status for r in found]
        for name, found in by_name.items()
        if [r.status for r in found] != ["FINISHED" if logged[name][0] == "ok" else "FAILED"]
    }
    assert wrong == {}
    fitted = [name for name in estimators if logged[name][0] == "ok"]
    assert len(fitted) > 120
    with_model = [name for name in fitted if by_name[name][0].models]
    assert len(with_model) == len(fitted)
