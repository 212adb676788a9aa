"""``MlflowBackend``: autolog's records onto an MLflow tracking server through ``MlflowClient``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autolog.sdk import ArtifactKind, RecordBackend, RunStatus, warn_once

from . import _logged_models as logged
from ._limits import Limits, chunked, clean_artifact_path, entry_size, metric_size, sanitize_key, truncate
from ._models import build_model_dir
from ._registry import MlflowRegistry

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from autolog.sdk import Artifact, Metric, ModelRecord, RunEnd, RunStart

#: Set in ``os.environ`` when the first client is made, only where unset: MLflow's own HTTP retry
#: would otherwise block a call for minutes, while the dispatcher's back-off should be in charge.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}

#: Tag on every MLflow run that holds an autolog run: the autolog run id.
RUN_ID_TAG = "autolog.run_id"
PARENT_TAG = "mlflow.parentRunId"
#: Flavors stored as MLflow 3 LoggedModels (others stay plain run artifacts, as before)
LOGGED_MODEL_FLAVORS = frozenset({"transformers"})


class MlflowBackend(RecordBackend):
    """Sends runs, params, metrics, tags, artifacts and models to MLflow.

    ``tracking_uri`` defaults to ``MLFLOW_TRACKING_URI``, else MLflow's own default (what
    ``mlflow.get_tracking_uri()`` says when the first record arrives). ``registry_uri`` defaults
    to the tracking URI. With ``registered_model_name`` every logged model becomes a new version
    of that registered model; with ``registered_model_alias`` too, the alias moves to it.
    """

    name = "mlflow"

    def __init__(
        self,
        tracking_uri: str | None = None,
        registered_model_name: str | None = None,
        registered_model_alias: str | None = None,
        registry_uri: str | None = None,
    ) -> None:
        if registered_model_alias and not registered_model_name:
            raise ValueError("registered_model_alias needs registered_model_name")
        self.tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or None
        self.registry_uri = registry_uri
        self.registered_model_name = registered_model_name
        self.registered_model_alias = registered_model_alias
        self._client_obj: MlflowClient | None = None
        self._limits = Limits()
        #: autolog run id -> MLflow run id, recorded the moment a run exists in MLflow
        self._runs: dict[str, str] = {}
        #: autolog run id -> RunStart, until the run ends (a later call can still create it)
        self._starts: dict[str, RunStart] = {}
        #: autolog run id -> (MLflow run id, experiment id, tracking URI) of the user's active run
        self._user_runs: dict[str, tuple[str, str, str]] = {}
        #: autolog run id -> MLflow experiment id of its run (a child run goes to its parent's)
        self._run_experiments: dict[str, str] = {}
        #: autolog run ids attached to a run the user opened: never ended by autolog
        self._attached: set[str] = set()
        #: autolog run ids whose MLflow run this backend created
        self._created: set[str] = set()
        #: autolog run ids whose MLflow run may exist already (lost reply, resume): searched first
        self._may_exist: set[str] = set()
        self._experiments: dict[str, str] = {}
        #: autolog run id -> params sent (sanitised key -> value as stored)
        self._params: dict[str, dict[str, str]] = {}
        self._registered_models: set[str] = set()
        #: metric points of each run's recent steps, linked to a model logged at that step
        self._step_metrics = logged.StepMetrics()
        #: (call, args) of a call that failed part-way, and what it finished: a retry resumes
        self._partial: tuple[tuple[Any, ...], dict[Any, Any]] | None = None

    # -- called in the user's thread -------------------------------------------------------

    def on_run_start(self, run: RunStart) -> None:
        """Remember the MLflow run the user opened in this thread, so the records go there."""
        mlflow = sys.modules.get("mlflow")
        if mlflow is None or run.parent_run_id is not None:
            return
        try:
            active = mlflow.active_run()
            if active is not None:
                info = active.info
                self._user_runs[run.run_id] = (info.run_id, info.experiment_id, mlflow.get_tracking_uri())
        except AttributeError:  # mlflow half-imported in another thread
            pass

    # -- called by the dispatcher's worker thread ------------------------------------------

    def start_run(self, run: RunStart) -> None:
        self._starts[run.run_id] = run
        resuming = getattr(run, "resume_step", None) is not None
        attaching = getattr(run, "attach", False)
        if (resuming or attaching) and run.run_id not in self._runs and run.run_id not in self._user_runs:
            self._may_exist.add(run.run_id)  # look for the interrupted (or the owner's) run first
        mlflow_run_id = self._mlflow_run_id(run.run_id)
        if attaching and run.run_id not in self._created:  # the owner's MLflow run: it ends it
            self._attached.add(run.run_id)
        if resuming and run.run_id not in self._attached:
            self._client.update_run(mlflow_run_id, status=RunStatus.RUNNING.value)
        tags = dict(run.tags)
        if run.run_id in self._attached:
            tags[RUN_ID_TAG] = run.run_id
        if tags:
            self.set_tags(run.run_id, tags)

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        mlflow_run_id = self._mlflow_run_id(run_id)
        sent = self._params.setdefault(run_id, {})
        limit = self._limits.max_param_value_length
        batch: dict[str, str] = {}
        full_values: dict[str, str] = {}
        for raw_key, raw_value in params.items():
            key, value = self._key(raw_key), str(raw_value)
            stored = truncate(value, limit)
            previous = sent.get(key, batch.get(key))
            if previous is not None:
                if previous != stored:
                    self._param_conflict(run_id, key, previous, stored)
                continue
            batch[key] = stored
            if stored != value:
                full_values[key] = value
        for key, value in full_values.items():  # before the params: a retry then redoes both
            self._upload_text(mlflow_run_id, f"params/{key}.txt", value)
        self._log_params_batch(run_id, mlflow_run_id, batch)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        mlflow_run_id = self._mlflow_run_id(run_id)
        limit = self._limits.max_tag_value_length
        entries = {self._key(k): truncate(str(v), limit) for k, v in tags.items()}
        for chunk in self._entry_chunks(entries):
            self._client.log_batch(mlflow_run_id, tags=[RunTag(k, v) for k, v in chunk])

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        from mlflow.entities import Metric as MlflowMetric

        mlflow_run_id = self._mlflow_run_id(run_id)
        points = [
            MlflowMetric(self._key(m.key), float(m.value), int(m.timestamp * 1000), int(m.step))
            for m in metrics
        ]
        limits = self._limits
        done = self._resume(("log_metrics", run_id, metrics))
        chunks = chunked(
            points, limits.max_metrics_per_batch, limits.max_request_bytes, lambda p: metric_size(p.key)
        )
        for index, chunk in enumerate(chunks):
            if index not in done:
                self._client.log_batch(mlflow_run_id, metrics=chunk)
                done[index] = True
        self._step_metrics.add(run_id, points)
        self._partial = None

    def log_artifact(self, artifact: Artifact) -> None:
        """A file lands at ``artifact_path`` itself, a directory's contents under it; without a
        path either lands under the source's base name (as in the local store)."""
        mlflow_run_id = self._mlflow_run_id(artifact.run_id)
        source = os.path.normpath(artifact.local_path)
        target = clean_artifact_path(artifact.artifact_path) or os.path.basename(source)
        if os.path.isdir(source):
            self._client.log_artifacts(mlflow_run_id, source, target)
        elif os.path.isfile(source):
            folder, _, filename = target.rpartition("/")
            if filename == os.path.basename(source):
                self._client.log_artifact(mlflow_run_id, source, folder or None)
            else:
                with tempfile.TemporaryDirectory(prefix="autolog-mlflow-") as tmp:
                    renamed = os.path.join(tmp, filename)
                    _link_or_copy(source, renamed)
                    self._client.log_artifact(mlflow_run_id, renamed, folder or None)
        else:
            self._warn(f"artifact {artifact.local_path!r} no longer exists; not logged to MLflow")
            return
        # A checkpoint inside a folder (the Trainer's checkpoints/checkpoint-<step>) also becomes a
        # LoggedModel; one at the top would share its name with the run's own folder, and MLflow
        # then lists the LoggedModel's files in that folder.
        step = logged.checkpoint_step(target) if artifact.kind == ArtifactKind.CHECKPOINT and "/" in target else None
        if step is not None and logged.supported(self._client):
            self._log_checkpoint_model(artifact.run_id, mlflow_run_id, target, step)

    def _log_checkpoint_model(self, run_id: str, mlflow_run_id: str, target: str, step: int) -> None:
        """A LoggedModel ``checkpoint-<step>`` for a Trainer checkpoint (its files stay in the run)."""
        client = self._client
        model_id = logged.create(
            client, self._run_experiments[run_id], mlflow_run_id, target.rsplit("/", 1)[-1], step,
            model_type="checkpoint",
            tags={"autolog.checkpoint_uri": f"runs:/{mlflow_run_id}/{target}", "autolog.step": str(step)},
        )
        logged.link_metrics(client, mlflow_run_id, model_id, self._step_metrics.at(run_id, step))
        logged.finalize(client, model_id)

    def log_model(self, model: ModelRecord) -> None:
        """Save the model in MLflow's format at the run's ``<path>``; a transformers model (a
        Trainer's) instead as an MLflow 3 LoggedModel of the run, linked at its step with that
        step's metrics (MLflow resolves ``runs:/<run>/<path>`` to it)."""
        mlflow_run_id = self._mlflow_run_id(model.run_id)
        path = clean_artifact_path(model.artifact_path) or "model"
        done = self._resume(("log_model", model))
        client = self._client
        if "model_id" not in done:
            done["step"] = int(model.metadata.get("global_step") or self._step_metrics.last_step(model.run_id))
            done["model_id"] = (
                logged.create(client, self._run_experiments[model.run_id], mlflow_run_id, path, done["step"],
                              model_type=model.flavor)
                if model.flavor in LOGGED_MODEL_FLAVORS and logged.supported(client) else None
            )
        model_id = done["model_id"]
        if "uploaded" not in done:
            with tempfile.TemporaryDirectory(prefix="autolog-mlflow-") as workdir:
                target = logged.mlflow_model(mlflow_run_id, model_id) if model_id else None
                directory = build_model_dir(model, workdir, self._warn, target)
                if model_id:
                    client.log_model_artifacts(model_id, directory)
                else:
                    client.log_artifacts(mlflow_run_id, directory, path)
            done["uploaded"] = True
        if model_id and "finalized" not in done:
            logged.link_metrics(client, mlflow_run_id, model_id, self._step_metrics.at(model.run_id, done["step"]))
            logged.finalize(client, model_id)
            done["finalized"] = True
        name = model.metadata.get("registered_model_name") or self.registered_model_name
        if name:
            if "version" not in done:
                done["version"] = self._register(str(name), mlflow_run_id, path, model_id)
            if self.registered_model_alias and name == self.registered_model_name:
                client.set_registered_model_alias(str(name), self.registered_model_alias, done["version"])
        self._partial = None

    def end_run(self, end: RunEnd) -> None:
        """End the MLflow run; a detach ends only an MLflow run this process had to create."""
        if end.run_id in self._attached or end.status is RunStatus.RUNNING:
            self._forget(end.run_id)
            return
        mlflow_run_id = self._mlflow_run_id(end.run_id)
        self._client.set_terminated(mlflow_run_id, end.status.value, end_time=int(end.end_time * 1000))
        self._forget(end.run_id)

    def is_transient(self, exc: BaseException) -> bool:
        """Network trouble (also when MLflow wrapped it in an ``MlflowException``) and server-side
        5xx/429 answers are retried; a request the server refuses (4xx) is not."""
        seen: set[int] = set()
        cause: BaseException | None = exc
        while cause is not None and id(cause) not in seen:
            if isinstance(cause, (OSError, TimeoutError)):
                return True
            seen.add(id(cause))
            cause = cause.__cause__ or cause.__context__
        exceptions = sys.modules.get("mlflow.exceptions")
        if exceptions is None:
            return False
        if isinstance(exc, exceptions.RestException):
            status = exc.get_http_status_code()
            return status >= 500 or status in (408, 429)
        return isinstance(exc, exceptions.MlflowException) and str(exc).startswith("API request to ")

    def flush(self) -> None:
        """Nothing to do: every call above has reached the server when it returns."""

    def close(self) -> None:
        self._client_obj = None

    def model_registry(self) -> MlflowRegistry:
        """MLflow's model registry (at ``registry_uri``), for ``autolog sync``."""
        return MlflowRegistry(lambda: self._client)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "tracking_uri": self.tracking_uri or "(mlflow default)"}
        if self.registered_model_name:
            info["registered_model_name"] = self.registered_model_name
        return info

    def mlflow_run_id(self, run_id: str) -> str | None:
        """The MLflow run id holding autolog run ``run_id``, once it exists."""
        return self._runs.get(run_id)

    def delivered_run_id(self, run_id: str) -> str | None:
        return self._runs.get(run_id)

    def reattach_run(self, run_id: str, target_run_id: str | None) -> None:
        """Log autolog run ``run_id`` into the MLflow run ``target_run_id`` (``autolog sync``
        continuing a run); when None, look for a run tagged with its id before creating one."""
        if target_run_id is None:
            if run_id not in self._runs:
                self._may_exist.add(run_id)
            return
        self._run_experiments[run_id] = self._client.get_run(target_run_id).info.experiment_id
        self._runs[run_id] = target_run_id

    # -- helpers ---------------------------------------------------------------------------

    @property
    def _client(self) -> MlflowClient:
        if self._client_obj is None:
            for var, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(var, value)
            import mlflow
            from mlflow import MlflowClient

            if self.tracking_uri is None:
                self.tracking_uri = mlflow.get_tracking_uri()
            self._limits = Limits.from_mlflow()
            self._client_obj = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri)
        return self._client_obj

    def _mlflow_run_id(self, run_id: str) -> str:
        """The MLflow run for ``run_id``, attached or created now if it is not yet."""
        known = self._runs.get(run_id)
        if known is not None:
            return known
        start = self._starts.get(run_id)
        if start is None:
            raise LookupError(f"autolog run {run_id!r} was never started on the mlflow backend")
        client = self._client
        user_run = self._user_runs.pop(run_id, None)
        if user_run is not None:
            user_run_id, user_experiment_id, user_uri = user_run
            if user_uri.rstrip("/") == str(self.tracking_uri).rstrip("/"):
                self._attached.add(run_id)
                self._runs[run_id] = user_run_id
                self._run_experiments[run_id] = user_experiment_id
                return user_run_id
            self._warn(
                f"the active MLflow run is on {user_uri!r}, not on {self.tracking_uri!r}; "
                "autolog logs to a new run there instead"
            )
        tags = {RUN_ID_TAG: run_id}
        parent = start.parent_run_id
        if parent is not None and (parent in self._runs or parent in self._starts):
            tags[PARENT_TAG] = self._mlflow_run_id(parent)
            experiment_id = self._run_experiments[parent]
        else:
            experiment_id = self._experiment_id(start.experiment or "Default")
        mlflow_run_id = None
        if run_id in self._may_exist:  # a create whose reply was lost may have succeeded
            mlflow_run_id = self._find_run(experiment_id, run_id)
        self._may_exist.add(run_id)
        if mlflow_run_id is None:
            created = client.create_run(
                experiment_id, start_time=int(start.start_time * 1000), tags=tags, run_name=start.name or None
            )
            mlflow_run_id = created.info.run_id
            self._created.add(run_id)
        self._runs[run_id] = mlflow_run_id
        self._run_experiments[run_id] = experiment_id
        return mlflow_run_id

    def _experiment_id(self, name: str) -> str:
        known = self._experiments.get(name)
        if known is not None:
            return known
        from mlflow.exceptions import MlflowException

        client = self._client
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            try:
                experiment_id = client.create_experiment(name)
            except MlflowException as exc:  # created meanwhile by another process
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
                experiment_id = client.get_experiment_by_name(name).experiment_id
        else:
            experiment_id = experiment.experiment_id
            if experiment.lifecycle_stage == "deleted":
                self._warn(f"restoring the deleted MLflow experiment {name!r} to log into it")
                client.restore_experiment(experiment_id)
        self._experiments[name] = experiment_id
        return experiment_id

    def _find_run(self, experiment_id: str, run_id: str) -> str | None:
        if "'" in run_id or "\\" in run_id:
            return None
        found = self._client.search_runs(
            [experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{run_id}'", max_results=1
        )
        return found[0].info.run_id if found else None

    def _log_params_batch(self, run_id: str, mlflow_run_id: str, batch: Mapping[str, str]) -> None:
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException

        sent = self._params[run_id]
        for chunk in self._entry_chunks(batch):
            try:
                self._client.log_batch(mlflow_run_id, params=[Param(k, v) for k, v in chunk])
            except MlflowException as exc:
                if "Changing param values is not allowed" not in str(exc):
                    raise
                # The run already has some of these keys (the user's own run, or a lost reply).
                existing = self._client.get_run(mlflow_run_id).data.params
                rest = []
                for key, value in chunk:
                    if key in existing:
                        sent[key] = existing[key]
                        if existing[key] != value:
                            self._param_conflict(run_id, key, existing[key], value)
                    else:
                        rest.append(Param(key, value))
                if rest:
                    self._client.log_batch(mlflow_run_id, params=rest)
            sent.update(chunk)

    def _entry_chunks(self, entries: Mapping[str, str]) -> list[list[tuple[str, str]]]:
        limits = self._limits
        items = list(entries.items())
        size = lambda item: entry_size(*item)  # noqa: E731
        return list(chunked(items, limits.max_params_tags_per_batch, limits.max_request_bytes, size))

    def _upload_text(self, mlflow_run_id: str, artifact_file: str, text: str) -> None:
        directory, _, filename = artifact_file.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="autolog-mlflow-") as tmp:
            local = os.path.join(tmp, filename)
            with open(local, "w", encoding="utf-8") as fh:
                fh.write(text)
            self._client.log_artifact(mlflow_run_id, local, directory or None)

    def _register(self, name: str, mlflow_run_id: str, path: str, model_id: str | None = None) -> str:
        """Register the model (``models:/<model_id>``, else ``runs:/<run>/<path>``) as a new
        version of ``name`` (or find the one a lost reply created) and return the version."""
        from mlflow.exceptions import MlflowException

        client = self._client
        source = f"models:/{model_id}" if model_id else f"runs:/{mlflow_run_id}/{path}"
        if name not in self._registered_models:
            try:
                client.create_registered_model(name)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            self._registered_models.add(name)
        if "'" not in name:
            for version in client.search_model_versions(f"name='{name}' and run_id='{mlflow_run_id}'"):
                if version.source == source:
                    return str(version.version)
        extra = {"model_id": model_id} if model_id else {}
        return str(client.create_model_version(name, source, run_id=mlflow_run_id, await_creation_for=0, **extra).version)

    def _resume(self, call: tuple[Any, ...]) -> dict[Any, Any]:
        """What a failed earlier attempt of this same ``call`` finished (empty for a new call)."""
        if self._partial is not None and self._partial[0] == call:
            return self._partial[1]
        self._partial = (call, {})
        return self._partial[1]

    def _key(self, key: str) -> str:
        cleaned = sanitize_key(key, self._limits.max_key_length)
        if cleaned != key:
            self._warn(
                f"MLflow does not accept the name {key!r}; it is logged as {cleaned!r} (the suffix "
                "keeps it apart from every other key)",
                once=f"sanitize:{key}",
            )
        return cleaned

    def _param_conflict(self, run_id: str, key: str, kept: str, dropped: str) -> None:
        self._warn(
            f"param {key!r} of run {run_id} was logged again with another value "
            f"({dropped[:100]!r}); MLflow keeps the first ({kept[:100]!r})",
            once=f"param:{run_id}:{key}",
        )

    def _forget(self, run_id: str) -> None:
        self._starts.pop(run_id, None)
        self._step_metrics.forget(run_id)
        self._params.pop(run_id, None)
        self._user_runs.pop(run_id, None)
        self._may_exist.discard(run_id)
        self._attached.discard(run_id)
        self._created.discard(run_id)

    def _warn(self, message: str, once: str | None = None) -> None:

        warn_once(f"mlflow:{once or message}", f"autolog: mlflow backend: {message}")


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
