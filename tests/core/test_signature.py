"""Signatures and input examples from numpy, pandas, scipy sparse and plain lists."""

from __future__ import annotations

import json

import pytest

from autolog.signature import infer_signature, input_example

np = pytest.importorskip("numpy")


def test_numpy_matrix_gives_a_tensor_signature_with_a_variable_batch():
    X = np.zeros((100, 20), dtype=np.float32)
    signature = infer_signature(X, np.zeros(100, dtype=np.int64))
    assert signature == {
        "inputs": {"type": "tensors", "tensors": [{"name": "input", "dtype": "float32", "shape": [-1, 20]}]},
        "outputs": {"type": "tensors", "tensors": [{"name": "output", "dtype": "int64", "shape": [-1]}]},
    }


def test_dataframe_gives_columns_with_mlflow_type_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({
        "age": np.array([30, 40], dtype=np.int64), "score": [0.5, 0.7], "city": ["a", "b"],
        "flag": [True, False], "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    })
    columns = infer_signature(frame)["inputs"]["columns"]
    assert [(c["name"], c["type"]) for c in columns] == [
        ("age", "long"), ("score", "double"), ("city", "string"), ("flag", "boolean"), ("when", "datetime"),
    ]


def test_input_example_copies_only_the_first_rows_as_plain_json():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": np.arange(1000), "y": np.linspace(0, 1, 1000)})
    example = input_example(frame, rows=3)
    assert example["columns"] == ["x", "y"]
    assert example["data"] == [[0, 0.0], [1, 1 / 999], [2, 2 / 999]]
    json.dumps(example)  # nothing numpy-typed left
    assert input_example(np.ones((50, 2)), rows=2) == {"columns": ["x0", "x1"], "data": [[1.0, 1.0], [1.0, 1.0]]}


def test_sparse_input_keeps_its_width_and_example_is_dense():
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.random(30, 6, density=0.2, format="csr", random_state=0)
    assert infer_signature(X)["inputs"]["tensors"][0]["shape"] == [-1, 6]
    example = input_example(X, rows=2)
    assert len(example["data"]) == 2 and len(example["data"][0]) == 6


def test_unknown_input_gives_no_signature():
    assert infer_signature(object()) is None
    assert input_example(None) is None
