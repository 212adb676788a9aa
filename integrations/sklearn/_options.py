"""The scikit-learn integration's options, read from the current config at call time.

``autolog.autolog(sklearn={...})`` sets them; calling ``autolog()`` again takes effect on the next
fit without patching again. ``log_models``, ``log_signatures`` and ``log_input_examples`` fall back
to the top-level settings of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autolog.sdk import current_config

DEFAULTS: dict[str, Any] = {
    "log_models": True,
    "log_signatures": True,
    "log_input_examples": True,
    "log_training_metrics": True,
    "log_post_training_metrics": True,
    "log_plots": True,
    "max_tuning_runs": 5,
    "pos_label": None,
    "exclude": (),
}


@dataclass(frozen=True)
class Options:
    """One snapshot of the options (see the package docstring for what each one does)."""

    log_models: bool = True
    log_signatures: bool = True
    log_input_examples: bool = True
    log_training_metrics: bool = True
    log_post_training_metrics: bool = True
    log_plots: bool = True
    max_tuning_runs: int | None = 5
    pos_label: Any = None
    exclude: tuple[Any, ...] = ()
    _excluded: dict[type, bool] = field(default_factory=dict, compare=False, repr=False)

    def excludes(self, cls: type) -> bool:
        """True when ``exclude`` names ``cls`` (a class, a base class, or a class name)."""
        if not self.exclude:
            return False
        known = self._excluded.get(cls)
        if known is None:
            qualified = f"{cls.__module__}.{cls.__qualname__}"
            known = any(
                (isinstance(entry, type) and issubclass(cls, entry))
                or (isinstance(entry, str) and entry in (cls.__name__, cls.__qualname__, qualified))
                for entry in self.exclude
            )
            self._excluded[cls] = known
        return known


_cache: tuple[Any, Options] | None = None


def current() -> Options:
    """The options of the current configuration (cached per config object)."""
    global _cache
    cfg = current_config()
    cached = _cache
    if cached is not None and cached[0] is cfg:
        return cached[1]
    values = {key: cfg.integration_option("sklearn", key, default) for key, default in DEFAULTS.items()}
    exclude = values["exclude"]
    if exclude is None:
        exclude = ()
    elif isinstance(exclude, (str, type)):
        exclude = (exclude,)
    values["exclude"] = tuple(exclude)
    options = Options(**values)
    _cache = (cfg, options)
    return options
