"""A tiny GPT-2 causal LM, its word-level tokenizer and a Trainer over them, built from configs in
the test (no download): what the MLflow-flavor and chapter tests train."""

from __future__ import annotations

import random
from typing import Any

WORDS = ["the", "a", "good", "bad", "movie", "film", "plot", "was", "is", "fun", "dull"]
SPECIALS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]


def tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", bos_token="[BOS]", eos_token="[EOS]"
    )


def gpt2(tok: Any) -> Any:
    """A 2-layer, 32-wide GPT-2 that generates 4 new tokens by default (a pipeline's default
    length would run past its 32 positions)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        n_embd=32, n_layer=2, n_head=2, n_positions=32, vocab_size=len(tok),
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.generation_config.max_new_tokens = 4
    return model


def rows(tok: Any, n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(n)]
    encoded = tok(texts, truncation=True, max_length=8, padding="max_length")
    return [{"input_ids": ids, "attention_mask": mask, "labels": list(ids)}
            for ids, mask in zip(encoded["input_ids"], encoded["attention_mask"])]


def trainer(output_dir: str, **overrides: Any) -> Any:
    """A Trainer of the tiny GPT-2 with its tokenizer: 8 steps, evaluated and checkpointed every 4."""
    import torch
    from transformers import Trainer, TrainingArguments, default_data_collator

    torch.manual_seed(0)
    tok = tokenizer()
    options: dict[str, Any] = dict(
        output_dir=output_dir, use_cpu=True, report_to="none", per_device_train_batch_size=4,
        per_device_eval_batch_size=4, max_steps=8, logging_steps=2, save_steps=4, eval_strategy="steps",
        eval_steps=4, disable_tqdm=True, dataloader_num_workers=0, seed=0, learning_rate=1e-2,
    )
    options.update(overrides)
    return Trainer(
        model=gpt2(tok), args=TrainingArguments(**options), train_dataset=rows(tok, 32, 0),
        eval_dataset=rows(tok, 8, 1), processing_class=tok, data_collator=default_data_collator,
    )
