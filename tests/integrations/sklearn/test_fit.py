"""What one fit records, and that the fit itself behaves exactly as without autolog."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import autolog
from autolog import AutologWarning, _plugins
from autolog.sdk import hookimpl


def test_fit_logs_params_tags_metrics_and_model(mem, binary_data):
    x, y = binary_data
    LogisticRegression(C=0.5, max_iter=200).fit(x, y)
    run = mem.the_run()
    assert run.status == "FINISHED"
    assert run.start.name == "LogisticRegression"
    assert run.params["C"] == "0.5" and run.params["max_iter"] == "200" and run.params["solver"] == "lbfgs"
    assert run.tags["estimator_name"] == "LogisticRegression"
    assert run.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    import sklearn

    assert run.tags["sklearn_version"] == sklearn.__version__
    assert {"training_accuracy_score", "training_f1_score", "training_log_loss", "training_roc_auc", "training_score"} <= set(run.latest())
    assert [m.artifact_path for m in run.models] == ["model"]
    assert run.models[0].flavor == "sklearn"


def test_fit_returns_the_same_object_and_identical_model(mem, binary_data):
    x, y = binary_data
    plain = LogisticRegression().fit(x, y)
    logged = LogisticRegression()
    assert logged.fit(x, y) is logged
    assert sorted(vars(plain)) == sorted(vars(logged))
    for key, value in vars(plain).items():
        np.testing.assert_array_equal(np.asarray(value, dtype=object), np.asarray(vars(logged)[key], dtype=object))
    np.testing.assert_array_equal(plain.predict_proba(x), logged.predict_proba(x))


def test_fit_that_raises_reraises_the_same_exception_and_fails_the_run(mem):
    bad = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError) as logged_error:
        LogisticRegression().fit(bad, [0, 1])
    autolog.autolog(disable=True)
    with pytest.raises(ValueError) as plain_error:
        LogisticRegression().fit(bad, [0, 1])
    assert str(logged_error.value) == str(plain_error.value)
    run = mem.the_run()
    assert run.status == "FAILED"
    assert run.params["C"] == "1.0"


def test_keyboard_interrupt_in_fit_kills_the_run(mem, binary_data):
    class Interrupted(BaseEstimator):
        def fit(self, x, y=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Interrupted().fit(*binary_data)
    assert mem.the_run().status == "KILLED"


def test_pipeline_fit_logs_one_run(mem, binary_data):
    x, y = binary_data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=2.0)).fit(x, y)
    run = mem.the_run()
    assert run.start.name == "Pipeline"
    assert run.params["logisticregression__C"] == "2.0"
    assert run.params["steps"] == "[('standardscaler', StandardScaler()), ('logisticregression', LogisticRegression(C=2.0))]"
    assert "training_accuracy_score" in run.latest()
    assert pipe.score(x, y) == run.latest()["training_score"]


def test_column_transformer_fit_logs_one_run(mem):
    frame = pd.DataFrame({"num": [1.0, 2.0, 3.0, 4.0], "cat": ["a", "b", "a", "c"]})
    ColumnTransformer([("num", StandardScaler(), ["num"]), ("cat", OneHotEncoder(), ["cat"])]).fit(frame)
    run = mem.the_run()
    assert run.start.name == "ColumnTransformer"
    assert "num__with_mean" in run.params
    signature = run.models[0].signature
    assert signature["inputs"]["columns"] == [{"name": "num", "type": "double"}, {"name": "cat", "type": "string"}]


def test_fit_transform_and_fit_predict_log_one_run_each(mem, binary_data):
    x, _ = binary_data
    transformed = StandardScaler().fit_transform(x)
    labels = KMeans(n_clusters=2, n_init=2, random_state=0).fit_predict(x)
    assert transformed.shape == x.shape and labels.shape == (len(x),)
    assert [r.start.name for r in mem.all_runs()] == ["StandardScaler", "KMeans"]


def test_partial_fit_logs_a_run_per_call_or_steps_inside_a_user_run(mem, binary_data):
    x, y = binary_data
    model = SGDClassifier(random_state=0)
    model.partial_fit(x[:60], y[:60], classes=[0, 1])
    assert len(mem.all_runs()) == 1
    with autolog.run(name="stream") as run:
        for start in (0, 40, 80):
            model.partial_fit(x[start : start + 40], y[start : start + 40])
    stream = [r for r in mem.all_runs() if r.start.run_id == run.run_id][0]
    assert [step for step, _ in stream.history("training_accuracy_score")] == [0, 1, 2]
    assert len(mem.all_runs()) == 2


def test_fit_inside_user_run_logs_into_it_and_leaves_it_open(mem, binary_data):
    with autolog.run(name="mine") as run:
        LogisticRegression().fit(*binary_data)
        assert autolog.active_run() is run and not run.ended
    only = mem.the_run()
    assert only.start.run_id == run.run_id
    assert only.params["C"] == "1.0" and "training_accuracy_score" in only.latest()
    assert only.status == "FINISHED"


@pytest.mark.filterwarnings("ignore:.*cannot be pickled")  # a class local to the test
def test_user_subclass_with_inherited_fit_logs(mem, binary_data):
    class MyModel(LogisticRegression):
        pass

    MyModel(C=3.0).fit(*binary_data)
    run = mem.the_run()
    assert run.start.name == "MyModel" and run.params["C"] == "3.0"


@pytest.mark.filterwarnings("ignore:.*cannot be pickled")  # a class local to the test
def test_user_estimator_defined_after_enable_logs_once_with_super_fit(mem, binary_data):
    class Wrapper(ClassifierMixin, BaseEstimator):
        def __init__(self, c=1.0):
            self.c = c

        def fit(self, x, y):
            self.inner_ = LogisticRegression(C=self.c).fit(x, y)
            self.classes_ = self.inner_.classes_
            return self

        def predict(self, x):
            return self.inner_.predict(x)

    Wrapper(c=0.3).fit(*binary_data)
    run = mem.the_run()
    assert run.start.name == "Wrapper" and run.params["c"] == "0.3"
    assert "training_accuracy_score" in run.latest()


def test_estimator_stays_picklable_and_clonable_after_fit(mem, binary_data):
    x, y = binary_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))
    assert clone(model).get_params()["logisticregression__C"] == 1.0
    assert pickle.loads(pickle.dumps(model.fit)).__self__ is not None  # bound patched method
    pickle.dumps(LogisticRegression.fit)


def test_unpicklable_model_warns_once_and_run_gets_the_rest(mem, binary_data):
    x, y = binary_data
    with pytest.warns(AutologWarning, match="cannot be pickled"):
        make_pipeline(FunctionTransformer(lambda v: v * 2), LogisticRegression()).fit(x, y)
        make_pipeline(FunctionTransformer(lambda v: v * 3), LogisticRegression()).fit(x, y)
    first, second = mem.all_runs()
    assert not first.models and not second.models
    assert "training_accuracy_score" in second.latest() and second.params["logisticregression__C"] == "1.0"
    assert first.status == second.status == "FINISHED"


def test_long_param_values_are_truncated(mem, binary_data):
    long_name = "x" * 400
    LogisticRegression(class_weight={0: 1.0, 1: 1.0}, solver="lbfgs").set_params(verbose=0).fit(*binary_data)
    FunctionTransformer(kw_args={"name": long_name}).fit(binary_data[0])
    _, transformer = mem.all_runs()
    assert "class_weight" in _.params
    value = transformer.params["kw_args"]
    assert value.endswith("...(truncated, 412 chars)") and len(value) < 300


def test_extract_params_hook_replaces_params(mem, binary_data):
    class Plugin:
        @hookimpl
        def autolog_extract_params(self, obj, integration):
            if integration == "sklearn" and isinstance(obj, LogisticRegression):
                return {"custom": obj.C * 2}
            return None

        @hookimpl
        def autolog_collect_tags(self, obj, integration):
            return {"team": "forecasting"}

    plugin = Plugin()
    _plugins.register(plugin, "test-sklearn-params")
    try:
        LogisticRegression(C=2.0).fit(*binary_data)
    finally:
        _plugins.plugin_manager().unregister(plugin)
    run = mem.the_run()
    assert run.params == {"custom": "4.0"}
    assert run.tags["team"] == "forecasting"


def test_exclude_by_class_and_name(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"exclude": [Pipeline, "KMeans"]})
    x, y = binary_data
    make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    KMeans(n_clusters=2, n_init=1).fit(x)
    LinearRegression().fit(x, y)
    autolog.flush()
    assert [r.start.name for r in backend.runs.values()] == ["LinearRegression"]


def test_options_are_read_at_call_time(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend])
    LogisticRegression().fit(*binary_data)
    autolog.autolog(backends=[backend], log_models=False, sklearn={"log_training_metrics": False, "log_plots": False})
    LogisticRegression().fit(*binary_data)
    autolog.flush()
    first, second = sorted(backend.runs.values(), key=lambda r: r.start.start_time)
    assert first.models and first.metrics and first.plots
    assert not second.models and not second.metrics and not second.plots and not second.artifacts
    assert second.params["C"] == "1.0"


def test_disable_option_turns_sklearn_off(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"disable": True})
    LogisticRegression().fit(*binary_data)
    autolog.flush()
    assert backend.runs == {}


def test_signature_and_input_example_come_from_the_first_rows(mem):
    frame = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50) % 3})
    LinearRegression().fit(frame, frame["a"] * 2)
    record = mem.the_run().models[0]
    assert record.signature["inputs"]["columns"] == [{"name": "a", "type": "double"}, {"name": "b", "type": "long"}]
    assert record.signature["outputs"]["tensors"][0]["shape"] == [-1]
    assert record.input_example == {"columns": ["a", "b"], "data": [[float(i), i % 3] for i in range(5)]}
    assert record.requirements[0].startswith("scikit-learn==")


def test_sparse_input_gets_a_tensor_signature(mem, binary_data):
    from scipy import sparse

    x, y = binary_data
    LogisticRegression().fit(sparse.csr_matrix(x), y)
    record = mem.the_run().models[0]
    assert record.signature["inputs"]["tensors"][0]["shape"] == [-1, 4]
    assert len(record.input_example["data"]) == 5


def test_transformer_signature_output_is_its_transform(mem, binary_data):
    PCA(n_components=2).fit(binary_data[0])
    record = mem.the_run().models[0]
    assert record.signature["outputs"]["tensors"][0]["shape"] == [-1, 2]


def test_exclusive_config_logs_nothing_inside_a_user_run(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], exclusive=True)
    with autolog.run(name="manual"):
        LogisticRegression().fit(*binary_data)
    autolog.flush()
    (run,) = backend.runs.values()
    assert run.params == {} and not run.metrics
