"""``Trainer.hyperparameter_search(backend="optuna")``: one parent run, one child run per trial."""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")

import autolog


def test_hyperparameter_search_gives_one_child_run_per_trial_under_one_parent(bert, tokenizer, cls_data, training_args):
    from transformers import DataCollatorWithPadding, Trainer

    autolog.autolog(transformers={"log_models": False, "log_checkpoints": "none"})
    train, evaluation = cls_data
    trainer = Trainer(
        model_init=bert,
        args=training_args(max_steps=3, eval_strategy="no", save_strategy="no", logging_steps=1),
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
    )

    def space(trial):
        return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)}

    best = trainer.hyperparameter_search(hp_space=space, backend="optuna", n_trials=3, direction="minimize")
    runs = autolog.Client().search_runs()
    parents = [r for r in runs if r.parent_run_id is None]
    assert len(parents) == 1, [(r.name, r.parent_run_id) for r in runs]
    parent = parents[0]
    assert parent.name == "hyperparameter_search" and parent.status == "FINISHED"
    assert parent.params["hp_search.backend"] == "optuna" and parent.params["hp_search.n_trials"] == "3"
    assert parent.metrics["best_objective"] == pytest.approx(best.objective)
    assert parent.tags["autolog.best_trial"] == best.run_id
    trials = sorted((r for r in runs if r.parent_run_id == parent.run_id), key=lambda r: int(r.tags["autolog.trial_number"]))
    assert [r.tags["autolog.trial_number"] for r in trials] == ["0", "1", "2"]
    assert {r.status for r in trials} == {"FINISHED"}
    assert len({r.params["learning_rate"] for r in trials}) == 3  # each trial its own params
    best_run = trials[int(best.run_id)]
    assert float(best_run.params["learning_rate"]) == pytest.approx(best.hyperparameters["learning_rate"])
    assert best_run.metrics["eval_loss"] == pytest.approx(best.objective)  # the evaluation after training
    assert all(autolog.Client().get_metric_history(r.run_id, "loss") for r in trials)


def test_a_trainer_inside_a_sweep_trial_logs_into_the_trial_run(bert, tokenizer, cls_data, training_args):
    from transformers import DataCollatorWithPadding, Trainer

    autolog.autolog(transformers={"log_models": False, "log_checkpoints": "none"})
    train, evaluation = cls_data

    def trial(config):
        Trainer(
            model=bert(),
            args=training_args(max_steps=2, eval_strategy="no", save_strategy="no", logging_steps=1, **config),
            train_dataset=train,
            eval_dataset=evaluation,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
        ).train()

    cfg = {"method": "grid", "metric": {"name": "train_loss"}, "parameters": {"learning_rate": {"values": [0.001, 0.01]}}}
    best = autolog.sweep(cfg, trial, verbose=False)
    runs = autolog.Client().search_runs()
    trials = [r for r in runs if "autolog.trial_number" in r.tags]
    assert len(trials) == 2 and len(runs) == 3  # the sweep's run and its two trials: no stray Trainer run
    for run in trials:
        assert run.status == "FINISHED" and run.tags["trainer.class"] == "Trainer"
        assert run.params["learning_rate"] in ("0.001", "0.01") and run.params["max_steps"] == "2"
        assert "train_loss" in run.metrics and autolog.Client().get_metric_history(run.run_id, "loss")
    assert best.value == min(r.metrics["train_loss"] for r in trials)


def test_hyperband_stops_a_diverging_trainer_inside_a_sweep(bert, tokenizer, cls_data, training_args):
    from transformers import DataCollatorWithPadding, Trainer

    autolog.autolog(transformers={"log_models": False, "log_checkpoints": "none"})
    train, evaluation = cls_data

    def trial(config):
        Trainer(
            model=bert(),
            args=training_args(max_steps=5, eval_strategy="no", save_strategy="no", logging_steps=1, **config),
            train_dataset=train,
            eval_dataset=evaluation,
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
        ).train()

    cfg = {"method": "grid", "metric": {"name": "loss"},
           "parameters": {"learning_rate": {"values": [1e-4, 100.0]}},  # the second one diverges at once
           "early_terminate": {"type": "hyperband", "min_iter": 2, "max_iter": 4, "eta": 3}}  # one bracket
    autolog.sweep(cfg, trial, verbose=False)
    runs = {r.params["learning_rate"]: r for r in autolog.Client().search_runs() if "autolog.trial_number" in r.tags}
    assert runs["0.0001"].status == "FINISHED"
    diverged = runs["100.0"]
    assert diverged.status == "KILLED" and diverged.tags["pruned"] == "true"
    history = autolog.Client().get_metric_history(diverged.run_id, "loss")
    assert history[-1].step == 2  # stopped at the rung, before its last step
