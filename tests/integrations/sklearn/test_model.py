"""The logged model: a snapshot of the fit, loadable, never a copy of the training data."""

from __future__ import annotations

import json
import os
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from autolog.integrations.sklearn.flavor import load
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog
from autolog.model_format import MODEL_META_FILE


def test_model_directory_loads_and_predicts_the_same(mem, binary_data):
    x, y = binary_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    run = mem.the_run()
    directory = run.files["model"]
    np.testing.assert_array_equal(load(directory).predict_proba(x), model.predict_proba(x))
    np.testing.assert_array_equal(autolog.load_model(directory).predict(x), model.predict(x))
    with open(os.path.join(directory, MODEL_META_FILE)) as fh:
        meta = json.load(fh)
    assert meta["flavor"] == "sklearn" and meta["loader"] == "autolog.integrations.sklearn.flavor:load"
    assert meta["files"] == {"model": "model.pkl"}
    assert meta["input_example"]["data"] == x[:5].tolist()


def test_logged_model_is_a_snapshot_taken_right_after_the_fit(mem, regression_data):
    x, y = regression_data
    model = SGDRegressor(max_iter=5, tol=None, random_state=0).fit(x, y)
    first = model.coef_.copy()
    model.partial_fit(x, y * 3)  # changes coef_ in place, after the first run was logged
    runs = mem.all_runs()
    np.testing.assert_array_equal(load(runs[0].files["model"]).coef_, first)
    np.testing.assert_array_equal(load(runs[1].files["model"]).coef_, model.coef_)


def test_load_model_by_run_uri_from_the_local_store(strict, tmp_path, binary_data):
    x, y = binary_data
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    autolog.autolog(tracking_dir=str(tmp_path))
    model = LogisticRegression(C=0.7).fit(frame, y)
    client = autolog.Client(str(tmp_path))
    (run,) = client.search_runs(None, "params.C = '0.7'")
    assert run.status == "FINISHED" and run.metrics["training_accuracy_score"] > 0.5
    loaded = autolog.load_model(f"runs:/{run.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    paths = {a.path for a in client.list_artifacts(run.run_id, "plots")}
    assert paths == {
        "plots/training_confusion_matrix.json",
        "plots/training_roc_curve.json",
        "plots/training_precision_recall_curve.json",
    }
    png = client.artifact_path(run.run_id, "plots/training_roc_curve.png")  # rendered on first read
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    client.close()


def test_training_data_is_never_copied(mem):
    x = np.random.default_rng(0).normal(size=(100_000, 40))  # 32 MB
    y = x[:, 0] * 2.0 + 1.0

    def peak_of_fit() -> int:
        tracemalloc.start()
        LinearRegression(copy_X=False).fit(x, y)
        autolog.flush()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    logged = peak_of_fit()
    autolog.autolog(disable=True)
    plain = peak_of_fit()
    assert logged - plain < x.nbytes / 4, (logged, plain)


def test_models_off_logs_no_model_but_everything_else(strict, binary_data):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], sklearn={"log_models": False})
    LogisticRegression().fit(*binary_data)
    autolog.flush()
    (run,) = backend.runs.values()
    assert not run.models and run.metrics and run.params and run.plots


@pytest.mark.parametrize("option", ["log_signatures", "log_input_examples"])
def test_signature_and_example_options(strict, binary_data, option):
    from autolog.testing import MemoryBackend

    backend = MemoryBackend()
    autolog.autolog(backends=[backend], **{option: False})
    LogisticRegression().fit(*binary_data)
    autolog.flush()
    (record,) = next(iter(backend.runs.values())).models
    field = "signature" if option == "log_signatures" else "input_example"
    assert getattr(record, field) is None
    other = "input_example" if field == "signature" else "signature"
    assert getattr(record, other) is not None
