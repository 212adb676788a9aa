"""An example third-party autolog integration for a plain PyTorch training loop.

Written against ``autolog.sdk`` alone. Inside a run (``with autolog.run():``, or any run an
autologged call has open), it records:

* ``lr`` (``lr/<group>`` for several parameter groups) at every ``LRScheduler.step()``, with the
  scheduler's epoch counter as the step;
* every file written by ``torch.save(obj, path)`` as a checkpoint artifact
  ``checkpoints/<file name>``.

Outside a run it records nothing and opens no run: a training loop has no single call to hang a
run on. Patching follows the SDK's contract: the original is called exactly once with the
user's arguments; its result and exceptions reach the caller unchanged; an error here becomes one
warning. ``autolog.autolog(disable=True)`` reverts both patches.
"""

from __future__ import annotations

import os
from typing import Any

from autolog.sdk import Integration, Patcher, active_run, hookimpl, metric_value, safe_wrapper

INTEGRATION = "torch_loop"

__all__ = ["autolog_register_integrations"]


class SchedulerHooks:
    """Around ``LRScheduler.step``: log the learning rates it set (the scheduler travels in the
    state, so one hooks object serves every scheduler)."""

    def before(self, scheduler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        run = active_run()
        return None if run is None else (run, scheduler)

    def after(self, state: Any, result: Any) -> None:
        run, scheduler = state
        rates = scheduler_rates(scheduler)
        if rates:
            run.log_metrics(rates, step=int(getattr(scheduler, "last_epoch", 0)))

    def error(self, state: Any, exc: BaseException) -> None:
        pass


class SaveHooks:
    """Around ``torch.save(obj, f)``: log the written file as a checkpoint artifact."""

    def before(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        run = active_run()
        target = args[1] if len(args) > 1 else kwargs.get("f")
        if run is None or not isinstance(target, (str, os.PathLike)):
            return None  # no run, or a file object / buffer: nothing to point at
        return run, os.fspath(target)

    def after(self, state: Any, result: Any) -> None:
        run, path = state
        if os.path.isfile(path):
            run.log_artifact(path, f"checkpoints/{os.path.basename(path)}")

    def error(self, state: Any, exc: BaseException) -> None:
        pass


def scheduler_rates(scheduler: Any) -> dict[str, float]:
    """``{"lr": x}``, or ``{"lr/0": x, "lr/1": y}`` for several parameter groups."""
    rates = [metric_value(rate) for rate in getattr(scheduler, "_last_lr", None) or ()]
    numbers = [rate for rate in rates if rate is not None]
    if len(numbers) == 1:
        return {"lr": numbers[0]}
    return {f"lr/{index}": rate for index, rate in enumerate(numbers)}


def patch(patcher: Patcher, config: Any) -> None:
    """Runs once ``torch.optim.lr_scheduler`` is imported (autolog's post-import hook)."""
    import torch
    from torch.optim import lr_scheduler

    base = getattr(lr_scheduler, "LRScheduler", None) or lr_scheduler._LRScheduler
    patcher.wrap(base, "step", safe_wrapper(INTEGRATION, SchedulerHooks()))
    patcher.wrap(torch, "save", safe_wrapper(INTEGRATION, SaveHooks()))  # type: ignore[arg-type]


@hookimpl
def autolog_register_integrations() -> list[Integration]:
    return [
        Integration(
            name=INTEGRATION,
            module="torch.optim.lr_scheduler",
            patch=patch,
            distribution="torch",
            min_version="2.0",
        )
    ]
