"""The logged model: a ``save_pretrained`` folder plus ``autolog-model.json``, and its loader.

The artifact ``model/`` of a Trainer run holds exactly what ``trainer.save_model()`` writes (the
model's ``save_pretrained`` files and the tokenizer's or processor's), so transformers' own
``AutoModel....from_pretrained(<folder>)`` and ``AutoTokenizer.from_pretrained(<folder>)`` work on
it, plus ``autolog-model.json`` for :func:`autolog.load_model`.

``autolog.load_model("runs:/<run_id>/model")`` returns a :class:`LoadedModel`, a named tuple
``(model, tokenizer)``: ``model, tokenizer = autolog.load_model(uri)``. ``tokenizer`` is the
tokenizer or processor logged with the model (None when the Trainer had none).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

FLAVOR = "transformers"
LOADER = "autolog.integrations.transformers.flavor:load"

#: Files of a Trainer checkpoint that are training state, not the model.
_TRAINING_STATE = frozenset(
    {
        "optimizer.pt",
        "optimizer.bin",
        "scheduler.pt",
        "scaler.pt",
        "trainer_state.json",
        "training_args.bin",
        "autolog_run.json",
    }
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "vocab.txt", "vocab.json", "spiece.model")
_PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json", "feature_extractor_config.json")


class LoadedModel(NamedTuple):
    """What ``autolog.load_model`` returns for a transformers model."""

    model: Any
    #: the tokenizer or processor logged with the model, or None
    tokenizer: Any = None


def reusable_checkpoint(folder: str | None) -> bool:
    """Whether a Trainer checkpoint folder holds a complete ``save_pretrained`` model."""
    if not folder or not os.path.isdir(folder):
        return False
    names = set(os.listdir(folder))
    has_config = "config.json" in names or "adapter_config.json" in names
    has_weights = any(
        n.endswith(_WEIGHT_SUFFIXES) and n not in _TRAINING_STATE and not n.startswith("rng_state") for n in names
    )
    return has_config and has_weights


def stage_model(model: Any, processor: Any, directory: str, checkpoint: str | None = None) -> str:
    """Write the model (and processor) into ``directory``; returns how: ``"linked"`` or ``"saved"``.

    When ``checkpoint`` is a Trainer checkpoint of this very model state, its model files are
    hard-linked instead of saved again (no serialisation on the caller's thread).
    """
    from autolog.sdk import link_tree

    os.makedirs(directory, exist_ok=True)
    how = "saved"
    if reusable_checkpoint(checkpoint):
        try:
            skip = _TRAINING_STATE | {n for n in os.listdir(checkpoint) if n.startswith("rng_state")}
            link_tree(checkpoint, directory, skip=frozenset(skip), top_files_only=True)  # type: ignore[arg-type]
            how = "linked"
        except OSError:  # the folder changed under us: save instead
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
            os.makedirs(directory, exist_ok=True)
    if how == "saved":
        model.save_pretrained(directory)
    if processor is not None and not _has_processor_files(directory) and hasattr(processor, "save_pretrained"):
        processor.save_pretrained(directory)
    return how


def _has_processor_files(directory: str) -> bool:
    return any(os.path.exists(os.path.join(directory, n)) for n in _TOKENIZER_FILES + _PROCESSOR_FILES)


def model_files(directory: str) -> dict[str, str]:
    """The ``files`` entry of ``autolog-model.json``: what the folder holds, by role."""
    names = sorted(os.listdir(directory))
    files = {"model": "."}
    weights = [n for n in names if n.endswith(_WEIGHT_SUFFIXES)]
    if weights:
        files["weights"] = ",".join(weights)
    for role, name in (("config", "config.json"), ("adapter_config", "adapter_config.json")):
        if name in names:
            files[role] = name
    if _has_processor_files(directory):
        files["tokenizer"] = "."
    return files


def requirements(model: Any) -> list[str]:
    """Pinned packages needed to load the model (local version labels like ``+cpu`` dropped)."""
    from importlib import metadata

    from packaging.version import Version

    names = ["transformers", "torch"]
    if getattr(model, "peft_config", None) is not None:
        names.append("peft")
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={Version(metadata.version(name)).public}")
        except Exception:  # noqa: BLE001 - not installed as a distribution
            continue
    return pins


def load(directory: str) -> LoadedModel:
    """Load a logged transformers model folder (the flavor's loader for ``autolog.load_model``).

    The model class is the one that was trained when transformers has it (else the class named
    in ``config.json``'s ``architectures``, else ``AutoModel``); a PEFT adapter folder is loaded
    with ``peft.AutoPeftModel``. The tokenizer or processor is loaded when one was logged.
    """
    import transformers

    from autolog.sdk import read_model_meta

    meta = read_model_meta(directory)
    info = meta.get("metadata") or {}
    files = meta.get("files") or {}
    folder = os.path.join(directory, files.get("model") or ".")  # MLflow's layout: "model"
    processor_folder = os.path.join(directory, files["tokenizer"]) if files.get("tokenizer") else folder
    if os.path.exists(os.path.join(folder, "adapter_config.json")):
        from peft import AutoPeftModel

        model = AutoPeftModel.from_pretrained(folder)
    else:
        model = _model_class(transformers, info.get("model_class"), folder).from_pretrained(folder)
    tokenizer = None
    processor_class = info.get("processor_class")
    if processor_class or _has_processor_files(processor_folder):
        cls = getattr(transformers, processor_class or "", None)
        if cls is None or not hasattr(cls, "from_pretrained"):
            has_tokenizer = any(os.path.exists(os.path.join(processor_folder, n)) for n in _TOKENIZER_FILES)
            cls = transformers.AutoTokenizer if has_tokenizer else transformers.AutoProcessor
        tokenizer = cls.from_pretrained(processor_folder)
    return LoadedModel(model, tokenizer)


def _model_class(transformers: Any, name: str | None, directory: str) -> Any:
    cls = getattr(transformers, name or "", None)
    if cls is not None and hasattr(cls, "from_pretrained"):
        return cls
    config = transformers.AutoConfig.from_pretrained(directory)
    for arch in getattr(config, "architectures", None) or ():
        cls = getattr(transformers, arch, None)
        if cls is not None and hasattr(cls, "from_pretrained"):
            return cls
    return transformers.AutoModel
