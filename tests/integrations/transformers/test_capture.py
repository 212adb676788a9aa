"""Unit tests of what the integration extracts: params, secrets, metric values, PEFT, datasets."""

from __future__ import annotations

import enum
import json
import os
import sys

import numpy as np
import pytest
from autolog.integrations.transformers import _capture


def test_autolog_loads_transformers_only_when_the_user_does_and_patches_it_then():
    import subprocess

    code = "\n".join(
        [
            "import sys, autolog, autolog.integrations.transformers",
            "autolog.autolog(backends=[])",
            "assert 'transformers' not in sys.modules and 'torch' not in sys.modules",
            "from transformers import Trainer",
            "from autolog.sdk import is_patched",
            "assert is_patched(Trainer, '__init__') and is_patched(Trainer, 'train')",
        ]
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "AUTOLOG_TESTING": "1"})


@pytest.mark.parametrize(
    "name", ["hub_token", "token", "api_key", "AWS_SECRET_ACCESS_KEY", "db_password", "client_secret_file"]
)
def test_secret_names_are_recognised(name):
    assert _capture.is_secret(name)


@pytest.mark.parametrize(
    "name", ["pad_token_id", "num_key_value_heads", "include_num_input_tokens_seen", "learning_rate", "keys_to_ignore"]
)
def test_ordinary_names_are_not_secrets(name):
    assert not _capture.is_secret(name)


class Color(enum.Enum):
    RED = "red"


def test_flatten_nests_dicts_serialises_lists_and_redacts_at_any_depth():
    flat = _capture.flatten(
        {
            "lr": 0.1,
            "optim_args": {"betas": [0.9, 0.99], "eps": 1e-8, "inner": {"api_key": "abc"}},
            "report_to": ["mlflow", "wandb"],
            "kw": {},
            "mode": Color.RED,
            "hub_token": "hf_secret",
            "targets": {"q", "v"},
            "nested_list": [{"password": "p", "x": 1}],
            "none": None,
        },
        "p.",
    )
    assert flat == {
        "p.lr": 0.1,
        "p.optim_args.betas": "[0.9, 0.99]",
        "p.optim_args.eps": 1e-8,
        "p.optim_args.inner.api_key": "<redacted>",
        "p.report_to": '["mlflow", "wandb"]',
        "p.kw": "{}",
        "p.mode": "red",
        "p.hub_token": "<redacted>",
        "p.targets": '["q", "v"]',
        "p.nested_list": '[{"password": "<redacted>", "x": 1}]',
        "p.none": None,
    }
    assert "hf_secret" not in json.dumps(flat) and "abc" not in json.dumps(flat)


def test_logged_values_follow_the_sdks_one_metric_rule():
    import torch

    assert _capture.to_float(1.5) == 1.5
    assert _capture.to_float(3) == 3.0
    assert _capture.to_float(True) == 1.0  # as MLflow: a bool is 0 or 1
    assert _capture.to_float(np.float32(2.5)) == 2.5
    assert _capture.to_float(np.int64(7)) == 7.0
    assert _capture.to_float(torch.tensor(0.25)) == 0.25
    for bad in ("1.5", None, [1.0], {"a": 1}, torch.tensor([1.0, 2.0]), object(), 10**400):
        assert _capture.to_float(bad) is None


def test_peft_models_are_described_by_duck_typed_peft_config():
    class LoraConfig:
        def to_dict(self):
            return {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": {"query", "value"}}

    class FakePeftModel:
        peft_config = {"default": LoraConfig()}

    tags = _capture.peft_tags(FakePeftModel())
    assert tags["peft.adapters"] == '["default"]'
    assert tags["peft.peft_type"] == "LORA"
    assert tags["peft.r"] == 8
    assert tags["peft.target_modules"] == '["query", "value"]'
    assert _capture.peft_tags(object()) == {}


def test_dataset_params_for_datasets_torch_and_dict_datasets(cls_data):
    train, evaluation = cls_data
    params = _capture.dataset_params("eval", {"a": evaluation, "b": [1, 2, 3]})
    assert params["dataset.eval.a.num_rows"] == 16
    assert json.loads(params["dataset.eval.a.columns"]) == ["text", "label", "input_ids", "attention_mask"]
    assert set(json.loads(params["dataset.eval.a.features"])) == {"text", "label", "input_ids", "attention_mask"}
    assert params["dataset.eval.a.fingerprint"] == evaluation._fingerprint
    assert params["dataset.eval.b.num_rows"] == 3 and params["dataset.eval.b.type"] == "list"
    assert _capture.dataset_params("train", None) == {}


def test_output_spec_follows_the_model_head(bert, gpt2, tokenizer):
    assert _capture.output_spec(bert())["tensors"] == [{"name": "logits", "dtype": "float32", "shape": [-1, 2]}]
    assert _capture.output_spec(gpt2())["tensors"] == [
        {"name": "logits", "dtype": "float32", "shape": [-1, -1, len(tokenizer)]}
    ]


def test_plugins_can_replace_the_extracted_params(fresh_plugins, bert, training_args):
    from autolog import _plugins, hookimpl

    class CustomParams:
        @hookimpl
        def autolog_extract_params(self, obj, integration):
            if integration == "transformers" and hasattr(obj, "config"):
                return {"family": "tiny-bert", "api_key": "k"}
            return None

    _plugins.register(CustomParams(), "custom-params")
    params = _capture.training_params(training_args(), bert())
    assert params["model.family"] == "tiny-bert" and params["model.api_key"] == "<redacted>"
    assert "model.hidden_size" not in params and params["max_steps"] == 12
