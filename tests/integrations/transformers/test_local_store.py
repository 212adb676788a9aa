"""End to end with the default local store: read back with ``Client`` and ``load_model``."""

from __future__ import annotations

import os

import pytest
from autolog.integrations.transformers import LoadedModel

import autolog


@pytest.fixture
def local(tmp_path):
    autolog.autolog(backends=["local"], tracking_dir=str(tmp_path / "runs"))
    return autolog.Client(str(tmp_path / "runs"))


def test_logged_model_loads_with_autolog_and_with_transformers(local, make_trainer, tokenizer):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    trainer = make_trainer(max_steps=4, eval_strategy="no")
    trainer.train()
    autolog.flush()
    (run,) = local.search_runs()
    assert run.status == "FINISHED" and run.tags["model.class"] == "BertForSequenceClassification"
    assert [p.step for p in local.get_metric_history(run.run_id, "loss")] == [1, 2, 3, 4]

    loaded = autolog.load_model(f"runs:/{run.run_id}/model")
    assert isinstance(loaded, LoadedModel)
    model, loaded_tokenizer = loaded
    assert type(model).__name__ == "BertForSequenceClassification"
    batch = loaded_tokenizer(["good movie", "bad plot really"], return_tensors="pt", padding=True)
    assert batch["input_ids"].tolist() == tokenizer(["good movie", "bad plot really"], padding=True)["input_ids"]
    trainer.model.eval()
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch).logits, trainer.model(**batch).logits, atol=1e-6)

    folder = local.artifact_path(run.run_id, "model")
    assert type(AutoModelForSequenceClassification.from_pretrained(folder)).__name__ == "BertForSequenceClassification"
    assert AutoTokenizer.from_pretrained(folder)("good movie")["input_ids"] == tokenizer("good movie")["input_ids"]
    assert os.path.isdir(local.artifact_path(run.run_id, "checkpoints/checkpoint-4"))


def test_causal_lm_model_loads_without_a_tokenizer(local, gpt2, lm_data, training_args):
    from transformers import Trainer

    Trainer(model=gpt2(), args=training_args(max_steps=2, eval_strategy="no"), train_dataset=lm_data[0]).train()
    autolog.flush()
    (run,) = local.search_runs()
    model, tokenizer = autolog.load_model(f"runs:/{run.run_id}/model")
    assert type(model).__name__ == "GPT2LMHeadModel" and tokenizer is None


def test_resumed_run_has_no_duplicated_steps_in_the_store(local, make_trainer):
    from transformers import TrainerCallback

    class FailAt8(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 8:
                raise RuntimeError("preempted")

    with pytest.raises(RuntimeError):
        make_trainer(callbacks=[FailAt8()], save_steps=3, eval_strategy="no").train()
    make_trainer(save_steps=3, eval_strategy="no").train(resume_from_checkpoint=True)
    autolog.flush()
    (run,) = local.search_runs()
    assert run.status == "FINISHED"
    assert [p.step for p in local.get_metric_history(run.run_id, "loss")] == list(range(1, 13))
