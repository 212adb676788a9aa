"""Models: native sklearn models MLflow loads, other flavors as directories, the model registry."""

from __future__ import annotations

import json
import os
import pickle
import uuid

import mlflow
import numpy as np
import pytest

from autolog.model_format import MODEL_META_FILE, load_model, read_model_meta, write_model_meta
from autolog.records import ModelRecord

sklearn = pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

COLUMNS = ["x0", "x1", "x2"]


@pytest.fixture(scope="module")
def fitted():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    return LogisticRegression().fit(X, y), X


def sklearn_model_dir(path, estimator, X, *, with_signature=True):
    """An autolog model directory as the sklearn integration writes it."""
    path.mkdir()
    with open(path / "model.pkl", "wb") as fh:
        pickle.dump(estimator, fh)
    signature = {
        "inputs": {"type": "columns", "columns": [{"name": c, "type": "double"} for c in COLUMNS]},
        "outputs": {"type": "tensors", "tensors": [{"name": "y", "dtype": "int64", "shape": [-1]}]},
    }
    example = {"columns": COLUMNS, "data": X[:3].tolist()}
    write_model_meta(
        str(path),
        flavor="sklearn",
        loader="autolog.integrations.sklearn.flavor:load",
        files={"model": "model.pkl"},
        signature=signature if with_signature else None,
        input_example=example,
        requirements=[f"scikit-learn=={sklearn.__version__}"],
        metadata={"estimator": "LogisticRegression"},
    )
    return ModelRecord(
        "", str(path), "model", "sklearn",
        signature if with_signature else None, example,
        (f"scikit-learn=={sklearn.__version__}",), {"estimator": "LogisticRegression"},
    )


def _has_sklearn_loader():
    try:
        from autolog.integrations.sklearn.flavor import load  # noqa: F401
    except ImportError:
        return False
    return True


def with_run(record, run_id, artifact_path="model"):
    return ModelRecord(run_id, record.local_path, artifact_path, record.flavor, record.signature,
                       record.input_example, record.requirements, record.metadata)


def test_sklearn_model_loads_with_mlflow_sklearn_and_pyfunc(driver, tracking_uri, fitted, tmp_path, client):
    import mlflow.pyfunc
    import mlflow.sklearn

    estimator, X = fitted
    run_id = driver.start("fit")
    driver.call("log_model", with_run(sklearn_model_dir(tmp_path / "staged", estimator, X), run_id))
    driver.end(run_id)
    mlflow_run_id = driver.mlflow_run(run_id).info.run_id
    uri = f"runs:/{mlflow_run_id}/model"

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        loaded = mlflow.sklearn.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
        pyfunc = mlflow.pyfunc.load_model(uri)
        frame = pd.DataFrame(X, columns=COLUMNS)
        np.testing.assert_array_equal(np.asarray(pyfunc.predict(frame)), estimator.predict(X))
        signature = pyfunc.metadata.get_input_schema()
        assert signature.input_names() == COLUMNS
        assert [t.name for t in signature.input_types()] == ["double"] * 3
    finally:
        mlflow.set_tracking_uri(previous)

    files = driver.artifacts(mlflow_run_id)
    assert {"model/MLmodel", "model/model.pkl", f"model/{MODEL_META_FILE}", "model/input_example.json"} <= files
    assert "model/autolog-model.pkl" not in files  # one pickle, shared by both formats
    local = client.download_artifacts(mlflow_run_id, "model", str(tmp_path / "download"))
    meta = read_model_meta(local)  # autolog's metadata travels with the model ...
    assert meta["flavor"] == "sklearn"
    with open(os.path.join(local, meta["files"]["model"]), "rb") as fh:  # ... and points at a real file
        np.testing.assert_array_equal(pickle.load(fh).predict(X), estimator.predict(X))
    if _has_sklearn_loader():
        np.testing.assert_array_equal(load_model(local).predict(X), estimator.predict(X))
    with open(os.path.join(local, "input_example.json")) as fh:
        assert json.load(fh)["columns"] == COLUMNS


def test_sklearn_model_without_signature_still_loads(driver, tracking_uri, fitted, tmp_path):
    import mlflow.sklearn

    estimator, X = fitted
    run_id = driver.start("fit")
    record = with_run(sklearn_model_dir(tmp_path / "staged", estimator, X, with_signature=False), run_id, "est")
    driver.call("log_model", record)
    driver.end(run_id)
    uri = f"runs:/{driver.mlflow_run(run_id).info.run_id}/est"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        np.testing.assert_array_equal(mlflow.sklearn.load_model(uri).predict(X), estimator.predict(X))
    finally:
        mlflow.set_tracking_uri(previous)


def test_other_flavors_are_logged_as_their_directory(driver, tmp_path):
    staged = tmp_path / "hf"
    (staged / "model").mkdir(parents=True)
    (staged / "model" / "config.json").write_text("{}")
    (staged / "model" / "model.safetensors").write_bytes(b"\0" * 16)
    write_model_meta(str(staged), flavor="custom", loader="my_package.flavor:load", files={"model": "model"})
    run_id = driver.start("train")
    driver.call("log_model", ModelRecord(run_id, str(staged), "model", "custom"))
    driver.end(run_id)
    assert driver.artifacts(driver.mlflow_run(run_id).info.run_id) == {
        f"model/{MODEL_META_FILE}",
        "model/model/config.json",
        "model/model/model.safetensors",
    }


def test_models_are_registered_as_new_versions_with_the_alias(make_driver, fitted, tmp_path, tracking_uri):

    name = f"churn-{uuid.uuid4().hex[:8]}"
    driver = make_driver(registered_model_name=name, registered_model_alias="champion")
    estimator, X = fitted
    staged = sklearn_model_dir(tmp_path / "staged", estimator, X)
    runs = []
    for _ in range(2):
        run_id = driver.start("fit")
        driver.call("log_model", with_run(staged, run_id))
        driver.end(run_id)
        runs.append(driver.mlflow_run(run_id).info.run_id)

    client = driver.client
    versions = sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    assert [(v.version, v.run_id) for v in versions] == [("1", runs[0]), ("2", runs[1])]
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert all(v.current_stage == "None" for v in versions)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        loaded = mlflow.sklearn.load_model(f"models:/{name}@champion")
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    finally:
        mlflow.set_tracking_uri(previous)


def test_retried_log_model_registers_one_version(make_driver, fitted, tmp_path):
    name = f"retry-{uuid.uuid4().hex[:8]}"
    driver = make_driver(registered_model_name=name, registered_model_alias="latest-good")
    estimator, X = fitted
    run_id = driver.start("fit")
    record = with_run(sklearn_model_dir(tmp_path / "staged", estimator, X), run_id)

    client = driver.backend._client
    real = client.set_registered_model_alias
    failures = iter([ConnectionError("network down")])

    def flaky(*args, **kwargs):
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return real(*args, **kwargs)

    client.set_registered_model_alias = flaky
    with pytest.raises(ConnectionError):
        driver.call("log_model", record)
    assert driver.backend.is_transient(ConnectionError("x"))
    driver.call("log_model", record)  # the dispatcher's retry of the same call
    driver.end(run_id)

    versions = driver.client.search_model_versions(f"name='{name}'")
    assert [v.version for v in versions] == ["1"]
    assert driver.client.get_model_version_by_alias(name, "latest-good").version == "1"


def test_model_input_and_signature_conversion():
    from autolog.backends.mlflow._models import to_input_example, to_signature

    warnings_seen = []
    tensors = {
        "type": "tensors",
        "tensors": [
            {"name": "input_ids", "dtype": "int64", "shape": [-1, -1]},
            {"name": "attention_mask", "dtype": "int64", "shape": [-1, -1]},
        ],
    }
    signature = to_signature({"inputs": tensors, "outputs": None}, warnings_seen.append)
    spec = signature.inputs.inputs[0]
    assert (spec.name, spec.type, spec.shape) == ("input_ids", np.dtype("int64"), (-1, -1))
    single = {"type": "tensors", "tensors": [{"name": "input", "dtype": "float32", "shape": [-1, 3]}]}
    assert to_signature({"inputs": single}, warnings_seen.append).inputs.inputs[0].name is None
    assert to_signature({"inputs": {"type": "mystery"}}, warnings_seen.append) is None
    assert len(warnings_seen) == 1

    example = to_input_example({"inputs": {"input_ids": [[1, 2], [3, 4]]}}, warnings_seen.append)
    assert example["input_ids"].shape == (2, 2)
    frame = to_input_example({"columns": ["a", "b"], "data": [[1, 2.5]]}, warnings_seen.append)
    assert list(frame.columns) == ["a", "b"] and frame.shape == (1, 2)
    rows = to_input_example({"columns": ["x0", "x1", "x2"], "data": [[1, 2, 3]]}, warnings_seen.append,
                            {"inputs": single})
    assert rows.dtype == np.float32 and rows.shape == (1, 3)


def test_sklearn_model_fitted_on_an_array_predicts_arrays_through_pyfunc(driver, tracking_uri, fitted, tmp_path):
    """autolog's signature for a numpy X is one tensor; pyfunc must take the array as it is."""
    import mlflow.pyfunc

    from autolog.signature import infer_signature, input_example

    estimator, X = fitted
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "model.pkl").write_bytes(pickle.dumps(estimator))
    signature, example = infer_signature(X, estimator.predict(X[:5])), input_example(X)
    write_model_meta(str(staged), flavor="sklearn", loader="autolog.integrations.sklearn.flavor:load",
                     files={"model": "model.pkl"}, signature=signature, input_example=example)
    run_id = driver.start("fit")
    driver.call("log_model", ModelRecord(run_id, str(staged), "model", "sklearn", signature, example))
    driver.end(run_id)

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        pyfunc = mlflow.pyfunc.load_model(f"runs:/{driver.mlflow_run(run_id).info.run_id}/model")
    finally:
        mlflow.set_tracking_uri(previous)
    assert pyfunc.metadata.get_input_schema().is_tensor_spec()
    np.testing.assert_array_equal(pyfunc.predict(X), estimator.predict(X))


def test_autolog_files_clashing_with_mlflow_files_are_renamed(tmp_path):
    from autolog.backends.mlflow._models import merge_autolog_files

    source, dest = tmp_path / "autolog", tmp_path / "mlflow"
    (source / "tokenizer").mkdir(parents=True)
    (source / "model.pkl").write_bytes(b"autolog")
    (source / "tokenizer" / "vocab.txt").write_text("a")
    write_model_meta(str(source), flavor="x", loader="m:f", files={"model": "model.pkl", "tok": "tokenizer/vocab.txt"})
    dest.mkdir()
    (dest / "model.pkl").write_bytes(b"mlflow")
    (dest / "MLmodel").write_text("flavors: {}")

    merge_autolog_files(str(source), str(dest))
    meta = read_model_meta(str(dest))
    assert meta["files"] == {"model": "autolog-model.pkl", "tok": "tokenizer/vocab.txt"}
    assert (dest / "autolog-model.pkl").read_bytes() == b"autolog"
    assert (dest / "model.pkl").read_bytes() == b"mlflow"
    assert (dest / "tokenizer" / "vocab.txt").read_text() == "a"
