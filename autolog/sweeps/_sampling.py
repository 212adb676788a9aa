"""Random search that honours W&B's ``probabilities`` for categorical parameters."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import optuna


class WeightedRandomSampler(optuna.samplers.RandomSampler):
    """Optuna's RandomSampler, except that a categorical parameter listed in ``weights`` draws
    its choices with those probabilities (W&B's ``probabilities``)."""

    def __init__(self, weights: Mapping[str, Sequence[float]], seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._weights = {name: list(w) for name, w in weights.items()}
        self._random = random.Random(seed)

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
        weights = self._weights.get(param_name)
        if weights is not None and isinstance(param_distribution, optuna.distributions.CategoricalDistribution):
            return self._random.choices(param_distribution.choices, weights=weights)[0]
        return super().sample_independent(study, trial, param_name, param_distribution)
