"""The patches ``autolog.autolog()`` installs on ``transformers.Trainer`` (reverted on disable).

* ``Trainer.__init__``: afterwards the Trainer holds exactly one :class:`AutologCallback` (the
  user's, when one was passed explicitly, else a new one). Subclasses (``Seq2SeqTrainer``, TRL's
  trainers) call this ``__init__`` through ``super()``, so they are covered too.
* ``Trainer.train``: the callback's run ends FINISHED when ``train()`` returns and FAILED (KILLED
  on Ctrl-C) when it raises; the exception reaches the caller unchanged (``safe_wrapper``). It
  also tells the callback which checkpoint ``resume_from_checkpoint`` names, so a resumed
  training continues the run that the checkpoint belongs to.
* ``Trainer.hyperparameter_search``: a parent run for the search, each trial's training its
  child (see ``_hp_search``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from autolog.sdk import Patcher, safe_wrapper

if TYPE_CHECKING:
    from autolog.integrations.transformers.callback import AutologCallback

    from autolog.sdk import Config

INTEGRATION = "transformers"


def patch(patcher: Patcher, config: Config) -> None:
    """Wrap ``Trainer.__init__`` and ``Trainer.train`` (called once ``transformers.trainer`` is imported)."""
    from transformers.trainer import Trainer

    patcher.wrap(Trainer, "__init__", safe_wrapper(INTEGRATION, _InitHooks()))
    patcher.wrap(Trainer, "train", safe_wrapper(INTEGRATION, _TrainHooks()))
    if hasattr(Trainer, "hyperparameter_search"):
        from autolog.integrations.transformers._hp_search import SearchHooks

        patcher.wrap(Trainer, "hyperparameter_search", safe_wrapper(INTEGRATION, SearchHooks()))


def attach_callback(trainer: Any) -> AutologCallback:
    """The Trainer's first ``AutologCallback``, adding one (ahead of the others) when it has none."""
    from autolog.integrations.transformers.callback import AutologCallback

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, AutologCallback):
            return callback
    callback = AutologCallback()
    callback._auto = True
    # First in line: PrinterCallback pops ``total_flos`` from the logs dict it is given.
    trainer.callback_handler.callbacks.insert(0, callback)
    return callback


class _InitHooks:
    def before(self, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return trainer

    def after(self, trainer: Any, result: Any) -> None:
        attach_callback(trainer)

    def error(self, trainer: Any, exc: BaseException) -> None:
        pass


class _TrainHooks:
    def before(self, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        callback = attach_callback(trainer)  # also for a Trainer built before autolog() was called
        resume = kwargs["resume_from_checkpoint"] if "resume_from_checkpoint" in kwargs else (args[0] if args else None)
        callback._enter_train(trainer, _checkpoint_folder(trainer, resume))
        return callback

    def after(self, callback: AutologCallback, result: Any) -> None:
        callback._exit_train(None)

    def error(self, callback: AutologCallback, exc: BaseException) -> None:
        callback._exit_train(exc)


def _checkpoint_folder(trainer: Any, resume: Any) -> str | None:
    """The folder ``train(resume_from_checkpoint=...)`` resumes from (``True``: the latest)."""
    if isinstance(resume, (str, os.PathLike)):
        return os.fspath(resume)
    if resume is True:
        from transformers.trainer_utils import get_last_checkpoint

        output_dir = trainer.args.output_dir
        return get_last_checkpoint(output_dir) if output_dir and os.path.isdir(output_dir) else None
    return None
