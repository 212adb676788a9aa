"""Real Trainer runs after ``autolog.autolog()``: what one run records, end to end in memory."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from autolog.integrations.transformers import AutologCallback

import autolog
from autolog.sdk import is_patched


def _callbacks_of(trainer) -> list[AutologCallback]:
    return [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, AutologCallback)]


def test_classifier_run_records_params_tags_metrics_checkpoint_and_model(memory, make_trainer, tokenizer):
    trainer = make_trainer(hub_token="hf_do_not_log", hub_model_id="org/" + "x" * 6000)
    assert len(_callbacks_of(trainer)) == 1
    trainer.train()
    autolog.flush()

    run = memory.only_run()
    assert run.status == "FINISHED"
    # params: every TrainingArguments field, the model config under model., secrets redacted
    fields = trainer.args.to_dict()
    assert set(fields) <= {key.split(".")[0] for key in run.params}
    assert run.params["learning_rate"] == str(trainer.args.learning_rate)
    assert run.params["max_steps"] == "12"
    assert run.params["hub_model_id"] == "org/" + "x" * 6000  # values of any length, whole
    assert run.params["hub_token"] == "<redacted>"
    assert run.params["accelerator_config.split_batches"] == "False"  # a nested dict, flattened
    assert "hf_do_not_log" not in json.dumps(run.params)
    assert run.params["model.hidden_size"] == "32"
    assert run.params["model.id2label.0"] == "LABEL_0"
    assert run.params["model.pad_token_id"] == "0"
    assert run.params["dataset.train.num_rows"] == "64"
    assert run.params["dataset.eval.num_rows"] == "16"
    assert run.params["dataset.train.fingerprint"] == trainer.train_dataset._fingerprint
    assert "label" in json.loads(run.params["dataset.train.columns"])
    # tags
    total = sum(p.numel() for p in trainer.model.parameters())
    assert run.tags["model.class"] == "BertForSequenceClassification"
    assert run.tags["model.num_parameters"] == str(total)
    assert run.tags["model.num_trainable_parameters"] == str(total)
    assert run.tags["precision"] == "fp32" and run.tags["device"] == "cpu" and run.tags["world_size"] == "1"
    assert run.tags["transformers.version"] and run.tags["torch.version"]
    # metrics: every logging step, evaluation at its steps, the final train metrics
    assert [step for step, _ in run.history("loss")] == list(range(1, 13))
    assert {"grad_norm", "learning_rate", "epoch"} <= set(run.metrics)
    assert [step for step, _ in run.history("eval_loss")] == [6, 12]
    for key in ("train_runtime", "train_samples_per_second", "train_loss", "total_flos"):
        assert run.history(key)[0][0] == 12
    assert run.history("loss") == [(e["step"], e["loss"]) for e in trainer.state.log_history if "loss" in e]
    # checkpoints: only the last one by default
    assert [(a.artifact_path, a.kind.value, a.aliases) for a in run.artifacts] == [
        ("checkpoints/checkpoint-12", "checkpoint", ("latest",))
    ]
    assert "model.safetensors" in os.listdir(run.files["checkpoints/checkpoint-12"])
    # the model, with its signature and input example
    (model,) = run.models
    assert model.flavor == "transformers" and model.artifact_path == "model"
    assert model.signature["inputs"]["tensors"] == [
        {"name": "input_ids", "dtype": "int64", "shape": [-1, -1]},
        {"name": "attention_mask", "dtype": "int64", "shape": [-1, -1]},
    ]
    assert model.signature["outputs"]["tensors"] == [{"name": "logits", "dtype": "float32", "shape": [-1, 2]}]
    example = model.input_example
    assert len(example["inputs"]["input_ids"]) == 3 and "labels" not in example["inputs"]
    assert example["text"] == tokenizer.batch_decode(example["inputs"]["input_ids"], skip_special_tokens=True)
    assert {req.split("==")[0] for req in model.requirements} == {"transformers", "torch"}
    files = os.listdir(run.files["model"])
    assert {"autolog-model.json", "config.json", "model.safetensors", "tokenizer.json"} <= set(files)
    assert not {"optimizer.pt", "trainer_state.json", "autolog_run.json"} & set(files)


def test_causal_lm_run_records_vocabulary_sized_logits(memory, gpt2, tokenizer, lm_data, training_args):
    from transformers import Trainer

    train, evaluation = lm_data
    trainer = Trainer(
        model=gpt2(), args=training_args(), train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer
    )
    trainer.train()
    autolog.flush()

    run = memory.only_run()
    assert run.status == "FINISHED"
    assert run.tags["model.class"] == "GPT2LMHeadModel"
    assert run.params["model.n_embd"] == "32"
    assert len(run.history("loss")) == 12 and len(run.history("eval_loss")) == 2
    signature = run.models[0].signature
    assert signature["outputs"]["tensors"][0]["shape"] == [-1, -1, len(tokenizer)]
    assert [t["name"] for t in signature["inputs"]["tensors"]] == ["input_ids", "attention_mask"]


def test_metric_values_are_converted_and_logs_left_untouched(memory, make_trainer):
    import torch
    from transformers import Trainer, TrainerCallback

    class ExtraLogs(Trainer):
        def log(self, logs, start_time=None):
            logs.update(np_value=np.float32(0.5), tensor_value=torch.tensor(1.5), note="text", nested={"a": 1})
            super().log(logs, start_time)

    seen = []

    class Spy(TrainerCallback):  # runs after autolog's callback: sees the very same dict
        def on_log(self, args, state, control, logs=None, **kwargs):
            seen.append({k: v for k, v in logs.items()})

    trainer = make_trainer(cls=ExtraLogs, max_steps=2, save_strategy="no", eval_strategy="no")
    trainer.add_callback(Spy())
    trainer.train()
    autolog.flush()

    run = memory.only_run()
    assert run.history("np_value") == [(1, 0.5), (2, 0.5), (2, 0.5)]
    assert run.history("tensor_value")[0] == (1, 1.5)
    assert "note" not in run.metrics and "nested" not in run.metrics
    assert type(seen[0]["np_value"]) is np.float32 and isinstance(seen[0]["tensor_value"], torch.Tensor)
    assert seen[0]["note"] == "text"


def test_evaluate_and_predict_after_training_log_into_the_same_run(memory, make_trainer, cls_data):
    trainer = make_trainer(eval_strategy="no", save_steps=100)
    trainer.train()
    trainer.evaluate()
    trainer.predict(cls_data[1])
    autolog.flush()

    run = memory.only_run()
    assert run.status == "FINISHED"
    assert run.history("eval_loss") == [(12, pytest.approx(run.history("eval_loss")[0][1]))]
    assert [step for step, _ in run.history("test_loss")] == [12]
    assert _callbacks_of(trainer)[0].run_id == run.start.run_id


def test_training_twice_gives_two_runs(memory, make_trainer):
    trainer = make_trainer(max_steps=2, eval_strategy="no", save_steps=100)
    trainer.train()
    trainer.train()
    autolog.flush()
    assert len(memory.runs) == 2
    assert all(run.status == "FINISHED" for run in memory.runs.values())
    assert len(_callbacks_of(trainer)) == 1


def test_subclasses_are_recorded_without_code_change(memory, make_trainer):
    from transformers import Seq2SeqTrainer, Seq2SeqTrainingArguments

    class ThirdPartyTrainer(Seq2SeqTrainer):  # like TRL's trainers: a subclass with its own __init__
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.extra = True

    trainer = make_trainer(
        cls=ThirdPartyTrainer, args_cls=Seq2SeqTrainingArguments, max_steps=2, eval_strategy="no", save_steps=100
    )
    assert len(_callbacks_of(trainer)) == 1
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    assert run.status == "FINISHED" and run.tags["trainer.class"] == "ThirdPartyTrainer"


def test_user_run_receives_the_trainer_records_and_is_not_ended(memory, make_trainer):
    trainer = make_trainer(max_steps=2, eval_strategy="no", save_steps=100)
    with autolog.run(name="mine") as mine:
        trainer.train()
        autolog.flush()
        assert memory.runs[mine.run_id].status is None
        assert autolog.active_run() is mine
    autolog.flush()
    assert list(memory.runs) == [mine.run_id]
    run = memory.runs[mine.run_id]
    assert run.status == "FINISHED" and len(run.history("loss")) == 2 and run.models


def test_options_turn_off_models_checkpoints_datasets_and_examples(make_trainer):
    from autolog.testing import MemoryBackend

    memory = MemoryBackend()
    autolog.autolog(
        backends=[memory],
        transformers={"log_models": False, "log_checkpoints": "none", "log_datasets": False},
    )
    trainer = make_trainer(max_steps=4)
    trainer.train()
    autolog.flush()
    run = memory.only_run()
    assert not run.models and not run.artifacts
    assert not any(key.startswith("dataset.") for key in run.params)
    assert not os.path.exists(os.path.join(trainer.args.output_dir, ".autolog-staging"))

    autolog.autolog(backends=[memory], log_input_examples=False, log_signatures=False)
    make_trainer(max_steps=2, eval_strategy="no").train()
    autolog.flush()
    (second,) = [r for r in memory.runs.values() if r is not run]
    assert second.models[0].signature is None and second.models[0].input_example is None


def test_disable_removes_the_patches_and_silences_auto_callbacks(memory, make_trainer):
    from transformers import Trainer

    trainer = make_trainer(max_steps=2, eval_strategy="no", save_steps=100)
    autolog.autolog(disable=True)
    assert not is_patched(Trainer, "__init__")
    assert not is_patched(Trainer, "train")
    trainer.train()  # its callback was added by autolog, which is now off
    make_trainer(max_steps=2, eval_strategy="no", save_steps=100).train()
    autolog.flush()
    assert memory.runs == {}


def test_integration_disable_option_skips_patching(make_trainer):
    from autolog.testing import MemoryBackend

    memory = MemoryBackend()
    autolog.autolog(backends=[memory], transformers={"disable": True})
    trainer = make_trainer(max_steps=2, eval_strategy="no", save_steps=100)
    assert _callbacks_of(trainer) == []
    trainer.train()
    autolog.flush()
    assert memory.runs == {}


def test_callback_pickles_with_its_options_only():
    import pickle

    callback = AutologCallback(log_checkpoints="all", run_name="mine")
    copy = pickle.loads(pickle.dumps(callback))
    assert copy._overrides == {"log_checkpoints": "all"} and copy.run_name == "mine"
    assert copy.run_id is None
