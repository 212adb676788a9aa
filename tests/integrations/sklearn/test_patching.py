"""Patching: import order, speed, exact revert, descriptors and pickling of patched callables."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (clean import state); return its last stdout line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, "AUTOLOG_TESTING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_importing_autolog_and_the_integration_imports_neither_sklearn_nor_numpy():
    out = run_python(
        """
        import sys, autolog, autolog.integrations.sklearn
        from autolog import _plugins
        _plugins.plugin_manager()
        print(sorted(m for m in ("sklearn", "numpy", "scipy", "matplotlib") if m in sys.modules))
        """
    )
    assert out == "[]"


def test_sklearn_imported_after_enable_is_patched_including_later_submodules():
    out = run_python(
        """
        import autolog
        from autolog.testing import MemoryBackend
        mem = MemoryBackend()
        autolog.autolog(backends=[mem])
        import sklearn
        from autolog.integrations.sklearn import _patch
        at_import = _patch.installation.seconds
        import numpy as np
        from sklearn.ensemble import RandomForestClassifier   # defined after the patch ran
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingGridSearchCV
        x = np.random.default_rng(0).normal(size=(60, 3)); y = (x[:, 0] > 0).astype(int)
        RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
        HalvingGridSearchCV(RandomForestClassifier(n_estimators=3, random_state=0), {"max_depth": [1, 2]}, cv=2).fit(x, y)
        autolog.flush()
        names = sorted(r.start.name for r in mem.runs.values() if r.start.parent_run_id is None)
        print(names, at_import < 0.05)
        """
    )
    assert out == "['HalvingGridSearchCV', 'RandomForestClassifier'] True"


def test_patching_every_estimator_takes_milliseconds():
    out = run_python(
        """
        import time, json
        from sklearn.utils import all_estimators
        all_estimators()
        import autolog
        from autolog.testing import MemoryBackend
        started = time.perf_counter()
        autolog.autolog(backends=[MemoryBackend()])
        total = time.perf_counter() - started
        from autolog.integrations.sklearn import _patch
        print(json.dumps({"patch": _patch.installation.seconds, "enable": total,
                          "wrapped": len(_patch.installation.patcher.patched)}))
        """
    )
    timing = json.loads(out)
    assert timing["wrapped"] > 300
    assert timing["patch"] < 0.25, timing


def test_disable_leaves_no_trace_on_any_class():
    out = run_python(
        """
        import sys, types
        import numpy as np
        import sklearn, joblib
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
        from sklearn.pipeline import make_pipeline
        from sklearn.model_selection import GridSearchCV, cross_val_score
        import sklearn.metrics
        from autolog.sdk.patching import AutologWrapper as _AutologWrapper

        def namespaces():
            found = {}
            for name, module in list(sys.modules.items()):
                if not name.startswith(("sklearn", "joblib")) or module is None:
                    continue
                found[("module", name)] = module
                for value in list(vars(module).values()):
                    if isinstance(value, type) and value.__module__.startswith(("sklearn", "joblib")):
                        found[("class", value.__module__, value.__qualname__)] = value
            return found

        def snapshot():
            return {key: dict(vars(obj)) for key, obj in namespaces().items()}

        def wrappers():
            bad = []
            for key, obj in namespaces().items():
                for attr, value in vars(obj).items():
                    inner = value
                    for _ in range(5):  # look inside other wrappers (set_output's) too
                        if isinstance(inner, _AutologWrapper):
                            bad.append((key, attr))
                            break
                        inner = getattr(inner, "__wrapped__", None)
                        if inner is None:
                            break
            return bad

        before = snapshot()
        import autolog
        from autolog.testing import MemoryBackend
        autolog.autolog(backends=[MemoryBackend()])
        assert wrappers(), "nothing was patched"
        x = np.random.default_rng(0).normal(size=(40, 3)); y = (x[:, 0] > 0).astype(int)
        GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), {"logisticregression__C": [1, 2]}, cv=2).fit(x, y)
        cross_val_score(LogisticRegression(), x, y, cv=2)
        sklearn.metrics.accuracy_score(y, LogisticRegression().fit(x, y).predict(x))
        from sklearn.ensemble import RandomForestClassifier      # classes created while patched
        from sklearn.decomposition import NMF
        from sklearn.base import BaseEstimator, TransformerMixin
        class Mine(TransformerMixin, BaseEstimator):
            def fit(self, x, y=None): return self
            def transform(self, x): return x
        Mine().fit_transform(x)
        autolog.autolog(disable=True)
        after = snapshot()
        # an attribute that was there before must be the very same object (``__slotnames__`` is
        # pickle's own cache, filled when the model was pickled; new modules add attributes)
        changed = [
            (key, attr)
            for key, attrs in before.items()
            for attr, value in attrs.items()
            if attr != "__slotnames__" and after.get(key, {}).get(attr, "missing") is not value
        ]
        leftovers = wrappers() + [(a, k) for k, v in vars(Mine).items() if isinstance(v, _AutologWrapper) for a in ["Mine"]]
        print(changed, leftovers)
        """
    )
    assert out == "[] []"


def test_reenabling_after_disable_logs_again(strict, binary_data):
    from autolog.testing import MemoryBackend

    first, second = MemoryBackend(), MemoryBackend()
    autolog.autolog(backends=[first])
    LogisticRegression().fit(*binary_data)
    autolog.autolog(disable=True)
    LogisticRegression().fit(*binary_data)
    autolog.autolog(backends=[second])
    LogisticRegression().fit(*binary_data)
    autolog.autolog(backends=[second])  # reconfiguring never patches twice
    LogisticRegression().fit(*binary_data)
    autolog.flush()
    assert len(first.runs) == 1 and len(second.runs) == 2


def test_available_if_methods_keep_hasattr_semantics(mem):
    from sklearn.cluster import KMeans

    pipelines = [
        Pipeline([("scale", StandardScaler()), ("model", model)])
        for model in (LinearRegression(), LogisticRegression(), KMeans(n_init=1), StandardScaler())
    ]
    methods = ("predict_proba", "decision_function", "fit_predict", "fit_transform", "predict", "score", "partial_fit")

    def available() -> list[tuple[bool, ...]]:
        return [tuple(hasattr(pipe, name) for name in methods) for pipe in pipelines]

    patched = available()
    with pytest.raises(AttributeError):
        pipelines[0].predict_proba  # noqa: B018
    autolog.autolog(disable=True)
    assert patched == available()
    assert {True, False} <= {flag for row in patched for flag in row}


def test_patched_functions_and_scorers_stay_picklable(mem, binary_data):
    import sklearn.metrics
    from sklearn.metrics import get_scorer, make_scorer

    assert pickle.loads(pickle.dumps(get_scorer("accuracy")))._score_func is not None
    scorer = pickle.loads(pickle.dumps(make_scorer(sklearn.metrics.f1_score)))
    x, y = binary_data
    model = LogisticRegression().fit(x, y)
    assert scorer(model, x, y) == sklearn.metrics.f1_score(y, model.predict(x))
    import copy

    from sklearn.model_selection import cross_validate

    assert pickle.loads(pickle.dumps(cross_validate)) is not None
    assert copy.deepcopy(model.predict).__self__ is not model


def test_loky_workers_get_picklable_bound_methods(mem, binary_data):
    from joblib import Parallel, delayed

    x, y = binary_data
    models = [LogisticRegression(C=c) for c in (0.5, 1.0)]
    fitted = Parallel(n_jobs=2)(delayed(m.fit)(x, y) for m in models)
    assert [f.C for f in fitted] == [0.5, 1.0]
    assert np.all(fitted[0].predict(x) == LogisticRegression(C=0.5).fit(x, y).predict(x))


def test_pipeline_steps_fitting_inside_a_logged_fit_do_not_log(mem, binary_data):
    make_pipeline(StandardScaler(), make_pipeline(StandardScaler(), LogisticRegression())).fit(*binary_data)
    assert [r.start.name for r in mem.all_runs()] == ["Pipeline"]


def test_helper_fits_inside_sklearn_functions_do_not_log(mem, binary_data):
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_class_weight

    x, y = binary_data
    compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    log_loss(y, np.full((len(y), 2), 0.5))
    assert mem.all_runs() == []
