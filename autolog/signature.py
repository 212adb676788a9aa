"""Model signatures and input examples in a portable, JSON-ready form.

A signature is ``{"inputs": spec, "outputs": spec}`` where ``spec`` is either

* ``{"type": "columns", "columns": [{"name": "x0", "type": "double"}, ...]}`` for tabular data
  (column types use MLflow's names: boolean, integer, long, float, double, string, binary,
  datetime), or
* ``{"type": "tensors", "tensors": [{"name": "input_ids", "dtype": "int64", "shape": [-1, -1]}]}``
  for arrays and tensors (``-1`` marks a variable dimension, the batch always).

Everything here is duck-typed: numpy, pandas, scipy and torch are never imported by this module;
it inspects objects the user already has. Only the first rows are ever touched, so the cost does
not grow with the data.
"""

from __future__ import annotations

from typing import Any

from autolog.sdk.policy import DTYPE_KINDS

_NUMPY_TO_COLUMN = DTYPE_KINDS


def column_type(dtype: Any) -> str:
    """MLflow's column type name for a numpy/pandas dtype."""
    name = str(getattr(dtype, "name", dtype))
    if name.startswith("datetime64"):
        return "datetime"
    if name.startswith(("<U", "str", "string", "category")):
        return "string"
    if name.startswith(("|S", "bytes")):
        return "binary"
    return _NUMPY_TO_COLUMN.get(name, "string")


def _is_dataframe(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "dtypes") and hasattr(data, "iloc")


def _is_sparse(data: Any) -> bool:
    return hasattr(data, "tocsr") and hasattr(data, "nnz")


def infer_spec(data: Any, name: str = "x") -> dict[str, Any] | None:
    """Describe ``data`` (a DataFrame, Series, 2-d/1-d array, sparse matrix, list or tensor)."""
    if data is None:
        return None
    if _is_dataframe(data):
        return {
            "type": "columns",
            "columns": [{"name": str(col), "type": column_type(dt)} for col, dt in data.dtypes.items()],
        }
    if hasattr(data, "dtype") and hasattr(data, "shape") and hasattr(data, "name") and getattr(data, "ndim", 0) == 1 and hasattr(data, "iloc"):
        return {"type": "columns", "columns": [{"name": str(data.name or name), "type": column_type(data.dtype)}]}
    if _is_sparse(data) or (hasattr(data, "dtype") and hasattr(data, "shape")):
        shape = [-1, *[int(d) for d in tuple(data.shape)[1:]]]
        dtype = str(getattr(data.dtype, "name", data.dtype)).replace("torch.", "")
        return {"type": "tensors", "tensors": [{"name": name, "dtype": dtype, "shape": shape}]}
    if isinstance(data, (list, tuple)) and data:
        first = data[0]
        width = len(first) if isinstance(first, (list, tuple)) else None
        kind = type(first[0] if width else first).__name__
        dtype = {"int": "int64", "float": "float64", "str": "str", "bool": "bool"}.get(kind, "object")
        return {"type": "tensors", "tensors": [{"name": name, "dtype": dtype, "shape": [-1] + ([width] if width else [])}]}
    return None


def infer_signature(inputs: Any, outputs: Any = None) -> dict[str, Any] | None:
    """``{"inputs": ..., "outputs": ...}`` for a model's input and output, or None if unknown."""
    spec_in = infer_spec(inputs, "input")
    if spec_in is None:
        return None
    return {"inputs": spec_in, "outputs": infer_spec(outputs, "output")}


def _plain(value: Any) -> Any:
    """A JSON-ready scalar from a numpy/pandas scalar."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def input_example(data: Any, rows: int = 5) -> dict[str, Any] | None:
    """The first ``rows`` rows of ``data`` as ``{"columns": [...], "data": [[...], ...]}``.

    Copies only those rows (never the whole data), into plain Python values.
    """
    if data is None or rows <= 0:
        return None
    if _is_dataframe(data):
        head = data.iloc[:rows]
        return {
            "columns": [str(c) for c in head.columns],
            "data": [[_plain(v) for v in row] for row in head.itertuples(index=False, name=None)],
        }
    if _is_sparse(data):
        data = data[:rows].toarray()
    elif hasattr(data, "iloc"):  # a Series
        return {"columns": [str(data.name or "x")], "data": [[_plain(v)] for v in data.iloc[:rows]]}
    if hasattr(data, "shape") and hasattr(data, "tolist"):
        head = data[:rows]
        if hasattr(head, "detach"):
            head = head.detach().cpu()
        values = head.tolist()
    elif isinstance(data, (list, tuple)):
        values = list(data[:rows])
    else:
        return None
    values = [[_plain(v) for v in row] if isinstance(row, (list, tuple)) else [_plain(row)] for row in values]
    width = len(values[0]) if values else 0
    return {"columns": [f"x{i}" for i in range(width)], "data": values}
