"""MLflow 3 LoggedModel entities for autolog's models and checkpoints.

Each final model becomes a LoggedModel (name = its artifact path, ``source_run_id`` its run) that
holds the model in MLflow's format, so ``runs:/<run>/<path>`` and ``models:/<model_id>`` load it,
and each Trainer checkpoint a LoggedModel named ``checkpoint-<step>`` (``model_type``
``checkpoint``; its files stay in the run's ``checkpoints/`` folder, named by the tag
``autolog.checkpoint_uri``). Both are linked to the run as outputs at their step, and the metrics
the run logged at that step are linked to them, so ``mlflow.search_logged_models(order_by=
[{"field_name": "metrics.eval_loss", "ascending": True}])`` ranks checkpoints and models.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: Distinct steps per run whose metric values are kept to link to a model logged later.
KEPT_STEPS = 1000
_CHECKPOINT = re.compile(r"(?:^|/)checkpoint-(\d+)$")


def supported(client: MlflowClient) -> bool:
    """Whether this MLflow has LoggedModels (MLflow 3 and later)."""
    return hasattr(client, "create_logged_model") and hasattr(client, "log_outputs")


def checkpoint_step(artifact_path: str) -> int | None:
    """The step of a Trainer checkpoint from its path (``checkpoints/checkpoint-500`` -> 500)."""
    match = _CHECKPOINT.search(artifact_path.rstrip("/"))
    return int(match.group(1)) if match else None


class StepMetrics:
    """The metric points each run logged at its most recent :data:`KEPT_STEPS` distinct steps."""

    def __init__(self) -> None:
        self._runs: dict[str, OrderedDict[int, dict[str, Any]]] = {}

    def add(self, run_id: str, points: Sequence[Any]) -> None:
        steps = self._runs.setdefault(run_id, OrderedDict())
        for point in points:
            at = steps.get(point.step)
            if at is None:
                at = steps[point.step] = {}
                if len(steps) > KEPT_STEPS:
                    steps.popitem(last=False)
            at[point.key] = point

    def at(self, run_id: str, step: int) -> list[Any]:
        steps = self._runs.get(run_id)
        return list(steps[step].values()) if steps is not None and step in steps else []

    def last_step(self, run_id: str) -> int:
        steps = self._runs.get(run_id)
        return max(steps) if steps else 0

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)


def create(
    client: MlflowClient,
    experiment_id: str,
    run_id: str,
    name: str,
    step: int,
    *,
    model_type: str | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    """Create a PENDING LoggedModel from run ``run_id`` and link it to the run at ``step``."""
    from mlflow.entities import LoggedModelOutput

    model = client.create_logged_model(
        experiment_id, name=name, source_run_id=run_id, tags=dict(tags or {}) or None,
        params=dict(params or {}) or None, model_type=model_type,
    )
    client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=step)])
    return model.model_id


def link_metrics(client: MlflowClient, run_id: str, model_id: str, points: Sequence[Any]) -> None:
    """Log the run's metric points again with ``model_id`` (MLflow's way of linking them)."""
    from mlflow.entities import Metric

    linked = [
        Metric(p.key, p.value, p.timestamp, p.step, run_id=run_id, model_id=model_id) for p in points
    ]
    for start in range(0, len(linked), 1000):
        client.log_batch(run_id, metrics=linked[start : start + 1000])


def finalize(client: MlflowClient, model_id: str) -> None:
    from mlflow.entities import LoggedModelStatus

    client.finalize_logged_model(model_id, LoggedModelStatus.READY)


def mlflow_model(run_id: str, model_id: str, artifact_location: str | None = None) -> Any:
    """The ``mlflow.models.Model`` a native save writes into, carrying the LoggedModel's id."""
    from mlflow.models import Model

    return Model(artifact_path=artifact_location, run_id=run_id, model_uuid=model_id, model_id=model_id)
