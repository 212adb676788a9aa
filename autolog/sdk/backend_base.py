"""The backend contract: :class:`Backend` takes whole batches; :class:`RecordBackend` adapts a
system that thinks in calls (start a run, log params, log metrics, ...).

Only the dispatcher calls a backend, always from one thread of its own (its *lane*), so a
backend needs no locking and may block: a slow or hung backend delays nobody else. A backend
imports its SDK lazily (inside methods) so that ``import autolog`` stays light.

**Writing one, in one sitting.** Subclass :class:`RecordBackend` and implement what your system
supports of ``start_run``, ``log_params``, ``set_tags``, ``log_metrics``, ``log_artifact``,
``log_model``, ``log_plot``, ``log_dataset``, ``end_run``; or subclass :class:`Backend` and
implement ``write_batch`` alone (atomic: a failed batch is retried whole). Then ``flush``,
``close``, ``is_transient`` if you like. The dispatcher and the contract test suite both deliver
through :meth:`Backend.plan_delivery`, so what the tests check is what production does.

**The rules every backend can rely on:**

* a run's records arrive in the order they were logged, its ``RunStart`` first;
* records for a run *after it ended* (late records: a post-training metric, an evaluation after
  ``train()``) are delivered like any other and must be accepted;
* records for a run this backend never saw start (its ``RunStart`` went to another dispatcher,
  before a reconfiguration) are **never** delivered: the dispatcher drops and counts them, so
  no backend invents runs and none is put aside for it;
* a ``RunStart`` with ``attach=True`` names a run another process owns (``AUTOLOG_RUN_ID``):
  find it (or, if your system cannot, create it) and log into it; the matching ``RunEnd`` has
  ``detach=True``: release what you hold for the run and leave its status to its owner;
* a failed call is retried with back-off only when :meth:`Backend.is_transient` says so (network
  trouble); a lane resumes exactly at the failed call, so nothing is delivered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from autolog.records import Artifact, DatasetInput, Metric, ModelRecord, Plot, Record, RunEnd, RunStart
    from autolog.sdk.registry import ModelRegistry

class BackendUnavailable(Exception):
    """Raised by a backend that cannot work at all in this process (its folder is read-only, its
    credentials are refused): the dispatcher puts it aside at once, with this message in one
    warning, instead of retrying. Other backends are not affected."""


#: One delivery: (method name, bound method, its arguments, the records it carries).
Call = tuple[str, Callable[..., Any], tuple[Any, ...], list["Record"]]


class Backend:
    """Base class of every tracking backend: one system, fed whole batches by its lane."""

    #: Short name used in messages and in ``autolog(backends=[...])``.
    name: ClassVar[str] = "backend"
    #: True for a local journal (the embedded store): loggers are slowed to its writing speed
    #: rather than let unwritten records pile up (bounding what a hard kill can lose). Remote
    #: backends leave it False: a slow server never slows training.
    journal: ClassVar[bool] = False
    #: True when a :class:`~autolog.records.ModelRecord` whose files are in memory
    #: (``record.files``) may reach it; otherwise the dispatcher hands it a staged directory.
    accepts_model_files: ClassVar[bool] = False

    def on_run_start(self, run: RunStart) -> None:
        """Called *synchronously in the caller's thread* just before a run's first record is queued.

        For the rare thing that only the caller's thread can see (MLflow's active run is
        thread-local). Keep it to a few microseconds; errors here disable nothing, they warn.
        """

    def write_batch(self, batch: Sequence[Record]) -> None:
        """Store a whole batch, atomically (a failure is retried whole). Required."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement write_batch(), or subclass "
            "autolog.sdk.RecordBackend and implement the per-record methods"
        )

    def plan_delivery(self, batch: Sequence[Record]) -> list[Call]:
        """How a batch is delivered: here one ``write_batch`` call; :class:`RecordBackend` groups
        it into per-record calls. Each call is retried on its own."""
        return [("write_batch", self.write_batch, (batch,), list(batch))]

    def flush(self) -> None:
        """Make everything received so far durable (called by ``autolog.flush`` and at exit)."""

    def close(self) -> None:
        """Release resources. Called once, after the final flush."""

    def is_transient(self, exc: BaseException) -> bool:
        """Whether a failed call is worth retrying with back-off (network trouble, a busy server).

        Other errors fail the call at once (its records are reported undelivered); five in a row
        disable the backend. Override for an SDK's own connection errors.
        """
        return isinstance(exc, (OSError, TimeoutError))

    def delivered_run_id(self, run_id: str) -> str | None:
        """The tracking system's own id of autolog run ``run_id``, once this backend created or
        found it there (MLflow's run id); None when it has none of its own. ``autolog sync``
        keeps it, so that the next sync of the run continues that run."""
        return None

    def reattach_run(self, run_id: str, target_run_id: str | None) -> None:
        """Called by ``autolog sync`` before it replays more of a run this target may hold already:
        log into that run rather than creating another. ``target_run_id`` is what
        :meth:`delivered_run_id` said before; None when unknown (a sync interrupted before
        recording it, or a run delivered live): find the run if it exists. The default does
        nothing: right for backends whose runs are named by autolog's id (W&B, TensorBoard)."""

    def model_registry(self) -> ModelRegistry | None:
        """The tracking system's model registry, where ``autolog sync`` sends the local store's
        registered versions and aliases (see :mod:`autolog.sdk.registry`); None (the default)
        when the system has none: the sync then sends nothing registry-related."""
        return None

    def describe(self) -> dict[str, Any]:
        """A small dict for messages (where the data goes)."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class RecordBackend(Backend):
    """The adapter for per-record systems: implement the methods below that yours supports.

    :meth:`plan_delivery` groups each batch into as few calls as possible (consecutive metric points of
    one run become one ``log_metrics``, placed before that run's next other record), keeping each
    run's order; :meth:`write_batch` makes those calls in order (tests and tools may use it).
    """

    def start_run(self, run: RunStart) -> None:
        """Create (or attach to) the run ``run.run_id`` in the tracking system."""

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        """Record hyperparameters (string values; each key arrives once per run)."""

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Record or update tags."""

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """Record a batch of metric points of one run, in emission order."""

    def log_artifact(self, artifact: Artifact) -> None:
        """Copy a file or directory into the run's artifact store."""

    def log_model(self, model: ModelRecord) -> None:
        """Record a model. The default stores its directory as an artifact at ``artifact_path``."""
        from autolog.records import Artifact, ArtifactKind

        self.log_artifact(Artifact(model.run_id, model.local_path, model.artifact_path, ArtifactKind.MODEL))

    def log_plot(self, plot: Plot) -> None:
        """Record a plot given as data. The default renders it to ``<artifact_path>.png`` (with
        matplotlib, where installed; else the spec is stored as ``.json``) and logs that file."""
        import os
        import shutil
        import tempfile

        from autolog import plots
        from autolog.records import Artifact, ArtifactKind

        folder = tempfile.mkdtemp(prefix="autolog-plot-")
        try:
            name = os.path.basename(plot.artifact_path) or "plot"
            if plots.available():
                path = plots.render_png(plot.spec, os.path.join(folder, name + ".png"))
            else:
                path = os.path.join(folder, name + ".json")
                plots.write_spec(plot.spec, path)
            suffix = os.path.splitext(path)[1]
            self.log_artifact(Artifact(plot.run_id, path, plot.artifact_path + suffix, ArtifactKind.PLOT, staged=True))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def log_dataset(self, dataset: DatasetInput) -> None:
        """Record a dataset the run used (name, digest, context). The default ignores it."""

    def end_run(self, end: RunEnd) -> None:
        """Mark the run ended with ``end.status``."""

    def plan_delivery(self, batch: Sequence[Record]) -> list[Call]:
        return [(name, getattr(self, name), args, records) for name, args, records in plan_calls(batch)]

    def write_batch(self, batch: Sequence[Record]) -> None:
        for _name, method, args, _records in self.plan_delivery(batch):
            method(*args)


def implements_write_batch(backend: Backend) -> bool:
    """Whether ``backend`` can receive batches (a :class:`RecordBackend`, or ``write_batch``)."""
    return isinstance(backend, RecordBackend) or type(backend).write_batch is not Backend.write_batch


def plan_calls(records: Sequence[Record]) -> list[tuple[str, tuple[Any, ...], list[Record]]]:
    """Group a batch into as few per-record calls as possible, keeping each run's order.

    Metric points of a run are held back and sent as one ``log_metrics`` call just before that
    run's next non-metric record (or at the end), so ``end_run`` always follows its metrics.
    Returns ``(method name, args, the records the call carries)`` triples.
    """
    from autolog.records import Artifact, DatasetInput, Metric, ModelRecord, Params, Plot, RunEnd, RunStart, Tags

    calls: list[tuple[str, tuple[Any, ...], list[Record]]] = []
    pending: dict[str, list[Metric]] = {}

    def release(run_id: str) -> None:
        points = pending.pop(run_id, None)
        if points:
            calls.append(("log_metrics", (run_id, points), list(points)))

    single = {RunStart: "start_run", RunEnd: "end_run", Artifact: "log_artifact", ModelRecord: "log_model",
              Plot: "log_plot", DatasetInput: "log_dataset"}
    for record in records:
        kind = type(record)
        if kind is Metric:
            pending.setdefault(record.run_id, []).append(record)  # type: ignore[arg-type]
            continue
        release(record.run_id)
        if kind is Params:
            calls.append(("log_params", (record.run_id, record.params), [record]))  # type: ignore[union-attr]
        elif kind is Tags:
            calls.append(("set_tags", (record.run_id, record.tags), [record]))  # type: ignore[union-attr]
        elif kind in single:
            calls.append((single[kind], (record,), [record]))
    for run_id in list(pending):
        release(run_id)
    return calls
