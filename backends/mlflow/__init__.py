"""The MLflow backend: ``autolog(backends=["mlflow"])`` sends every run to an MLflow tracking server.

Where to: the ``tracking_uri`` option (``backend_options={"mlflow": {"tracking_uri": ...}}``), else
``MLFLOW_TRACKING_URI``, else MLflow's default (``mlflow.get_tracking_uri()``). Any URI MLflow's
client takes works: ``http(s)://`` servers, ``sqlite:///`` files, Databricks.

How records map onto MLflow:

* **Runs.** An autolog experiment is the MLflow experiment of that name (created when missing, a
  deleted one restored). Run name, start and end time and status (``FINISHED``/``FAILED``/
  ``KILLED``) map one to one. Every MLflow run autolog creates carries the tag ``autolog.run_id``;
  a child run is created in its parent's experiment with ``mlflow.parentRunId`` set to the
  parent's MLflow run id. When the user's thread has an active MLflow run (``with
  mlflow.start_run():``) on the same tracking URI, an autolog top-level run logs into that run
  instead of creating one, and never ends it. A run resumed from a checkpoint
  (``RunStart.resume_step``) reopens its MLflow run, found by its ``autolog.run_id`` tag; MLflow
  cannot delete metric points, so those the interrupted attempt logged after that step remain.
  A process *attached* to a run another process owns (``AUTOLOG_RUN_ID``, ``autolog.run(run_id=
  ...)``) finds that run's MLflow run the same way (by its ``autolog.run_id`` tag, in the
  experiment it names) and never ends it; when there is none (the owner does not log to this
  server) it creates one and ends it with its own outcome when it detaches.
* **Names.** Metric, param and tag keys MLflow rejects are rewritten the same way every time:
  each character other than a word character, ``.``, ``-``, space or ``/`` becomes ``_`` (a colon
  too, since Windows servers refuse it); empty and ``.`` path segments are dropped and ``..``
  becomes ``__`` (``"a//b"`` → ``"a/b"``, ``"/x"`` → ``"x"``); an empty key is ``_``; a key over
  250 characters keeps its head and ends in ``_`` plus 8 hex digits of its SHA-1. One warning
  names the first key rewritten. Two keys that rewrite to the same name share it.
* **Values.** A param value over MLflow's limit (6000 characters in MLflow 3, read from
  ``mlflow.utils.validation``) is stored cut to the limit and ending in ``...(truncated, N chars)``; the
  full value goes to the artifact ``params/<key>.txt``. Tag values over 8000 characters are cut
  the same way. A param logged again with another value keeps the first and warns once.
* **Batching.** ``log_batch`` requests hold at most 1,000 metrics or 100 params or 100 tags and
  stay under 0.9 MB.
* **Artifacts** land where the local store puts them: a file at ``artifact_path`` itself (renamed
  if need be), a directory's contents under it; without a path, under the source's base name.
* **Models.** An ``sklearn`` model is re-saved with ``mlflow.sklearn.save_model`` (plain pickle,
  signature and input example converted) at its ``artifact_path``, so ``mlflow.sklearn.load_model``
  and ``mlflow.pyfunc.load_model("runs:/<run>/<path>")`` load it; ``autolog-model.json`` sits
  beside MLflow's files, its ``model.pkl`` being MLflow's (the same pickle), so
  ``autolog.load_model`` reads the directory too (any other name clash is resolved by an
  ``autolog-`` prefix recorded in ``autolog-model.json``). A ``transformers`` model (a
  Trainer's, or ``autolog.log_model``'s) is re-saved with ``mlflow.transformers.save_model`` as
  a ``{"model", "tokenizer"}`` pipeline (task from the model class) into an MLflow 3
  LoggedModel of the run, named by its path and linked at its step with that step's metrics;
  MLflow resolves ``runs:/<run>/<path>`` to it, and its ``autolog-model.json`` points into
  MLflow's ``model/`` and ``components/tokenizer/`` folders (weights stored once). Each Trainer
  checkpoint artifact also becomes a LoggedModel ``checkpoint-<step>`` (see
  :mod:`._logged_models`). Other flavors are uploaded as the directory autolog wrote. With
  ``registered_model_name`` (or a model's own, from ``autolog.log_model(...,
  registered_model_name=)``) each model becomes a new registered version (source
  ``models:/<model_id>`` for a LoggedModel), and with ``registered_model_alias`` that alias moves
  to it. No stage transitions.

Failures: a call raises when the server is unreachable or refuses it; ``is_transient`` tells the
dispatcher to retry network errors and 5xx/408/429 answers (not a 4xx refusal). Retries do not
duplicate: a created run is remembered at once (and found again by its ``autolog.run_id`` tag if
the reply was lost), a metric batch resumes at the chunk that failed, a model is uploaded and
registered once. So that the dispatcher's back-off is in charge rather than MLflow's own (seven
retries, minutes), the first use sets ``MLFLOW_HTTP_REQUEST_MAX_RETRIES=1``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=1`` and ``MLFLOW_HTTP_REQUEST_TIMEOUT=30`` in ``os.environ``
where they are unset (they apply process-wide; set them yourself to override).

Ending a run goes through ``MlflowClient.set_terminated``, which prints MLflow's usual "View run"
links for ``http(s)://`` servers; ``MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true`` silences them.

mlflow is imported on first use, never by ``import autolog``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autolog.sdk import hookimpl

from ._backend import HTTP_DEFAULTS, RUN_ID_TAG, MlflowBackend
from ._limits import TRUNCATION_MARKER, sanitize_key

if TYPE_CHECKING:
    from autolog.sdk import Config


@hookimpl
def autolog_make_backend(name: str, config: Config) -> MlflowBackend | None:
    """Build the MLflow backend for ``autolog(backends=["mlflow"])``."""
    if name == "mlflow":
        opts = dict(config.backend_options.get("mlflow", {}))
        opts.setdefault("registered_model_name", config.registered_model_name)
        opts.setdefault("registered_model_alias", config.registered_model_alias)
        return MlflowBackend(**opts)
    return None


__all__ = [
    "HTTP_DEFAULTS",
    "RUN_ID_TAG",
    "TRUNCATION_MARKER",
    "MlflowBackend",
    "autolog_make_backend",
    "sanitize_key",
]
