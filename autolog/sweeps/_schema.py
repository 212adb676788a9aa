"""The pieces of a sweep config that its parser and its distributions share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Each W&B distribution and the keys it takes (beyond ``distribution``).
DISTRIBUTIONS: dict[str, frozenset[str]] = {
    "constant": frozenset({"value"}),
    "categorical": frozenset({"values", "probabilities"}),
    "int_uniform": frozenset({"min", "max"}),
    "uniform": frozenset({"min", "max"}),
    "q_uniform": frozenset({"min", "max", "q"}),
    "log_uniform": frozenset({"min", "max"}),
    "log_uniform_values": frozenset({"min", "max"}),
    "q_log_uniform": frozenset({"min", "max", "q"}),
    "q_log_uniform_values": frozenset({"min", "max", "q"}),
    "inv_log_uniform": frozenset({"min", "max"}),
    "inv_log_uniform_values": frozenset({"min", "max"}),
    "normal": frozenset({"mu", "sigma"}),
    "q_normal": frozenset({"mu", "sigma", "q"}),
    "log_normal": frozenset({"mu", "sigma"}),
    "q_log_normal": frozenset({"mu", "sigma", "q"}),
}
#: Quantile bounds for the normal family: Optuna searches u in [eps, 1-eps], the trial gets mu + sigma * z(u).
_EPS = 1e-6


class SweepConfigError(ValueError):
    """A sweep config that cannot be run; the message names the offending key."""


@dataclass(frozen=True)
class Parameter:
    """One searched (or constant) parameter: its dotted name, Optuna distribution and transform."""

    name: str
    kind: str
    spec: Mapping[str, Any]
    distribution: Any = None  # an optuna distribution; None for a constant
    transform: Callable[[Any], Any] = field(default=lambda x: x, repr=False, compare=False)
    grid: tuple[Any, ...] | None = None  # raw Optuna values for grid search

    @property
    def constant(self) -> bool:
        return self.distribution is None

    def value(self, raw: Any) -> Any:
        """The value the trial sees for the Optuna value ``raw``."""
        return self.spec["value"] if self.constant else self.transform(raw)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
