"""What the Trainer integration reads from a training run, in the caller's thread, cheaply.

* params: ``TrainingArguments.to_dict()`` (unprefixed) and ``model.config.to_dict()`` (prefixed
  ``model.``), flattened, with secrets redacted;
* tags: model class, parameter counts, versions, device, precision, world size, PEFT settings;
* dataset metadata: rows, columns, features and the ``datasets`` fingerprint;
* metric values: plain floats from Python, numpy and torch scalars;
* the first training batch: a few rows of each input, taken by a one-shot forward pre-hook.

Nothing here imports transformers or torch: every object is duck-typed.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import Any

from autolog.sdk import metric_value, plugin_params, plugin_tags

REDACTED = "<redacted>"

#: A name holding one of these anywhere is a secret (``aws_secret_access_key``, ``db_password``).
_SECRET_ANYWHERE = ("secret", "password", "passwd", "credential")
#: A name ending with one of these is a secret (``hub_token``, ``api_key``), while ``pad_token_id``
#: or ``num_key_value_heads`` are not.
_SECRET_SUFFIXES = ("token", "key", "apikey")

#: Batch keys that are training targets, not model inputs (left out of signatures and examples).
LABEL_KEYS = frozenset({"labels", "label", "label_ids", "start_positions", "end_positions"})

#: Rows of the first training batch kept as the model's input example.
EXAMPLE_ROWS = 3


def is_secret(name: str) -> bool:
    """Whether a param or config field called ``name`` may hold a credential."""
    low = name.lower()
    return low.endswith(_SECRET_SUFFIXES) or any(word in low for word in _SECRET_ANYWHERE)


# -- params -----------------------------------------------------------------------------------------
def flatten(mapping: Mapping[Any, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Flatten nested dicts into ``a.b.c`` keys; lists, tuples and sets become JSON strings.

    Any key that :func:`is_secret` (at any depth) has its value replaced by ``"<redacted>"``.
    """
    out = {} if out is None else out
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if is_secret(str(key)):
            out[name] = REDACTED
        elif isinstance(value, Mapping):
            if value:
                flatten(value, f"{name}.", out)
            else:
                out[name] = "{}"
        else:
            out[name] = plain_value(value)
    return out


def plain_value(value: Any) -> Any:
    """A param value: scalars as they are, enums by value, containers as JSON (secrets redacted)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return json.dumps(_jsonable(value), default=str)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): REDACTED if is_secret(str(k)) else _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _to_dict(obj: Any) -> dict[str, Any]:
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def training_params(args: Any, model: Any) -> dict[str, Any]:
    """Every ``TrainingArguments`` field, then the model config under ``model.``, flattened.

    A plugin's ``autolog_extract_params(obj, "transformers")`` replaces either part.
    """
    params: dict[str, Any] = {}
    flatten(_extracted(args) or _to_dict(args), "", params)
    model_params = _extracted(model)
    config = getattr(model, "config", None)
    if model_params is None and config is not None:
        model_params = _to_dict(config)
    flatten(model_params or {}, "model.", params)
    return params


def _extracted(obj: Any) -> Mapping[str, Any] | None:
    return plugin_params(obj, "transformers")


# -- tags -------------------------------------------------------------------------------------------
def count_parameters(model: Any) -> tuple[int, int]:
    """``(total, trainable)`` parameter counts; shared (tied) parameters counted once."""
    total = trainable = 0
    for param in model.parameters():
        n = param.numel()
        total += n
        if param.requires_grad:
            trainable += n
    return total, trainable


def model_dtype(model: Any) -> str:
    """The dtype of the model's first parameter, e.g. ``"float32"``."""
    dtype = getattr(model, "dtype", None)
    if dtype is None:
        for param in model.parameters():
            dtype = param.dtype
            break
    return str(dtype).replace("torch.", "") if dtype is not None else "unknown"


_SHORT_PRECISION = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "float64": "fp64"}


def precision(args: Any, model: Any) -> str:
    """``bf16``/``fp16`` for mixed precision, else the weights' own dtype (``fp32``, ...)."""
    if getattr(args, "bf16", False):
        return "bf16"
    if getattr(args, "fp16", False):
        return "fp16"
    dtype = model_dtype(model)
    return _SHORT_PRECISION.get(dtype, dtype)


def run_tags(args: Any, model: Any, trainer: Any = None) -> dict[str, Any]:
    """The tags of a Trainer run (see the package documentation for the list)."""
    import torch
    import transformers

    total, trainable = count_parameters(model)
    tags: dict[str, Any] = {
        "model.class": type(model).__name__,
        "model.num_parameters": total,
        "model.num_trainable_parameters": trainable,
        "model.dtype": model_dtype(model),
        "transformers.version": transformers.__version__,
        "torch.version": torch.__version__,
        "device": str(getattr(args, "device", "unknown")),
        "precision": precision(args, model),
        "world_size": getattr(args, "world_size", 1),
    }
    if trainer is not None:
        tags["trainer.class"] = type(trainer).__name__
    tags.update(peft_tags(model))
    tags.update(plugin_tags(model, "transformers"))
    return tags


def peft_tags(model: Any) -> dict[str, Any]:
    """``peft.*`` tags from a PEFT model's ``peft_config`` (duck-typed; empty for other models)."""
    configs = getattr(model, "peft_config", None)
    if not isinstance(configs, Mapping) or not configs:
        return {}
    tags: dict[str, Any] = {"peft.adapters": json.dumps(sorted(str(name) for name in configs))}
    for adapter, config in configs.items():
        prefix = "peft." if len(configs) == 1 else f"peft.{adapter}."
        flatten(_to_dict(config), prefix, tags)
    return tags


# -- datasets ---------------------------------------------------------------------------------------
def dataset_params(role: str, dataset: Any) -> dict[str, Any]:
    """``dataset.<role>.*`` params: num_rows, columns, features, fingerprint, type."""
    if dataset is None:
        return {}
    if isinstance(dataset, Mapping):  # eval_dataset={"a": ds, "b": ds} or a DatasetDict
        out: dict[str, Any] = {}
        for name, part in dataset.items():
            out.update(dataset_params(f"{role}.{name}", part))
        return out
    prefix = f"dataset.{role}."
    out = {prefix + "type": type(dataset).__name__}
    rows = getattr(dataset, "num_rows", None)
    if rows is None:
        try:
            rows = len(dataset)
        except TypeError:  # an iterable dataset
            rows = None
    if rows is not None:
        out[prefix + "num_rows"] = int(rows)
    columns = getattr(dataset, "column_names", None)
    if isinstance(columns, (list, tuple)):
        out[prefix + "columns"] = json.dumps([str(c) for c in columns])
    features = getattr(dataset, "features", None)
    if isinstance(features, Mapping):
        out[prefix + "features"] = json.dumps({str(k): str(v) for k, v in features.items()})
    fingerprint = getattr(dataset, "_fingerprint", None)
    if fingerprint:
        out[prefix + "fingerprint"] = str(fingerprint)
    return out


# -- metrics ----------------------------------------------------------------------------------------
#: A logged value as a metric's float, or None (the SDK's one rule: see ``metric_value``).
to_float = metric_value


# -- the Trainer, from a callback -------------------------------------------------------------------
def find_trainer(callback: Any, max_depth: int = 12) -> Any:
    """The Trainer whose callback handler holds ``callback``, found on the calling stack, or None.

    Callbacks are not given their Trainer; an explicit ``AutologCallback`` (no patching) uses this
    once per ``train()`` to read the datasets and to tell whether it is the Trainer's first one.
    """
    frame: FrameType | None = sys._getframe(1)
    for _ in range(max_depth):
        frame = frame.f_back if frame is not None else None
        if frame is None:
            return None
        obj = frame.f_locals.get("self")
        handler = getattr(obj, "callback_handler", None)
        if handler is not None and any(cb is callback for cb in getattr(handler, "callbacks", ())):
            return obj
    return None


# -- the first batch, signature and input example ----------------------------------------------------
class FirstBatch:
    """Keeps the first few rows of the first batch the model is called with.

    A forward pre-hook on the model sees the batch the Trainer prepared (after the collator and
    device placement) and removes itself after the first call: no extra forward pass, no work on
    later steps.
    """

    def __init__(self, rows: int = EXAMPLE_ROWS) -> None:
        self.rows = rows
        #: input name -> (dtype, shape of the whole batch, first rows as nested lists)
        self.inputs: dict[str, tuple[str, tuple[int, ...], Any]] = {}
        self._handle: Any = None

    def attach(self, model: Any) -> None:
        register = getattr(model, "register_forward_pre_hook", None)
        if register is not None:
            self._handle = register(self._hook, with_kwargs=True)

    def detach(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.remove()

    def _hook(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.detach()
        try:
            self.inputs = self._snapshot(kwargs)
        except Exception as exc:  # noqa: BLE001 - never break the forward pass
            from autolog.sdk import report_internal_error

            report_internal_error("transformers autologging (first batch)", exc)

    def _snapshot(self, batch: Mapping[str, Any]) -> dict[str, tuple[str, tuple[int, ...], Any]]:
        out = {}
        for key, value in batch.items():
            # batched tensors only: not scalars such as num_items_in_batch, nor flags
            if not (hasattr(value, "shape") and hasattr(value, "detach")) or len(value.shape) == 0:
                continue
            dtype = str(value.dtype).replace("torch.", "")
            shape = tuple(int(d) for d in value.shape)
            out[str(key)] = (dtype, shape, value[: self.rows].detach().cpu().tolist())
        return out

    def model_inputs(self, label_names: Iterable[str] = ()) -> dict[str, tuple[str, tuple[int, ...], Any]]:
        skip = LABEL_KEYS | set(label_names or ())
        return {k: v for k, v in self.inputs.items() if k not in skip}


def input_spec(inputs: Mapping[str, tuple[str, tuple[int, ...], Any]]) -> dict[str, Any] | None:
    """Tensor specs of the model inputs: batch and sequence dimensions variable (-1).

    Integer inputs (token ids, masks) are variable in every dimension; floating inputs
    (``pixel_values``, ``input_features``) keep their sizes after the batch dimension.
    """
    if not inputs:
        return None
    tensors = []
    for name, (dtype, shape, _rows) in inputs.items():
        if "float" in dtype:
            dims = [-1, *shape[1:]]
        else:
            dims = [-1] * len(shape)
        tensors.append({"name": name, "dtype": dtype, "shape": dims})
    return {"type": "tensors", "tensors": tensors}


def base_model(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (the model itself otherwise)."""
    if getattr(model, "peft_config", None) is not None and hasattr(model, "get_base_model"):
        try:
            return model.get_base_model()
        except Exception:  # noqa: BLE001
            return model
    return model


def output_spec(model: Any) -> dict[str, Any] | None:
    """The model's outputs, from its class name (the head) and config (labels, vocabulary)."""
    inner = base_model(model)
    name = type(inner).__name__
    config = getattr(inner, "config", None)
    if config is None:
        return None
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    dtype = model_dtype(inner)
    labels = getattr(config, "num_labels", None) or -1
    vocab = getattr(text, "vocab_size", None) or -1

    def one(shape: list[int], out: str = "logits") -> dict[str, Any]:
        return {"type": "tensors", "tensors": [{"name": out, "dtype": dtype, "shape": shape}]}

    if name.endswith(("ForSequenceClassification", "ForImageClassification", "ForAudioClassification")):
        return one([-1, labels])
    if name.endswith("ForTokenClassification"):
        return one([-1, -1, labels])
    if name.endswith("ForMultipleChoice"):
        return one([-1, -1])
    if name.endswith("ForQuestionAnswering"):
        return {
            "type": "tensors",
            "tensors": [
                {"name": "start_logits", "dtype": dtype, "shape": [-1, -1]},
                {"name": "end_logits", "dtype": dtype, "shape": [-1, -1]},
            ],
        }
    if name.endswith(("ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration", "ForSeq2SeqLM")):
        return one([-1, -1, vocab])
    hidden = getattr(text, "hidden_size", None)
    if hidden:
        return one([-1, -1, int(hidden)], "last_hidden_state")
    return None


def signature(first: FirstBatch | None, model: Any, label_names: Iterable[str] = ()) -> dict[str, Any] | None:
    """``{"inputs": ..., "outputs": ...}`` from the first batch and the model, or None."""
    inputs = input_spec(first.model_inputs(label_names)) if first is not None else None
    if inputs is None:
        return None
    return {"inputs": inputs, "outputs": output_spec(model)}


def input_example(
    first: FirstBatch | None, tokenizer: Any = None, label_names: Iterable[str] = ()
) -> dict[str, Any] | None:
    """``{"inputs": {name: rows}, "text": [...]}``: the first rows, decoded when a tokenizer is known."""
    if first is None:
        return None
    inputs = {name: rows for name, (_dtype, _shape, rows) in first.model_inputs(label_names).items()}
    if not inputs:
        return None
    example: dict[str, Any] = {"inputs": inputs}
    ids = inputs.get("input_ids")
    decode = getattr(tokenizer, "batch_decode", None)
    if ids and callable(decode) and isinstance(ids[0], list):
        example["text"] = [str(t) for t in decode(ids, skip_special_tokens=True)]
    return example
