"""The ``Backend`` base class: one tracking system, fed by the dispatcher.

Only the dispatcher calls a backend, always from one worker thread of its own (its *lane*), so a
backend needs no locking and may block: a slow or hung backend delays nobody else. A backend
imports its SDK lazily (inside methods) so that ``import autolog`` stays light.

Two ways to receive records:

* implement the fine-grained methods (``start_run``, ``log_params``, ``log_metrics``, ...): the
  lane groups each batch into as few calls as possible (consecutive metric points of one run
  become one ``log_metrics`` call) and retries a failing call with back-off, resuming exactly
  where it failed, so nothing is delivered twice;
* or override ``write_batch`` to take a whole batch at once (the local store writes one SQLite
  transaction per batch). A failing ``write_batch`` is retried whole, so it must be atomic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

if TYPE_CHECKING:
    from autolog.records import Artifact, DatasetInput, Metric, ModelRecord, Plot, Record, RunEnd, RunStart


class Backend:
    """Base class of every tracking backend. Subclasses override what their system supports."""

    #: Short name used in messages and in ``autolog(backends=[...])``.
    name: ClassVar[str] = "backend"
    #: True for a local journal (the embedded store): loggers are slowed to its writing speed
    #: rather than let unwritten records pile up (bounding what a hard kill can lose). Remote
    #: backends leave it False: a slow server never slows training.
    journal: ClassVar[bool] = False
    #: True when ``log_model`` takes a :class:`~autolog.records.ModelRecord` whose files are in
    #: memory (``record.files``); otherwise the dispatcher hands it a staged directory.
    accepts_model_files: ClassVar[bool] = False

    def on_run_start(self, run: "RunStart") -> None:
        """Called *synchronously in the caller's thread* just before a run's first record is queued.

        For the rare thing that only the caller's thread can see (MLflow's active run is
        thread-local). Keep it to a few microseconds; errors here disable nothing, they warn.
        """

    def start_run(self, run: "RunStart") -> None:
        """Create (or attach to) the run ``run.run_id`` in the tracking system."""

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        """Record hyperparameters (string values; each key arrives once per run)."""

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Record or update tags."""

    def log_metrics(self, run_id: str, metrics: Sequence["Metric"]) -> None:
        """Record a batch of metric points of one run, in emission order."""

    def log_artifact(self, artifact: "Artifact") -> None:
        """Copy a file or directory into the run's artifact store."""

    def log_model(self, model: "ModelRecord") -> None:
        """Record a model. The default stores its directory as an artifact at ``artifact_path``."""
        from autolog.records import Artifact, ArtifactKind

        self.log_artifact(
            Artifact(model.run_id, model.local_path, model.artifact_path, ArtifactKind.MODEL)
        )

    def log_plot(self, plot: "Plot") -> None:
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

    def log_dataset(self, dataset: "DatasetInput") -> None:
        """Record a dataset the run used (name, digest, context). The default ignores it."""

    def end_run(self, end: "RunEnd") -> None:
        """Mark the run ended with ``end.status``."""

    def write_batch(self, batch: Sequence["Record"]) -> None:
        """Optional: receive a whole batch atomically instead of the fine-grained calls."""
        raise NotImplementedError

    def flush(self) -> None:
        """Make everything received so far durable (called by ``autolog.flush`` and at exit)."""

    def close(self) -> None:
        """Release resources. Called once, after the final flush."""

    def is_transient(self, exc: BaseException) -> bool:
        """Whether a failed call is worth retrying with back-off (network trouble, a busy server).

        Other errors fail the call at once (its records are reported undelivered); repeated
        failures put the backend aside. Override for an SDK's own connection errors.
        """
        return isinstance(exc, (OSError, TimeoutError))

    def describe(self) -> dict[str, Any]:
        """A small dict for messages and ``autolog status`` (where the data goes)."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def overrides_write_batch(backend: Backend) -> bool:
    """True when ``backend`` takes whole batches."""
    return type(backend).write_batch is not Backend.write_batch
