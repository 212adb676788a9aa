"""W&B's sweep configuration, read and checked, and translated into an Optuna search.

A sweep config is the dict (or YAML/JSON file) W&B's ``wandb sweep`` takes::

    method: bayes                      # grid | random | bayes
    metric: {name: val_loss, goal: minimize}
    parameters:
      lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
      batch_size: {values: [16, 32, 64]}
      optimizer:
        parameters:                    # nested: the trial's config is {"optimizer": {"momentum": ...}}
          momentum: {min: 0.8, max: 0.99}
    early_terminate: {type: hyperband, min_iter: 3, eta: 3}
    run_cap: 20

Every distribution is an Optuna distribution plus a transform (:class:`Parameter`): Optuna searches
the raw space (the exponent of ``log_uniform``, the normal's quantile), the trial sees W&B's value.
Anything unknown or inconsistent raises :class:`SweepConfigError` naming the key.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autolog.sweeps._distributions import build
from autolog.sweeps._schema import Parameter, SweepConfigError, _is_number

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
TOP_LEVEL_KEYS = frozenset({
    "method", "metric", "parameters", "early_terminate", "run_cap", "program", "command",
    "name", "description", "project", "entity", "controller",
})
METRIC_KEYS = frozenset({"name", "goal", "target", "summary"})
EARLY_TERMINATE_KEYS = frozenset({"type", "min_iter", "max_iter", "s", "eta", "strict"})
PARAMETER_KEYS = frozenset({"value", "values", "distribution", "min", "max", "mu", "sigma", "q", "probabilities", "parameters"})

@dataclass(frozen=True)
class SweepConfig:
    """A checked sweep config. ``raw`` is what the user wrote (kept with the study)."""

    raw: Mapping[str, Any]
    method: str
    metric: str
    goal: str
    summary: str
    target: float | None
    parameters: tuple[Parameter, ...]
    early_terminate: Mapping[str, Any] | None
    run_cap: int | None
    program: str | None
    command: tuple[str, ...] | None

    @property
    def direction(self) -> str:
        return self.goal

    def grid_points(self) -> list[dict[str, Any]]:
        """Every point of a grid sweep (raw Optuna values), in W&B's order (the last parameter
        varies fastest)."""
        searched = [p for p in self.parameters if not p.constant]
        return [dict(zip((p.name for p in searched), combo)) for combo in itertools.product(*(p.grid or () for p in searched))]

    def trial_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The nested config a trial gets from Optuna's raw ``{dotted name: value}``."""
        nested: dict[str, Any] = {}
        for param in self.parameters:
            target = nested
            *parents, leaf = param.name.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = param.value(raw.get(param.name))
        return nested

    def flat_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The trial's values by dotted name (what is logged as the run's params)."""
        return {param.name: param.value(raw.get(param.name)) for param in self.parameters}

    def make_sampler(self, seed: int | None = None) -> Any:
        """Optuna's sampler for ``method``: GridSampler on the exact grid, RandomSampler, TPESampler."""
        import optuna

        if self.method == "grid":
            space = {p.name: list(p.grid or ()) for p in self.parameters if not p.constant}
            return optuna.samplers.GridSampler(space, seed=seed)
        if self.method == "random":
            from autolog.sweeps._sampling import WeightedRandomSampler

            weights = {p.name: p.spec["probabilities"] for p in self.parameters if p.spec.get("probabilities")}
            return WeightedRandomSampler(weights, seed=seed)
        return optuna.samplers.TPESampler(seed=seed)

    def make_pruner(self) -> Any:
        """HyperbandPruner for ``early_terminate: {type: hyperband}``, else no pruning."""
        import optuna

        et = self.early_terminate
        if not et:
            return optuna.pruners.NopPruner()
        eta = int(et.get("eta", 3))
        if "min_iter" in et:
            min_resource = int(et["min_iter"])
        else:  # W&B: max_iter and s brackets below it, max_iter / eta ** s the lowest
            min_resource = max(1, round(et["max_iter"] / eta ** int(et.get("s", 0))))
        max_resource: Any = int(et["max_iter"]) if "max_iter" in et else "auto"
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=max_resource, reduction_factor=eta)


def load(source: str | os.PathLike[str] | Mapping[str, Any]) -> SweepConfig:
    """Read and check a sweep config: a dict, or a YAML or JSON file's path."""
    if isinstance(source, Mapping):
        return parse(source)
    path = os.fspath(source)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if path.endswith(".json"):
        data = json.loads(text)
    else:
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - pyyaml comes with the sweeps extra
            raise SweepConfigError("reading a YAML sweep config needs pyyaml (pip install 'autolog-suite[sweeps]')") from exc
        data = yaml.safe_load(text)
    if not isinstance(data, Mapping):
        raise SweepConfigError(f"{path}: a sweep config is a mapping of keys (method, metric, parameters, ...)")
    return parse(data)


def parse(raw: Mapping[str, Any]) -> SweepConfig:
    """Check ``raw`` against W&B's sweep schema and build the :class:`SweepConfig`."""
    _unknown(raw, TOP_LEVEL_KEYS, "")
    method = raw.get("method")
    if method not in METHODS:
        raise SweepConfigError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    metric = raw.get("metric")
    if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str) or not metric.get("name"):
        raise SweepConfigError("metric: a mapping with a name (the metric each trial logs) is required, e.g. {name: val_loss, goal: minimize}")
    _unknown(metric, METRIC_KEYS, "metric.")
    goal = metric.get("goal", "minimize")
    if goal not in GOALS:
        raise SweepConfigError(f"metric.goal: {goal!r} is not one of {', '.join(GOALS)}")
    summary = metric.get("summary", "last")
    if summary not in ("last", "best"):
        raise SweepConfigError(f"metric.summary: {summary!r} is not one of last, best")
    target = metric.get("target")
    if target is not None and not _is_number(target):
        raise SweepConfigError(f"metric.target: {target!r} is not a number")
    params_raw = raw.get("parameters")
    if not isinstance(params_raw, Mapping) or not params_raw:
        raise SweepConfigError("parameters: a mapping of at least one parameter is required")
    parameters = tuple(_parameters(params_raw, "", method))
    if not any(not p.constant for p in parameters):
        raise SweepConfigError("parameters: nothing to search (every parameter is a constant)")
    run_cap = raw.get("run_cap")
    if run_cap is not None and (type(run_cap) is not int or run_cap < 1):
        raise SweepConfigError(f"run_cap: {run_cap!r} is not a positive whole number")
    program = raw.get("program")
    if program is not None and not isinstance(program, str):
        raise SweepConfigError(f"program: {program!r} is not a path")
    command = raw.get("command")
    if command is not None:
        if not isinstance(command, list) or not all(isinstance(c, (str, int, float)) for c in command) or not command:
            raise SweepConfigError("command: a list of strings (W&B's macros allowed: ${env}, ${interpreter}, ${program}, ${args}, ...)")
        command = tuple(str(c) for c in command)
        if "${program}" in command and program is None:
            raise SweepConfigError("command: uses ${program} but the config has no program")
    return SweepConfig(
        raw=dict(raw),
        method=method,
        metric=metric["name"],
        goal=goal,
        summary=summary,
        target=None if target is None else float(target),
        parameters=parameters,
        early_terminate=_early_terminate(raw.get("early_terminate")),
        run_cap=run_cap,
        program=program,
        command=command,
    )


def _unknown(mapping: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise SweepConfigError(f"{prefix}{key}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _early_terminate(et: Any) -> Mapping[str, Any] | None:
    if et is None:
        return None
    if not isinstance(et, Mapping):
        raise SweepConfigError("early_terminate: a mapping such as {type: hyperband, min_iter: 3}")
    _unknown(et, EARLY_TERMINATE_KEYS, "early_terminate.")
    if et.get("type") != "hyperband":
        raise SweepConfigError(f"early_terminate.type: {et.get('type')!r} is not supported (only hyperband)")
    for key in ("min_iter", "max_iter", "s", "eta"):
        if key in et and (type(et[key]) is not int or et[key] < (2 if key == "eta" else 1)):
            raise SweepConfigError(f"early_terminate.{key}: {et[key]!r} is not a whole number >= {2 if key == 'eta' else 1}")
    if "min_iter" not in et and "max_iter" not in et:
        raise SweepConfigError("early_terminate: hyperband needs min_iter, or max_iter (with s)")
    if "min_iter" in et and "max_iter" in et and et["min_iter"] > et["max_iter"]:
        raise SweepConfigError(f"early_terminate.min_iter: {et['min_iter']} is above max_iter {et['max_iter']}")
    return dict(et)


def _parameters(params: Mapping[str, Any], prefix: str, method: str) -> list[Parameter]:
    found: list[Parameter] = []
    for name, spec in params.items():
        key = f"{prefix}{name}"
        if not isinstance(name, str) or not name or "." in name:
            raise SweepConfigError(f"parameters.{key}: a parameter name is a non-empty string without dots")
        if not isinstance(spec, Mapping):
            raise SweepConfigError(f"parameters.{key}: a mapping such as {{values: [...]}} or {{min: 0, max: 1}}, got {spec!r}")
        if "parameters" in spec:
            if set(spec) != {"parameters"} or not isinstance(spec["parameters"], Mapping) or not spec["parameters"]:
                raise SweepConfigError(f"parameters.{key}.parameters: nested parameters stand alone, as a non-empty mapping")
            found.extend(_parameters(spec["parameters"], key + ".", method))
        else:
            found.append(build(key, dict(spec), method))
    return found
