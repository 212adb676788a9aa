"""A fit call's data, read cheaply: which argument is X, y and sample_weight, and a few rows.

Nothing here copies the training data. ``head`` slices the first rows (views where the type
allows); ``private_copy`` is for labels, weights and predictions (one value per row), which the
background thread reads after the caller may have changed its own arrays; ``sample_rows`` copies
at most :data:`SAMPLE_ROWS` rows, seeded, for the silhouette score.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

#: Rows kept as the input example (and used for the signature).
EXAMPLE_ROWS = 5
#: Rows sampled for metrics that cost more than linear time (silhouette).
SAMPLE_ROWS = 1000
#: Sparse formats that slice rows without converting the whole matrix.
_SLICEABLE_SPARSE = ("csr", "csc", "lil", "dok")

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_names_cache: weakref.WeakKeyDictionary[type, dict[str, tuple[str, ...]]] = weakref.WeakKeyDictionary()


def fit_arguments(estimator: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """``(X, y, sample_weight)`` of a call ``estimator.<method>(*args, **kwargs)``.

    Binds by the method's own parameter names, so ``LabelEncoder.fit(y)`` gives ``X=None``.
    """
    names = parameter_names(estimator, method)
    bound = dict(kwargs)
    for name, value in zip(names, args):
        bound.setdefault(name, value)
    first = names[0] if names else "X"
    x = None if first in ("y", "Y") else bound.get(first)
    if x is None and first != "X":
        x = bound.get("X")
    y = bound.get("y", bound.get("Y"))
    return x, y, bound.get("sample_weight")


def parameter_names(estimator: Any, method: str) -> tuple[str, ...]:
    """Names of the positional parameters of ``estimator.<method>`` (cached per class)."""
    cls = type(estimator)
    try:
        per_class = _names_cache[cls]
    except (KeyError, TypeError):
        per_class = {}
        try:
            _names_cache[cls] = per_class
        except TypeError:
            pass
    names = per_class.get(method)
    if names is None:
        try:
            signature = inspect.signature(getattr(estimator, method))
            names = tuple(p.name for p in signature.parameters.values() if p.kind in _POSITIONAL)
        except (TypeError, ValueError, AttributeError):
            names = ("X", "y")
        per_class[method] = names
    return names


def accepts(estimator: Any, method: str, parameter: str) -> bool:
    """Whether ``estimator.<method>`` takes a keyword ``parameter``."""
    try:
        signature = inspect.signature(getattr(estimator, method))
    except (TypeError, ValueError, AttributeError):
        return False
    params = signature.parameters
    return parameter in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def is_sparse(data: Any) -> bool:
    return hasattr(data, "tocsr") and hasattr(data, "nnz")


def num_rows(data: Any) -> int | None:
    shape = getattr(data, "shape", None)
    if shape:
        return int(shape[0])
    try:
        return len(data)
    except TypeError:
        return None


def head(data: Any, rows: int = EXAMPLE_ROWS) -> Any:
    """The first ``rows`` rows of ``data`` (DataFrame, array, sparse matrix, list), or None."""
    if data is None:
        return None
    try:
        if hasattr(data, "iloc"):
            return data.iloc[:rows]
        if is_sparse(data):
            return data[:rows] if getattr(data, "format", None) in _SLICEABLE_SPARSE else None
        if hasattr(data, "shape") and hasattr(data, "__getitem__"):
            return data[:rows] if len(data.shape) else None
        if isinstance(data, (list, tuple)):
            return data[:rows]
    except Exception:  # noqa: BLE001 - an exotic container: no example, nothing else lost
        return None
    return None


def private_copy(data: Any) -> Any:
    """A numpy copy of one-value-per-row data (labels, weights, predictions), or None."""
    if data is None:
        return None
    import numpy as np

    if isinstance(data, list) and data and isinstance(data[0], np.ndarray):
        return [np.array(part, copy=True) for part in data]  # multi-output predict_proba
    return np.array(data, copy=True)


def sample_rows(data: Any, limit: int = SAMPLE_ROWS, seed: int = 0) -> tuple[Any, Any] | None:
    """``(rows, index)``: at most ``limit`` rows of ``data``, copied; seeded, so repeatable.

    ``index`` is None when every row was taken. None for data that cannot be indexed by rows
    without converting all of it.
    """
    import numpy as np

    n = num_rows(data)
    if not n:
        return None
    index = None
    if n > limit:
        index = np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
    if hasattr(data, "iloc"):
        part = data if index is None else data.iloc[index]
        return np.asarray(part.to_numpy()), index
    if is_sparse(data):
        if getattr(data, "format", None) not in ("csr", "csc"):
            return None
        return (data.copy() if index is None else data[index]), index
    if hasattr(data, "shape"):
        return (np.array(data, copy=True) if index is None else np.asarray(data)[index]), index
    if isinstance(data, (list, tuple)):
        rows = list(data) if index is None else [data[i] for i in index]
        return np.asarray(rows), index
    return None
