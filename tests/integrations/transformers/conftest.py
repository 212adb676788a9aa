"""Tiny models, a locally built tokenizer and small datasets for real ``Trainer`` runs on CPU.

Nothing is downloaded: the tokenizer is a WordLevel ``tokenizers`` model over a fixed vocabulary,
the models are built from configs with a few thousand parameters.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = ["the", "a", "good", "bad", "movie", "film", "great", "awful", "plot", "acting", "was", "is", "really", "not", "quite", "fun", "dull"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("WANDB_MODE", "disabled")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models train fastest on one thread (leaving a core to autolog's delivery thread)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )


def _sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(n)]


@pytest.fixture(scope="session")
def cls_data(tokenizer) -> tuple[Any, Any]:
    """(train, eval) ``datasets.Dataset``s for sentiment-like classification, tokenized."""
    import datasets

    def build(n: int, seed: int) -> Any:
        texts = _sentences(n, seed)
        labels = [int("good" in t or "great" in t or "fun" in t) for t in texts]
        ds = datasets.Dataset.from_dict({"text": texts, "label": labels})
        return ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=16), batched=True)

    return build(64, 0), build(16, 1)


@pytest.fixture(scope="session")
def lm_data(tokenizer) -> tuple[Any, Any]:
    """(train, eval) datasets for causal language modelling (fixed length, labels = inputs)."""
    import datasets

    def build(n: int, seed: int) -> Any:
        ds = datasets.Dataset.from_dict({"text": _sentences(n, seed)})

        def encode(batch: dict[str, list[str]]) -> dict[str, Any]:
            out = tokenizer(batch["text"], truncation=True, max_length=12, padding="max_length")
            out["labels"] = [list(ids) for ids in out["input_ids"]]
            return out

        return ds.map(encode, batched=True, remove_columns=["text"])

    return build(48, 2), build(12, 3)


@pytest.fixture
def bert(tokenizer) -> Callable[[], Any]:
    """Builds a tiny BERT sequence classifier."""
    from transformers import BertConfig, BertForSequenceClassification

    def build() -> Any:
        config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
            max_position_embeddings=32,
            num_labels=2,
        )
        return BertForSequenceClassification(config)

    return build


@pytest.fixture
def gpt2(tokenizer) -> Callable[[], Any]:
    """Builds a tiny GPT-2 causal LM."""
    from transformers import GPT2Config, GPT2LMHeadModel

    def build() -> Any:
        config = GPT2Config(
            n_embd=32, n_layer=2, n_head=2, n_positions=32, vocab_size=len(tokenizer), pad_token_id=0
        )
        return GPT2LMHeadModel(config)

    return build


@pytest.fixture
def training_args(tmp_path) -> Callable[..., Any]:
    """``TrainingArguments`` for a short CPU run into ``tmp_path/out``; keywords override."""
    from transformers import TrainingArguments

    def build(args_cls: type = TrainingArguments, **overrides: Any) -> Any:
        options: dict[str, Any] = dict(
            output_dir=str(tmp_path / "out"),
            use_cpu=True,
            report_to="none",
            per_device_train_batch_size=8,
            per_device_eval_batch_size=8,
            max_steps=12,
            logging_steps=1,
            save_steps=4,
            eval_strategy="steps",
            eval_steps=6,
            disable_tqdm=True,
            dataloader_num_workers=0,
            seed=0,
        )
        options.update(overrides)
        return args_cls(**options)

    return build


@pytest.fixture
def make_trainer(bert, tokenizer, cls_data, training_args) -> Callable[..., Any]:
    """A Trainer for the tiny BERT classifier; ``cls`` picks a Trainer subclass."""
    from transformers import DataCollatorWithPadding, Trainer

    def build(cls: type | None = None, model: Any = None, callbacks: list[Any] | None = None, **args: Any) -> Any:
        train, evaluation = cls_data
        return (cls or Trainer)(
            model=model or bert(),
            args=training_args(**args),
            train_dataset=train,
            eval_dataset=evaluation,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
            callbacks=callbacks,
        )

    return build
