"""Turning an autolog model directory into what MLflow stores for a model.

A flavor MLflow knows natively (``sklearn``, ``transformers``) is re-saved with MLflow's own
``save_model``, so ``mlflow.<flavor>.load_model`` and ``mlflow.pyfunc.load_model`` read it, and
autolog's ``autolog-model.json`` is added so ``autolog.load_model`` still reads it: next to
MLflow's files for sklearn (its pickle is MLflow's), pointing into MLflow's ``model/`` and
``components/tokenizer/`` folders for transformers (the weights are stored once). Any other
flavor, or a native save that fails, is uploaded as the directory autolog wrote.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from autolog.sdk import MODEL_META_FILE, model_loader, read_model_meta

if TYPE_CHECKING:
    from mlflow.models import ModelSignature

    from autolog.sdk import ModelRecord

Warn = Callable[[str], None]

# Portable (numpy-ish) type names that are not MLflow DataType names already.
_COLUMN_TYPES = {
    "bool": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "long",
    "int": "long",
    "uint8": "integer",
    "uint16": "integer",
    "uint32": "long",
    "float16": "float",
    "float32": "float",
    "float64": "double",
    "str": "string",
    "object": "string",
    "bytes": "binary",
    "datetime64": "datetime",
    "datetime64[ns]": "datetime",
}


def build_model_dir(model: ModelRecord, workdir: str, warn: Warn, mlflow_model: Any = None) -> str:
    """Return the directory to upload for ``model``: a native MLflow model under ``workdir``
    when the flavor has one, else autolog's own directory. ``mlflow_model`` is the
    ``mlflow.models.Model`` to save into (it carries a LoggedModel's id)."""
    saver = _NATIVE_SAVERS.get(model.flavor)
    if saver is None:
        return model.local_path
    dest = os.path.join(workdir, "model")
    try:
        shared = saver(model, dest, warn, mlflow_model)
    except Exception as exc:  # noqa: BLE001 - the model must still be logged: fall back to autolog's files
        warn(
            f"could not save the {model.flavor!r} model in MLflow's format ({exc!r}); "
            "logging autolog's model files only"
        )
        shutil.rmtree(dest, ignore_errors=True)
        return model.local_path
    if shared is not None:
        merge_autolog_files(model.local_path, dest, shared)
    return dest


def merge_autolog_files(source: str, dest: str, shared: frozenset[str] = frozenset()) -> None:
    """Copy autolog's model files into the MLflow model at ``dest``.

    ``shared`` names autolog files that MLflow wrote an equivalent of under the same name (the
    sklearn pickle): they are not copied twice. Any other file whose name MLflow already uses is
    copied as ``autolog-<name>`` and ``autolog-model.json``'s ``files`` mapping is rewritten to
    match, so neither loader breaks.
    """
    taken = set(os.listdir(dest))
    renamed: dict[str, str] = {}
    for name in sorted(os.listdir(source)):
        if name == MODEL_META_FILE or name in shared:
            continue
        target = name
        while target in taken:
            target = "autolog-" + target
        renamed[name] = target
        taken.add(target)
        src, dst = os.path.join(source, name), os.path.join(dest, target)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    meta_path = os.path.join(source, MODEL_META_FILE)
    if not os.path.exists(meta_path):
        return
    meta = read_model_meta(source)
    files = {}
    for role, rel in dict(meta.get("files") or {}).items():
        head, sep, rest = str(rel).partition("/")
        files[role] = renamed.get(head, head) + sep + rest
    meta["files"] = files
    with open(os.path.join(dest, MODEL_META_FILE), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, default=str)


def load_estimator(directory: str) -> Any:
    """The object in an autolog model directory: through its ``loader`` when importable, else by
    unpickling ``files["model"]``."""
    meta = read_model_meta(directory)
    try:
        loader = model_loader(meta)
    except (ImportError, AttributeError, ValueError):
        loader = None
    if loader is not None:
        return loader(directory)
    with open(os.path.join(directory, meta["files"]["model"]), "rb") as fh:
        return pickle.load(fh)


def to_signature(signature: Mapping[str, Any] | None, warn: Warn) -> ModelSignature | None:
    """autolog's portable signature as an ``mlflow.models.ModelSignature`` (None if it has none
    or MLflow cannot express it, with a warning)."""
    if not signature:
        return None
    from mlflow.models import ModelSignature

    try:
        return ModelSignature(
            inputs=_to_schema(signature.get("inputs")), outputs=_to_schema(signature.get("outputs"))
        )
    except Exception as exc:  # noqa: BLE001 - a signature MLflow cannot express is dropped, not fatal
        warn(f"dropping a model signature MLflow cannot express ({exc!r})")
        return None


def to_input_example(
    example: Mapping[str, Any] | None, warn: Warn, signature: Mapping[str, Any] | None = None
) -> Any:
    """autolog's JSON input example as a DataFrame (columns), a dict of arrays (named tensors) or
    an array (rows, when the signature's input is one tensor); None if absent or unreadable."""
    if not example:
        return None
    try:
        tensor = _single_tensor((signature or {}).get("inputs"))
        if tensor is not None and "data" in example:
            import numpy as np

            return np.asarray(example["data"], dtype=np.dtype(tensor["dtype"]))
        if "columns" in example and "data" in example:
            import pandas as pd

            return pd.DataFrame(list(example["data"]), columns=list(example["columns"]))
        import numpy as np

        inputs = example.get("inputs", example.get("data"))
        if isinstance(inputs, Mapping):
            return {str(name): np.asarray(value) for name, value in inputs.items()}
        return np.asarray(inputs)
    except Exception as exc:  # noqa: BLE001 - an example MLflow cannot read is dropped, not fatal
        warn(f"dropping an input example MLflow cannot read ({exc!r})")
        return None


def _to_schema(part: Any) -> Any:
    from mlflow.types import ColSpec, Schema, TensorSpec

    if part is None:
        return None
    if isinstance(part, Mapping):
        kind = part.get("type")
        if kind == "columns":
            entries, tensors = part["columns"], False
        elif kind == "tensors":
            entries, tensors = part["tensors"], True
        else:
            raise ValueError(f"unknown schema type {kind!r}")
    else:
        entries = list(part)
        tensors = bool(entries) and "dtype" in entries[0]
    if tensors:
        import numpy as np

        # One tensor is a plain array, unnamed as MLflow infers it: pyfunc then hands the model
        # the array itself rather than a one-key dict.
        named = len(entries) > 1
        specs = [
            TensorSpec(np.dtype(e["dtype"]), tuple(e.get("shape") or (-1,)), e.get("name") if named else None)
            for e in entries
        ]
    else:
        specs = [
            ColSpec(_COLUMN_TYPES.get(e["type"], e["type"]), e.get("name"), e.get("required", True))
            for e in entries
        ]
    return Schema(specs)


def _single_tensor(part: Any) -> Mapping[str, Any] | None:
    if isinstance(part, Mapping) and part.get("type") == "tensors" and len(part.get("tensors") or ()) == 1:
        return part["tensors"][0]
    if isinstance(part, (list, tuple)) and len(part) == 1 and isinstance(part[0], Mapping) and "dtype" in part[0]:
        return part[0]
    return None


def _save_sklearn(model: ModelRecord, dest: str, warn: Warn, mlflow_model: Any = None) -> frozenset[str]:
    """Save with MLflow as a plain pickle: autolog's sklearn loader reads MLflow's ``model.pkl``,
    so autolog's own copy of the same estimator need not be uploaded too."""
    import mlflow.sklearn

    estimator = load_estimator(model.local_path)
    options: dict[str, Any] = {
        "serialization_format": mlflow.sklearn.SERIALIZATION_FORMAT_PICKLE,
        "pip_requirements": list(model.requirements) or mlflow.sklearn.get_default_pip_requirements(),
        "metadata": json.loads(json.dumps(dict(model.metadata), default=str)) or None,
        "mlflow_model": mlflow_model,
    }
    signature = to_signature(model.signature, warn)
    example = to_input_example(model.input_example, warn, model.signature)
    try:
        mlflow.sklearn.save_model(estimator, dest, signature=signature, input_example=example, **options)
    except Exception as exc:
        if signature is None and example is None:
            raise
        warn(f"saving the sklearn model without its signature and input example ({exc!r})")
        shutil.rmtree(dest, ignore_errors=True)
        mlflow.sklearn.save_model(estimator, dest, **options)
    pickled = os.path.basename(_mlmodel(dest)["flavors"]["sklearn"]["pickled_model"])
    model_file = str(read_model_meta(model.local_path).get("files", {}).get("model", ""))
    return frozenset({model_file}) if model_file == pickled else frozenset()


def _mlmodel(directory: str) -> dict[str, Any]:
    from mlflow.models import Model

    return Model.load(os.path.join(directory, "MLmodel")).to_dict()


#: transformers model class name endings -> the pipeline task MLflow saves them for
_TASKS = (
    ("ForCausalLM", "text-generation"),
    ("LMHeadModel", "text-generation"),
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("ForConditionalGeneration", "text2text-generation"),
    ("ForSeq2SeqLM", "text2text-generation"),
)


def transformers_task(model_class: str) -> str | None:
    """The pipeline task of a transformers model class (None when it has no obvious one)."""
    return next((task for suffix, task in _TASKS if model_class.endswith(suffix)), None)


def _save_transformers(model: ModelRecord, dest: str, warn: Warn, mlflow_model: Any = None) -> None:
    """Save with ``mlflow.transformers`` (a ``{"model", "tokenizer"}`` pipeline, its task from the
    model class) and write autolog's metadata pointing into MLflow's folders."""
    import mlflow.transformers

    network, tokenizer = load_estimator(model.local_path)
    task = transformers_task(type(network).__name__)
    if task is None:
        raise ValueError(f"no pipeline task is known for {type(network).__name__}")
    example = (model.input_example or {}).get("inputs")
    if not (isinstance(example, str) or (isinstance(example, list) and all(isinstance(e, str) for e in example))):
        example = None
    mlflow.transformers.save_model(
        {"model": network, "tokenizer": tokenizer} if tokenizer is not None else network,
        dest,
        task=task,
        input_example=example,
        pip_requirements=list(model.requirements) or ["transformers", "torch"],
        mlflow_model=mlflow_model,
    )
    meta = read_model_meta(model.local_path)
    files = {"model": "model"}
    if tokenizer is not None and os.path.isdir(os.path.join(dest, "components", "tokenizer")):
        files["tokenizer"] = "components/tokenizer"
    meta["files"] = files
    meta.setdefault("metadata", {})["mlflow_task"] = task
    with open(os.path.join(dest, MODEL_META_FILE), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, default=str)


#: flavor -> saver writing MLflow's format at ``dest``; it returns the autolog files MLflow
#: wrote an equivalent of (merged in beside), or None when it wrote autolog's metadata itself.
_NATIVE_SAVERS: dict[str, Callable[[ModelRecord, str, Warn, Any], frozenset[str] | None]] = {
    "sklearn": _save_sklearn,
    "transformers": _save_transformers,
}
