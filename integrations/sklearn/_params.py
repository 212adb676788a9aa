"""Params and tags of an estimator, as readable, bounded strings.

Params come from the ``autolog_extract_params`` hook when a plugin answers (firstresult), else from
``get_params(deep=True)``. Nested estimators read like scikit-learn's own repr, showing only the
parameters that differ from their defaults (``LogisticRegression(C=0.5)``); values longer than
:data:`MAX_PARAM_LENGTH` characters are cut with a ``...(truncated, N chars)`` marker.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

from autolog.sdk import plugin_params, plugin_tags
from autolog.sdk import truncate as _truncate

#: Longest param value kept whole.
MAX_PARAM_LENGTH = 250
#: Items of a list/tuple/dict shown before ``...``.
MAX_ITEMS = 20
#: Nesting shown for estimators inside estimators; deeper ones appear as ``ClassName(...)``.
MAX_DEPTH = 3

_defaults_cache: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()
_EMPTY = inspect.Parameter.empty


def truncate(text: str, limit: int = MAX_PARAM_LENGTH) -> str:
    """``text`` itself, or its first ``limit`` characters and the SDK's truncation marker."""
    return _truncate(text, limit)


def describe(value: Any, depth: int = 0) -> str:
    """A short readable string for a param value (estimators, containers, callables, scalars)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, type):
        return value.__qualname__
    if hasattr(value, "get_params") and not isinstance(value, type):
        return _describe_estimator(value, depth)
    if isinstance(value, (list, tuple)):
        items = [_quoted(v, depth) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"... ({len(value)} items)")
        body = ", ".join(items)
        if isinstance(value, tuple):
            return f"({body},)" if len(value) == 1 else f"({body})"
        return f"[{body}]"
    if isinstance(value, dict):
        pairs = [f"{_quoted(k, depth)}: {_quoted(v, depth)}" for k, v in list(value.items())[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            pairs.append(f"... ({len(value)} items)")
        return "{" + ", ".join(pairs) + "}"
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return str(getattr(value, "__qualname__", None) or getattr(value, "__name__", repr(value)))
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<unprintable {type(value).__name__}>"


def _quoted(value: Any, depth: int) -> str:
    return repr(value) if isinstance(value, str) else describe(value, depth)


def _describe_estimator(estimator: Any, depth: int) -> str:
    name = type(estimator).__name__
    if depth >= MAX_DEPTH:
        return f"{name}(...)"
    try:
        params = estimator.get_params(deep=False)
    except Exception:  # noqa: BLE001
        return f"{name}(...)"
    defaults = _defaults(type(estimator))
    shown = []
    for key, value in params.items():
        default = defaults.get(key, _EMPTY)
        if default is not _EMPTY and _same(value, default):
            continue
        shown.append(f"{key}={_quoted(value, depth + 1)}")
    return f"{name}({', '.join(shown)})"


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if type(value) is not type(default) or not isinstance(value, (str, int, float, bool, tuple)):
        return False
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001
        return False


def _defaults(cls: type) -> dict[str, Any]:
    try:
        return _defaults_cache[cls]
    except KeyError:
        pass
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
        found = {p.name: p.default for p in signature.parameters.values() if p.default is not _EMPTY}
    except (TypeError, ValueError):
        found = {}
    _defaults_cache[cls] = found
    return found


def extract(obj: Any) -> dict[str, str]:
    """The params to log for ``obj``: a plugin's answer, else ``get_params(deep=True)``."""
    found = plugin_params(obj, "sklearn")
    if found is None:
        found = obj.get_params(deep=True)
    return {str(key): truncate(describe(value)) for key, value in dict(found).items()}


def tags(obj: Any) -> dict[str, str]:
    """``estimator_name``, ``estimator_class``, ``sklearn_version`` and plugins' tags."""
    import sklearn

    cls = type(obj)
    found = {
        "estimator_name": cls.__name__,
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
        "sklearn_version": sklearn.__version__,
    }
    found.update(plugin_tags(obj, "sklearn"))
    return found
