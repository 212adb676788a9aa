"""The Weights & Biases backend: one W&B run per autolog run, through the ``wandb`` library.

Where the run goes: ``project`` argument, else ``WANDB_PROJECT``, else the autolog experiment
name; ``entity`` argument, else ``WANDB_ENTITY``; ``dir``/``mode`` arguments, else wandb's own
settings (``WANDB_DIR``, ``WANDB_MODE``, ``wandb offline``). When no mode is configured and no
credentials are found (``WANDB_API_KEY``, ``wandb login``'s netrc entry), runs are written
offline with one warning - never a prompt, never a failure; ``wandb sync`` uploads them later.
Runs are created with ``reinit="create_new"``, so several can be open at once and the global
``wandb.run`` is left alone. The W&B run id is the autolog run id (W&B's reserved characters
replaced) and ``resume="allow"`` is passed, so a resumed autolog run continues the same W&B run.

What each record becomes:

* params: ``run.config`` (``allow_val_change=False``); strings that are numbers or booleans are
  stored as such (only when ``str()`` gives the string back) so W&B plots and sweeps can use them.
  A later, different value for a param is refused with one warning, like MLflow;
* tags: all of them under the config key ``autolog_tags`` (a dict, updated as tags change, so the
  runs table can filter and group by ``autolog_tags.<key>``), and each one that fits W&B's 64
  characters also as a run tag ``"key:value"``;
* metrics: transformers' ``WandbCallback`` naming - ``eval_x`` -> ``eval/x``, ``test_x`` ->
  ``test/x``, ``val_x`` -> ``val/x``, ``train_x`` -> ``train/x``, any other key -> ``train/<key>``,
  keys holding a ``/`` unchanged (``prefix_metrics=False`` keeps every key as it is). The autolog
  step is logged as ``train/global_step`` in each row and defined as every metric's x-axis
  (``define_metric("*", step_metric="train/global_step", step_sync=True)``); points of one step
  that arrive together become one ``run.log`` row. W&B's summary keeps each metric's last value;
  the run end adds ``status`` (FINISHED / FAILED / KILLED) to it;
* artifacts: ``wandb.Artifact`` logged with the record's aliases. Checkpoints are versions of
  ``checkpoint-<run id>`` (type ``model``, aliased with the checkpoint's folder name, as
  transformers does); models are ``model-<run id>`` (type ``model``, with flavor, signature,
  input example and requirements as metadata); other files are ``run-<run id>-<path>`` (type
  ``dataset`` for data, ``file`` otherwise). A directory's files sit at the artifact's root, a
  file under its destination's base name; the destination (``artifact_path``, else the source's
  base name, as in the local store) is kept in the artifact's metadata as ``artifact_path``;
* run end: ``run.finish(exit_code=0)`` when FINISHED, ``exit_code=1`` otherwise;
* a child run (``parent_run_id``) joins the W&B ``group`` named after its parent run.

wandb stops its service in an ``atexit`` hook; autolog's exit work (ending open runs, delivering
what is queued) runs before every ``atexit`` hook (see ``autolog._exit``), so W&B runs are
finished while its service still answers.

A run the user opened with ``wandb.init()`` (``wandb.run`` set when an autolog run starts)
receives that autolog run's records instead of a new run; autolog never finishes it, defines the
step axis only for the keys it logs, and does not write ``status`` into its summary. Resuming
from a checkpoint (``RunStart.resume_step``) continues the same W&B run but cannot rewind its
history offline: rows after the checkpoint's step stay, and the ``train/global_step`` axis shows
both attempts.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from autolog.sdk import Backend, RecordBackend, artifact_destination, hookimpl, warn_once

if TYPE_CHECKING:
    from autolog.sdk import Artifact, Config, Metric, ModelRecord, RunEnd, RunStart

#: the x-axis of every metric, as transformers' WandbCallback names it
STEP_KEY = "train/global_step"
#: config key holding the run's autolog tags
TAGS_CONFIG_KEY = "autolog_tags"
_PREFIXES = (("eval_", "eval/"), ("test_", "test/"), ("val_", "val/"), ("train_", "train/"))
_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PROJECT_UNSAFE = re.compile(r"[/\\#?%:]+")
_MAX_TAG = 64


def metric_key(key: str) -> str:
    """The W&B name of an autolog metric key (see the module docstring)."""
    if "/" in key:
        return key
    for prefix, section in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return section + key[len(prefix) :]
    return "train/" + key


def config_value(value: str) -> bool | int | float | str:
    """A param string as a typed config value, only when ``str()`` of it gives the string back."""
    if value in ("True", "False"):
        return value == "True"
    for kind in (int, float):
        try:
            typed = kind(value)
        except ValueError:
            continue
        if str(typed) == value and (kind is int or math.isfinite(typed)):
            return typed
    return value


def wandb_run_id(run_id: str) -> str:
    """``run_id`` with characters W&B reserves replaced (autolog's own ids are hex already)."""
    return _RUN_ID_UNSAFE.sub("-", run_id).strip("-")[:64] or "run"


@dataclass
class _RunState:
    """A W&B run receiving one autolog run's records."""

    run: Any
    owned: bool
    #: keys given the step axis one by one (user-opened runs only; owned runs use "*")
    defined: set[str] = field(default_factory=set)


class WandbBackend(RecordBackend):
    """Sends each autolog run to a W&B run (see the module docstring for the mapping)."""

    name = "wandb"

    def __init__(
        self,
        project: str | None = None,
        entity: str | None = None,
        dir: str | None = None,
        mode: str | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
        prefix_metrics: bool = True,
    ) -> None:
        self.project = project
        self.entity = entity
        self.dir = os.path.abspath(os.path.expanduser(dir)) if dir else None
        self.mode = mode
        self.settings = dict(settings or {})
        self.prefix_metrics = prefix_metrics
        self._runs: dict[str, _RunState] = {}
        self._user_runs: dict[str, Any] = {}
        #: how ended runs started, so a late record (post-training metric) resumes the same run
        self._ended: dict[str, RunStart] = {}
        self._started: dict[str, RunStart] = {}
        self._resolved_mode: str | None = None
        self._mode_resolved = False

    # -- lifecycle ------------------------------------------------------------------------------
    def on_run_start(self, run: RunStart) -> None:
        """Note a W&B run the user opened (``wandb.run``), in the user's thread, without importing wandb."""
        module = sys.modules.get("wandb")
        user_run = getattr(module, "run", None) if module is not None else None
        if user_run is not None:
            self._user_runs[run.run_id] = user_run

    def start_run(self, run: RunStart) -> None:
        if run.run_id in self._runs:
            return
        user_run = self._user_runs.pop(run.run_id, None)
        if user_run is not None and not _finished(user_run):
            state = _RunState(user_run, owned=False)
            self._runs[run.run_id] = state
            if run.tags:
                self.set_tags(run.run_id, run.tags)
            return
        self._runs[run.run_id] = self._init(run)
        self._ended.pop(run.run_id, None)
        self._started[run.run_id] = run

    def end_run(self, end: RunEnd) -> None:
        state = self._runs.pop(end.run_id, None)
        started = self._started.pop(end.run_id, None)
        if state is None or not state.owned:
            return
        if started is not None:
            self._ended[end.run_id] = started
        if getattr(end, "detach", False):  # another process owns the run: close this handle only
            state.run.finish(exit_code=0)
            return
        status = getattr(end.status, "value", str(end.status))
        state.run.summary["status"] = status
        state.run.finish(exit_code=0 if status == "FINISHED" else 1)

    def flush(self) -> None:
        """Nothing to do: the wandb service persists what it received on its own schedule."""

    def close(self) -> None:
        """Finish the runs autolog opened and never saw end (wandb would mark them crashed)."""
        for state in self._runs.values():
            if state.owned:
                state.run.finish()
        self._runs.clear()
        self._user_runs.clear()

    def is_transient(self, exc: BaseException) -> bool:
        """wandb's network errors are worth retrying; nothing is once its service was torn down."""
        if _service_torn_down():
            return False
        comm_error = getattr(sys.modules.get("wandb.errors"), "CommError", None)
        return super().is_transient(exc) or (comm_error is not None and isinstance(exc, comm_error))

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name}
        for key in ("project", "entity", "dir", "mode"):
            if getattr(self, key):
                info[key] = getattr(self, key)
        return info

    # -- data -----------------------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        run = self._state(run_id).run
        values = {key: config_value(value) for key, value in params.items()}
        missing = object()
        changed = [k for k, v in values.items() if run.config.get(k, missing) not in (missing, v)]
        if changed:
            _warn(
                f"run {run.id} already has different values for {sorted(changed)}; the new values "
                "were not logged (params are immutable)."
            )
            for key in changed:
                del values[key]
        if values:
            run.config.update(values, allow_val_change=False)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        run = self._state(run_id).run
        merged = {**(run.config.get(TAGS_CONFIG_KEY) or {}), **tags}
        run.config.update({TAGS_CONFIG_KEY: merged}, allow_val_change=True)
        run_tags = [t for t in run.tags or () if t.partition(":")[0] not in tags]
        run_tags.extend(f"{k}:{v}" for k, v in tags.items() if len(f"{k}:{v}") <= _MAX_TAG)
        run.tags = tuple(run_tags)

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        state = self._state(run_id)
        run = state.run
        rename = metric_key if self.prefix_metrics else str
        row: dict[str, Any] = {}
        step: int | None = None
        for point in metrics:
            key = rename(point.key)
            if key == STEP_KEY:
                continue
            if row and (point.step != step or key in row):
                run.log(row)
                row = {}
            if not row:
                step = point.step
                row[STEP_KEY] = step
            if not state.owned and key not in state.defined:
                self._define_step_axis(state, key)
            row[key] = point.value
        if row:
            run.log(row)

    def log_artifact(self, artifact: Artifact) -> None:
        kind = getattr(artifact.kind, "value", str(artifact.kind))
        path = artifact.local_path
        if not os.path.exists(path):
            _warn(f"artifact {path!r} no longer exists; not logged to W&B.")
            return
        state = self._state(artifact.run_id)
        try:
            logical = artifact_destination(path, artifact.artifact_path)  # the SDK's one rule
        except ValueError:
            logical = (artifact.artifact_path or "").strip("/") or os.path.basename(os.path.normpath(path))
        aliases = list(artifact.aliases)
        wid = state.run.id
        if kind == "checkpoint":
            name, art_type = f"checkpoint-{wid}", "model"
            aliases.append(logical.rsplit("/", 1)[-1])
        elif kind == "model":
            name, art_type = _model_artifact_name(wid, logical), "model"
        else:
            name, art_type = f"run-{wid}-{logical}", "file"
        metadata = {"autolog_run_id": artifact.run_id, "artifact_path": logical, "kind": kind}
        self._log_files(state.run, name, art_type, path, metadata, aliases)

    def log_model(self, model: ModelRecord) -> None:
        state = self._state(model.run_id)
        metadata = {
            "autolog_run_id": model.run_id,
            "artifact_path": model.artifact_path.strip("/"),
            "kind": "model",
            "flavor": model.flavor,
            "signature": model.signature,
            "input_example": model.input_example,
            "requirements": list(model.requirements),
            "metadata": dict(model.metadata),
        }
        name = _model_artifact_name(state.run.id, model.artifact_path)
        self._log_files(state.run, name, "model", model.local_path, metadata, [])

    # -- helpers --------------------------------------------------------------------------------
    def _state(self, run_id: str) -> _RunState:
        """The run's state. A late record (the run ended: a post-training metric, an evaluation
        after ``train()``) resumes that W&B run by its id; the dispatcher never sends records of
        runs not started."""
        state = self._runs.get(run_id)
        if state is None:
            start = self._ended.pop(run_id, None)
            if start is None:
                raise LookupError(f"autolog run {run_id!r} was never started on the wandb backend")
            self.start_run(start)
            state = self._runs[run_id]
        return state

    def _init(self, start: RunStart) -> _RunState:
        import wandb

        parent = self._runs.get(start.parent_run_id) if start.parent_run_id else None
        group = (parent.run.name or parent.run.id) if parent else start.parent_run_id
        project = self.project or (None if os.environ.get("WANDB_PROJECT") else _project(start.experiment))
        tags = dict(start.tags)
        run = wandb.init(
            project=project,
            entity=self.entity,
            dir=self.dir,
            id=wandb_run_id(start.run_id),
            name=start.name or None,
            group=group,
            tags=[f"{k}:{v}" for k, v in tags.items() if len(f"{k}:{v}") <= _MAX_TAG],
            config={TAGS_CONFIG_KEY: tags} if tags else None,
            mode=cast(Any, self._mode()),
            resume="allow",
            reinit="create_new",
            settings=wandb.Settings(**self.settings) if self.settings else None,
        )
        run.define_metric(STEP_KEY)
        run.define_metric("*", step_metric=STEP_KEY, step_sync=True)
        return _RunState(run, owned=True)

    def _define_step_axis(self, state: _RunState, key: str) -> None:
        if not state.defined:
            state.run.define_metric(STEP_KEY)
        state.run.define_metric(key, step_metric=STEP_KEY, step_sync=True)
        state.defined.add(key)

    def _mode(self) -> str | None:
        """The mode for ``wandb.init``: ours, wandb's configured one (None), or offline without credentials."""
        if self.mode:
            return self.mode
        if not self._mode_resolved:
            self._mode_resolved = True
            if _configured_mode() in ("online", "run") and not _has_credentials():
                self._resolved_mode = "offline"
                _warn(
                    "no W&B credentials found (WANDB_API_KEY or `wandb login`) and no mode set; W&B "
                    "runs are written offline under "
                    f"{os.path.join(self.dir or os.environ.get('WANDB_DIR') or '.', 'wandb')} "
                    "(upload them later with `wandb sync`)."
                )
        return self._resolved_mode

    @staticmethod
    def _log_files(
        run: Any, name: str, art_type: str, path: str, metadata: Mapping[str, Any], aliases: list[str]
    ) -> None:
        import wandb

        is_dir = os.path.isdir(path)
        metadata = json.loads(json.dumps({**metadata, "is_dir": is_dir}, default=str))
        art = wandb.Artifact(_artifact_name(name), type=art_type, metadata=metadata)
        if is_dir:
            art.add_dir(path)
        else:
            art.add_file(path, name=metadata["artifact_path"].rsplit("/", 1)[-1])
        clean = [_ALIAS_UNSAFE.sub("-", a) for a in aliases if a]
        run.log_artifact(art, aliases=list(dict.fromkeys(["latest", *clean])))


_ALIAS_UNSAFE = re.compile(r"[/:]+")


def _warn(message: str) -> None:

    warn_once(f"wandb:{message}", f"autolog: wandb backend: {message}")


def _model_artifact_name(wid: str, artifact_path: str) -> str:
    path = artifact_path.strip("/")
    return f"model-{wid}" if path in ("", "model") else f"model-{wid}-{path}"


def _artifact_name(name: str) -> str:
    return _RUN_ID_UNSAFE.sub("-", name).strip("-")[:128]


def _project(experiment: str) -> str | None:
    return _PROJECT_UNSAFE.sub("-", experiment).strip()[:128] or None


def _finished(run: Any) -> bool:
    return bool(getattr(run, "_is_finished", False))


def _service_torn_down() -> bool:
    """Whether wandb's service connection was closed (by its exit hook or ``wandb.teardown``)."""
    setup = sys.modules.get("wandb.sdk.wandb_setup")
    singleton = getattr(setup, "_singleton", None)
    connection = getattr(singleton, "_connection", None)
    return bool(getattr(connection, "_torn_down", False))


def _configured_mode() -> str:
    """wandb's mode from its environment variables and settings files (``wandb offline``)."""
    try:
        import wandb

        return str(wandb.setup().settings.mode)
    except Exception:  # noqa: BLE001 - an unreadable settings file means "not configured"
        return os.environ.get("WANDB_MODE") or "online"


def _has_credentials() -> bool:
    """Whether wandb would find credentials without prompting: environment, session, netrc."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    import wandb

    try:
        base_url = wandb.setup().settings.base_url
    except Exception:  # noqa: BLE001 - unreadable settings: wandb itself will report them
        base_url = os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai"
    try:
        from wandb.sdk.lib.wbauth import authenticate, wbnetrc
    except ImportError:  # an older wandb: read the netrc file as it does
        return _netrc_has(base_url)
    try:
        return bool(authenticate.session_credentials(host=base_url) or wbnetrc.read_netrc_auth(host=base_url))
    except Exception:  # noqa: BLE001 - a malformed entry: wandb would not use it either
        return False


def _netrc_has(base_url: str) -> bool:
    import netrc

    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        return netrc.netrc(path).authenticators(urlsplit(base_url).hostname or "") is not None
    except (OSError, netrc.NetrcParseError):
        return False


@hookimpl
def autolog_make_backend(name: str, config: Config) -> Backend | None:
    """Build the W&B backend for ``backends=["wandb"]``.

    Options (``backend_options={"wandb": {...}}``): ``project``, ``entity``, ``dir``, ``mode``,
    ``settings`` (a dict of ``wandb.Settings`` fields) and ``prefix_metrics``.
    """
    if name == "wandb":
        return WandbBackend(**config.backend_options.get("wandb", {}))
    return None
