"""Hugging Face ``Trainer`` autologging.

After ``autolog.autolog()`` every ``transformers.Trainer`` (and subclass: ``Seq2SeqTrainer``,
TRL's trainers) records its whole run with no code change; ``AutologCallback`` gives the same
capture explicitly, without any patching::

    from autolog.integrations.transformers import AutologCallback
    trainer = Trainer(model, args, ..., callbacks=[AutologCallback()])

What a run holds (details in this package's ``README.md``):

* params: every ``TrainingArguments`` field under its own name (``learning_rate``), the model
  config under ``model.`` (``model.hidden_size``), nested dicts flattened with dots, lists as
  JSON, secrets (names ending in token/key, or holding secret/password) as ``<redacted>``;
  with ``log_datasets``, ``dataset.train.*``/``dataset.eval.*`` (num_rows, columns, features,
  fingerprint, type);
* tags: ``model.class``, ``model.num_parameters``, ``model.num_trainable_parameters``,
  ``model.dtype``, ``transformers.version``, ``torch.version``, ``device``, ``precision``,
  ``world_size``, ``trainer.class``, and ``peft.*`` for PEFT models;
* metrics: every numeric value the Trainer logs, at ``state.global_step``;
* artifacts: checkpoints under ``checkpoints/checkpoint-<step>`` by ``log_checkpoints``
  (``"last"`` by default), and the final model under ``model`` (flavor ``transformers``):
  ``model, tokenizer = autolog.load_model("runs:/<id>/model")``.

Options: ``autolog.autolog(transformers={"log_checkpoints": "all", ...})`` with ``log_models``,
``log_checkpoints``, ``log_input_examples``, ``log_signatures``, ``log_datasets``, ``disable``.

This module imports neither transformers nor torch: ``AutologCallback`` loads on first access.
"""

from __future__ import annotations

from typing import Any

from autolog.integrations.transformers import _patch

from autolog.sdk import Integration, hookimpl

__all__ = ["AutologCallback", "LoadedModel"]


@hookimpl
def autolog_register_integrations() -> list[Integration]:
    return [
        Integration(
            name="transformers",
            module="transformers.trainer",
            patch=_patch.patch,
            distribution="transformers",
            min_version="4.40",
            max_version="6",
        )
    ]


def __getattr__(name: str) -> Any:  # transformers is imported only when the callback is wanted
    if name == "AutologCallback":
        from autolog.integrations.transformers.callback import AutologCallback

        return AutologCallback
    if name == "LoadedModel":
        from autolog.integrations.transformers.flavor import LoadedModel

        return LoadedModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
