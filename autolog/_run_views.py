"""MLflow's ``run.info`` and ``run.data`` views of a run this process holds (``autolog.Run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog._runs import Run
    from autolog.store.entities import RunData, RunInfo

#: (tracking folder, experiment name) -> id in that local store, as found by this process
_experiment_ids: dict[tuple[str, str], str] = {}


def _client() -> Any:
    from autolog.client import Client

    return Client()


def live_run_info(live: Run) -> RunInfo:
    """``run.info`` of a run this process holds: from the store once the run ended there, else
    from the run itself (experiment id from the local store, "" when it has none)."""
    from autolog.store.entities import RunInfo, epoch_ms

    if live.ended:
        stored = _stored(live)
        if stored is not None:
            return stored.info
    client = _client()
    key = (client.tracking_dir, live.experiment)
    experiment_id = _experiment_ids.get(key)
    if experiment_id is None:
        found = client.get_experiment_by_name(live.experiment)
        experiment_id = "" if found is None else found.experiment_id
        if experiment_id:
            _experiment_ids[key] = experiment_id
    status = "RUNNING" if live._ending is None else str(getattr(live._ending, "value", live._ending))
    artifacts = client._store.artifacts_uri
    return RunInfo(
        run_id=live.run_id, run_name=live.name, experiment_id=experiment_id, user_id=_user(),
        status=status, start_time=epoch_ms(live.start_time) or 0, end_time=None,
        artifact_uri=f"{artifacts}/{live.run_id}", lifecycle_stage="active",
    )


def live_run_data(live: Run) -> RunData:
    """``run.data`` of a run this process holds: what the local store has for it so far."""
    from autolog.store.entities import RunData

    stored = _stored(live)
    if stored is not None:
        return stored.data
    return RunData(dict(live.params), {}, {"mlflow.runName": live.name})


def _stored(live: Run) -> Any:
    from autolog.store.entities import RunNotFound

    try:
        return _client().get_run(live.run_id)
    except RunNotFound:
        return None


def _user() -> str:
    from autolog.store.sqlite import current_user

    return current_user()

