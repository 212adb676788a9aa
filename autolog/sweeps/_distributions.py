"""Each W&B parameter spec as an Optuna distribution plus the transform to W&B's value.

Optuna samples the raw space; the trial gets ``transform(raw)``:

* ``uniform``, ``int_uniform``, ``log_uniform_values``: Optuna's own float/int/log distributions;
* ``log_uniform`` (W&B's bounds are exponents): uniform on [min, max], then ``exp``;
* ``inv_log_uniform``/``inv_log_uniform_values``: ``1 / exp`` of a uniform exponent;
* ``normal``, ``log_normal``: a uniform quantile u, then ``mu + sigma * z(u)`` (``exp`` of it),
  so random search draws exactly the normal and TPE models the quantile;
* ``q_*``: the value rounded to a multiple of ``q`` (W&B's ``round(x / q) * q``);
* ``categorical``: Optuna's categorical; values Optuna cannot hold (lists, dicts) travel as JSON.

Grid search takes ``value``, ``values``, ``int_uniform`` (every integer) and ``q_uniform``
(every multiple of q); a continuous distribution there is an error naming the parameter.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from typing import Any

from autolog.sweeps._schema import _EPS, DISTRIBUTIONS, Parameter, SweepConfigError, _is_number

_PRIMITIVE = (type(None), bool, int, float, str)


def infer(spec: dict[str, Any]) -> str:
    """W&B's default distribution: constant for value, categorical for values, int_uniform for
    integer bounds, uniform for other bounds, normal for mu/sigma."""
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec or "max" in spec:
        ints = type(spec.get("min")) is int and type(spec.get("max")) is int
        return "int_uniform" if ints else "uniform"
    if "mu" in spec or "sigma" in spec:
        return "normal"
    return ""


def build(key: str, spec: dict[str, Any], method: str) -> Parameter:
    """The :class:`Parameter` for the spec at ``parameters.<key>`` (checked, errors name the key)."""
    where = f"parameters.{key}"
    kind = spec.get("distribution") or infer(spec)
    if not kind:
        raise SweepConfigError(f"{where}: give value, values, min/max or mu/sigma (and optionally a distribution)")
    if kind not in DISTRIBUTIONS:
        raise SweepConfigError(f"{where}.distribution: {kind!r} is not a W&B distribution (known: {', '.join(DISTRIBUTIONS)})")
    allowed = DISTRIBUTIONS[kind] | {"distribution"}
    for name in spec:
        if name not in allowed:
            raise SweepConfigError(f"{where}.{name}: unknown key for distribution {kind} (allowed: {', '.join(sorted(allowed))})")
    if kind == "constant":
        if "value" not in spec:
            raise SweepConfigError(f"{where}.value: a constant needs a value")
        return Parameter(key, kind, spec)
    if kind == "categorical":
        return _categorical(key, spec, method)
    if method == "grid" and kind not in ("int_uniform", "q_uniform"):
        raise SweepConfigError(
            f"{where}: grid search needs discrete values; distribution {kind} is continuous "
            "(use values, int_uniform or q_uniform)"
        )
    if kind.endswith(("normal",)):
        return _normal(key, spec, kind)
    return _bounded(key, spec, kind, method)


def _number(where: str, spec: dict[str, Any], name: str, default: float | None = None) -> Any:
    if name not in spec:
        if default is None:
            raise SweepConfigError(f"{where}.{name}: required")
        return default
    value = spec[name]
    if not _is_number(value):
        raise SweepConfigError(f"{where}.{name}: {value!r} is not a finite number")
    return value


def _quantizer(q: float, whole: bool) -> Callable[[float], Any]:
    def quantize(x: float) -> Any:
        value = round(x / q) * q
        return round(value) if whole else round(value, 12)

    return quantize


def _bounded(key: str, spec: dict[str, Any], kind: str, method: str) -> Parameter:
    import optuna.distributions as od

    where = f"parameters.{key}"
    low, high = _number(where, spec, "min"), _number(where, spec, "max")
    if low > high:
        raise SweepConfigError(f"{where}.min: {low} is above max {high}")
    q = _number(where, spec, "q", 1) if kind.startswith("q_") else None
    if q is not None and q <= 0:
        raise SweepConfigError(f"{where}.q: {q} must be above 0")
    if kind == "int_uniform":
        if type(low) is not int or type(high) is not int:
            raise SweepConfigError(f"{where}: int_uniform needs whole-number min and max, got {low!r}, {high!r}")
        if method == "grid":
            grid = tuple(range(low, high + 1))
            return Parameter(key, kind, spec, od.CategoricalDistribution(grid), grid=grid)
        return Parameter(key, kind, spec, od.IntDistribution(low, high))
    if kind in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values") and low <= 0:
        raise SweepConfigError(f"{where}.min: {low} must be above 0 for {kind}")
    whole = q is not None and all(type(v) is int for v in (low, high, q))
    identity: Callable[[Any], Any] = (lambda x: x) if q is None else _quantizer(q, whole)
    if kind == "q_uniform" and method == "grid":
        assert q is not None
        grid = tuple(identity(k * q) for k in range(math.ceil(low / q - 1e-9), math.floor(high / q + 1e-9) + 1))
        if not grid:
            raise SweepConfigError(f"{where}: no multiple of q={q} lies between min {low} and max {high}")
        return Parameter(key, kind, spec, od.CategoricalDistribution(grid), grid=grid)
    if kind in ("uniform", "q_uniform"):
        return Parameter(key, kind, spec, od.FloatDistribution(float(low), float(high)), identity)
    if kind in ("log_uniform_values", "q_log_uniform_values"):
        return Parameter(key, kind, spec, od.FloatDistribution(float(low), float(high), log=True), identity)
    if kind in ("log_uniform", "q_log_uniform"):
        return Parameter(key, kind, spec, od.FloatDistribution(float(low), float(high)), lambda x: identity(math.exp(x)))
    if kind == "inv_log_uniform":
        return Parameter(key, kind, spec, od.FloatDistribution(float(low), float(high)), lambda x: math.exp(-x))
    # inv_log_uniform_values: 1/X log-uniform between 1/max and 1/min
    return Parameter(key, kind, spec, od.FloatDistribution(1.0 / high, 1.0 / low, log=True), lambda x: 1.0 / x)


def _normal(key: str, spec: dict[str, Any], kind: str) -> Parameter:
    import optuna.distributions as od

    where = f"parameters.{key}"
    mu, sigma = _number(where, spec, "mu", 0.0), _number(where, spec, "sigma", 1.0)
    if sigma <= 0:
        raise SweepConfigError(f"{where}.sigma: {sigma} must be above 0")
    q = _number(where, spec, "q", 1) if kind.startswith("q_") else None
    if q is not None and q <= 0:
        raise SweepConfigError(f"{where}.q: {q} must be above 0")
    normal = statistics.NormalDist(float(mu), float(sigma))
    logged = "log_normal" in kind
    quantize = None if q is None else _quantizer(q, type(q) is int and not logged and type(mu) is int)

    def transform(u: float) -> Any:
        value = normal.inv_cdf(u)
        if logged:
            value = math.exp(value)
        return value if quantize is None else quantize(value)

    return Parameter(key, kind, spec, od.FloatDistribution(_EPS, 1.0 - _EPS), transform)


def _categorical(key: str, spec: dict[str, Any], method: str) -> Parameter:
    import optuna.distributions as od

    where = f"parameters.{key}"
    values = spec.get("values")
    if not isinstance(values, list) or not values:
        raise SweepConfigError(f"{where}.values: a non-empty list")
    probabilities = spec.get("probabilities")
    if probabilities is not None:
        if method != "random":
            raise SweepConfigError(f"{where}.probabilities: only random search draws by probabilities (method is {method})")
        if (not isinstance(probabilities, list) or len(probabilities) != len(values)
                or not all(_is_number(p) and p >= 0 for p in probabilities)):
            raise SweepConfigError(f"{where}.probabilities: one non-negative number per value ({len(values)})")
        if abs(sum(probabilities) - 1.0) > 1e-6:
            raise SweepConfigError(f"{where}.probabilities: they sum to {sum(probabilities)}, not 1")
    if all(isinstance(v, _PRIMITIVE) for v in values):
        choices = tuple(values)
        transform: Callable[[Any], Any] = lambda x: x  # noqa: E731
    else:
        choices = tuple(json.dumps(v, sort_keys=True) for v in values)
        transform = json.loads
    if len(set(map(repr, choices))) != len(choices):
        raise SweepConfigError(f"{where}.values: a value is listed twice")
    return Parameter(key, "categorical", spec, od.CategoricalDistribution(choices), transform, grid=choices)
