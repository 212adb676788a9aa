"""``AutologCallback``: records a Hugging Face ``Trainer`` run into autolog's backends.

``autolog.autolog()`` adds one to every Trainer (see ``_patch``); it can also be passed explicitly,
``Trainer(..., callbacks=[AutologCallback()])``, with no patching at all. Every event handler is
exception-safe: transformers calls callbacks with no isolation, so an error here becomes one
warning (raised under ``AUTOLOG_TESTING=1``) and training goes on.
"""

from __future__ import annotations

import os
import time
import weakref
from typing import TYPE_CHECKING, Any

from autolog.integrations.transformers import _capture, _checkpoints, _hp_search
from autolog.integrations.transformers import flavor as _model
from transformers.trainer_callback import TrainerCallback

from autolog.sdk import (
    AutologgedRun,
    Metric,
    ModelRecord,
    current_config,
    is_active,
    logging_here,
    on_exit,
    report_internal_error,
    start_autologged_run,
    status_for,
    warn_once,
    write_model_meta,
)

if TYPE_CHECKING:
    from transformers import TrainerControl, TrainerState, TrainingArguments

INTEGRATION = "transformers"

_DEFAULTS: dict[str, Any] = {
    "log_models": True,
    "log_checkpoints": "last",
    "log_input_examples": True,
    "log_signatures": True,
    "log_datasets": True,
}

#: ``report_to`` entries that are not tracking systems (no double logging to warn about).
_NOT_TRACKERS = frozenset({"none", "codecarbon"})

_to_float = _capture.to_float


class AutologCallback(TrainerCallback):
    """Records a Trainer's run: params, tags, metrics, checkpoints and the final model.

    Keyword options override ``autolog.autolog(transformers={...})`` and the top-level options
    (None means: use the configuration): ``log_models``, ``log_checkpoints`` (``"all"``,
    ``"last"``, ``"best"``, ``"none"``), ``log_input_examples``, ``log_signatures``,
    ``log_datasets``; ``run_name`` names new runs (default ``args.run_name``, else the model class).

    ``run_id`` is the id of the run of the latest ``train()``; ``trainer.evaluate()`` and
    ``trainer.predict()`` after training log their metrics into that run.
    """

    def __init__(
        self,
        *,
        log_models: bool | None = None,
        log_checkpoints: str | bool | None = None,
        log_input_examples: bool | None = None,
        log_signatures: bool | None = None,
        log_datasets: bool | None = None,
        run_name: str | None = None,
    ) -> None:
        options = {
            "log_models": log_models,
            "log_checkpoints": log_checkpoints,
            "log_input_examples": log_input_examples,
            "log_signatures": log_signatures,
            "log_datasets": log_datasets,
        }
        self._overrides = {k: v for k, v in options.items() if v is not None}
        self.run_name = run_name
        #: added by ``autolog.autolog()`` (records only while the integration is enabled)
        self._auto = False
        self._clear()

    def _clear(self) -> None:
        self._run: AutologgedRun | None = None
        self._training = False
        self._managed = False
        self._trainer_ref: weakref.ref[Any] | None = None
        self._resume_from: str | None = None
        self._emit: Any = None
        self._options: dict[str, Any] = {}
        self._first: _capture.FirstBatch | None = None
        self._checkpoints: _checkpoints.CheckpointLog | None = None
        self._saved: tuple[str, int] | None = None

    @property
    def run_id(self) -> str | None:
        """The id of the run the latest ``train()`` logged to (None before training)."""
        run = self._run
        return None if run is None else run.run_id

    # -- transformers events ------------------------------------------------------------------
    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        train_dataloader: Any = None,
        **kwargs: Any,
    ) -> None:
        try:
            self._begin(args, state, model, train_dataloader)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("transformers autologging (on_train_begin)", exc)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: Any = None,
        **kwargs: Any,
    ) -> None:
        # The hot path (every logging step): one float check and one queue append per value.
        run = self._run
        if run is None or not logs:
            return
        try:
            emit = self._emit if self._training else run.emit_late
            run_id = run.run_id
            step = state.global_step
            now = time.time()
            for key, value in logs.items():
                if type(value) is not float:
                    value = _to_float(value)
                    if value is None:
                        continue
                emit(Metric(run_id, key if type(key) is str else str(key), value, step, now))
        except Exception as exc:  # noqa: BLE001
            report_internal_error("transformers autologging (on_log)", exc)

    def on_predict(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: Any = None,
        **kwargs: Any,
    ) -> None:
        # predict() does not go through on_log; evaluate() does (so on_evaluate logs nothing).
        self.on_log(args, state, control, logs=metrics)

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        run = self._run
        if run is None or not self._training:
            return
        try:
            step = state.global_step
            folder = os.path.join(args.output_dir, f"checkpoint-{step}")
            if not os.path.isdir(folder):
                return
            _checkpoints.write_run_file(folder, run, step)
            self._saved = (folder, step)
            if self._checkpoints is not None:
                self._checkpoints.saved(folder, step, _is_best(state, step))
        except Exception as exc:  # noqa: BLE001
            report_internal_error("transformers autologging (on_save)", exc)

    def on_train_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        processing_class: Any = None,
        **kwargs: Any,
    ) -> None:
        if self._run is None or not self._training:
            return
        try:
            self._detach_first_batch()
            if self._checkpoints is not None:
                self._checkpoints.finish()
            if self._options.get("log_models"):
                processor = processing_class if processing_class is not None else kwargs.get("tokenizer")
                self._log_model(args, state, model, processor)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("transformers autologging (on_train_end)", exc)
        finally:
            if not self._managed:  # no patched train() around us: this is the end
                self._finish_safely(None)

    # -- called by the patched Trainer.train (see _patch) ---------------------------------------
    def _enter_train(self, trainer: Any, resume_from: str | None) -> None:
        self._managed = True
        self._trainer_ref = weakref.ref(trainer)
        self._resume_from = resume_from

    def _exit_train(self, exc: BaseException | None) -> None:
        try:
            self._finish(exc)
        finally:
            self._managed = False
            self._resume_from = None

    # -- the run ----------------------------------------------------------------------------------
    def _begin(self, args: Any, state: Any, model: Any, train_dataloader: Any) -> None:
        if self._training:  # the previous train() never reached on_train_end: it raised
            self._finish(RuntimeError("training did not finish"))
        managed, trainer_ref, resume_from = self._managed, self._trainer_ref, self._resume_from
        self._clear()
        self._managed, self._resume_from = managed, resume_from
        if not (state.is_world_process_zero and logging_here()):
            return
        if self._auto and not managed and not is_active(INTEGRATION):
            return  # added by autolog(), which has since been disabled
        trainer = trainer_ref() if trainer_ref is not None else _capture.find_trainer(self)
        if trainer is not None:
            if not self._is_first_of(trainer):
                return  # another AutologCallback on this Trainer records it
            self._trainer_ref = weakref.ref(trainer)
        self._options = options = self._resolve_options()

        resume = None
        if state.global_step:
            folder = resume_from or os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            resume = _checkpoints.read_run_file(folder)
        name = self.run_name or (resume or {}).get("run_name") or args.run_name or type(model).__name__
        params = _capture.training_params(args, model)
        if options["log_datasets"]:
            if trainer is not None:
                params.update(_capture.dataset_params("train", getattr(trainer, "train_dataset", None)))
                params.update(_capture.dataset_params("eval", getattr(trainer, "eval_dataset", None)))
            elif train_dataloader is not None:
                params.update(_capture.dataset_params("train", getattr(train_dataloader, "dataset", None)))
        search, trial_tags = _hp_search.parent_of(trainer)
        run = start_autologged_run(
            name,
            params=params,
            parent=search,
            run_id=resume["run_id"] if resume else None,
            resume_step=int(state.global_step) if resume else None,
            activate=managed,
        )
        if run is None:  # exclusive mode and a user's run is active
            return
        self._run, self._training = run, True
        self._emit = run.emitter()
        _finish_at_exit(self)
        run.set_tags({**_capture.run_tags(args, model, trainer), **trial_tags})
        _warn_double_logging(args)

        policy = _checkpoints.policy(options["log_checkpoints"])
        if policy != "none":
            self._checkpoints = _checkpoints.CheckpointLog(run, policy, _checkpoints.staging_root(args.output_dir))
        if options["log_models"] and (options["log_signatures"] or options["log_input_examples"]):
            self._first = _capture.FirstBatch()
            self._first.attach(model)

    def _finish(self, exc: BaseException | None) -> None:
        """End this training's run: log the waiting checkpoint, then FINISHED/FAILED/KILLED."""
        if not self._training:
            return
        self._training = False
        _FINISH_AT_EXIT.discard(self)
        self._detach_first_batch()
        checkpoints, self._checkpoints = self._checkpoints, None
        run = self._run
        try:
            if checkpoints is not None:
                checkpoints.finish()  # after a failure, the latest checkpoint still helps to resume
        finally:
            if run is not None:
                run.end(status_for(exc))  # only a run this training opened

    def _finish_safely(self, exc: BaseException | None) -> None:
        try:
            self._finish(exc)
        except Exception as inner:  # noqa: BLE001
            report_internal_error("transformers autologging (ending the run)", inner)

    def _detach_first_batch(self) -> None:
        if self._first is not None:
            self._first.detach()

    def _resolve_options(self) -> dict[str, Any]:
        config = current_config()
        return {
            key: self._overrides.get(key, config.integration_option(INTEGRATION, key, default))
            for key, default in _DEFAULTS.items()
        }

    def _is_first_of(self, trainer: Any) -> bool:
        for callback in getattr(getattr(trainer, "callback_handler", None), "callbacks", ()):
            if isinstance(callback, AutologCallback):
                return callback is self
        return True

    def _trainer(self) -> Any:
        return None if self._trainer_ref is None else self._trainer_ref()

    # -- the final model --------------------------------------------------------------------------
    def _log_model(self, args: Any, state: Any, model: Any, processor: Any) -> None:
        run = self._run
        if run is None or model is None or not hasattr(model, "save_pretrained"):
            return
        trainer = self._trainer()
        if processor is None and trainer is not None:  # transformers < 4.46 called it tokenizer
            processor = getattr(trainer, "processing_class", None) or getattr(trainer, "tokenizer", None)
        source = None  # a checkpoint holding exactly the final weights: linked, not saved again
        if getattr(args, "load_best_model_at_end", False) and state.best_model_checkpoint:
            source = state.best_model_checkpoint
        elif self._saved is not None and self._saved[1] == state.global_step:
            source = self._saved[0]
        directory = _checkpoints.new_staging_dir(_checkpoints.staging_root(args.output_dir), "model")
        how = _model.stage_model(model, processor, directory, source)

        options = self._options
        label_names = getattr(args, "label_names", None) or ()
        signature = _capture.signature(self._first, model, label_names) if options["log_signatures"] else None
        example = (
            _capture.input_example(self._first, processor, label_names) if options["log_input_examples"] else None
        )
        requirements = _model.requirements(model)
        metadata = {
            "model_class": type(model).__name__,
            "base_model_class": type(_capture.base_model(model)).__name__,
            "processor_class": type(processor).__name__ if processor is not None else None,
            "global_step": int(state.global_step),
            "written": how,
        }
        write_model_meta(
            directory,
            flavor=_model.FLAVOR,
            loader=_model.LOADER,
            files=_model.model_files(directory),
            signature=signature,
            input_example=example,
            requirements=requirements,
            metadata=metadata,
        )
        run.log_model(
            ModelRecord(
                run_id=run.run_id,
                local_path=directory,
                artifact_path="model",
                flavor=_model.FLAVOR,
                signature=signature,
                input_example=example,
                requirements=tuple(requirements),
                metadata=metadata,
            )
        )

    # -- pickling (Trainer objects are sometimes pickled, e.g. for hyperparameter search) ---------
    def __getstate__(self) -> dict[str, Any]:
        return {"_overrides": self._overrides, "run_name": self.run_name, "_auto": self._auto}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._clear()


def _is_best(state: Any, step: int) -> bool:
    best_step = getattr(state, "best_global_step", None)
    if best_step:
        return int(best_step) == int(step)
    best = getattr(state, "best_model_checkpoint", None)
    return bool(best) and os.path.basename(os.path.normpath(str(best))) == f"checkpoint-{step}"


def _warn_double_logging(args: Any) -> None:
    report_to = getattr(args, "report_to", None) or []
    if isinstance(report_to, str):
        report_to = [report_to]
    trackers = sorted(str(r) for r in report_to if str(r) not in _NOT_TRACKERS)
    if trackers:
        warn_once(
            f"transformers-report-to:{','.join(trackers)}",
            f"autolog: this Trainer also reports to {', '.join(trackers)} itself (report_to={trackers}), "
            "so its training is logged twice: by autolog and by the Trainer's own callbacks. "
            "Set report_to='none' to record it through autolog only.",
        )


# -- runs still training when the process ends ---------------------------------------------------------
#: Callbacks in the middle of a training: if the process ends (a signal, an exception nobody told
#: an explicit callback about, a script that caught it), the session's exit sequence calls
#: :func:`_finish_open_callbacks` first, so the latest staged checkpoint is logged and the run ends
#: with the process's outcome (KILLED for a signal or Ctrl-C, else FAILED: training did not finish).
#: Held strongly: a Trainer dropped after its train() raised must still have its run finished.
_FINISH_AT_EXIT: set[AutologCallback] = set()


def _finish_at_exit(callback: AutologCallback) -> None:
    _FINISH_AT_EXIT.add(callback)
    on_exit(_finish_open_callbacks)


def _finish_open_callbacks(outcome: Any) -> None:
    for callback in list(_FINISH_AT_EXIT):
        run = callback._run
        if run is not None and callback._training and run.owned:
            run.set_tags({**outcome.tags, "autolog.exit_reason": f"the process ended during training ({outcome.reason})"})
        reason: BaseException = KeyboardInterrupt() if outcome.status == "KILLED" else RuntimeError(outcome.reason)
        callback._finish_safely(reason)
