"""Sweeps run in this process: trials as child runs, the objective, distributions, pruning, failures."""

from __future__ import annotations

import io
import math

import pytest

pytest.importorskip("optuna")

import autolog
from autolog.sweeps import agent, create_sweep, show


def _runs(experiment=None):
    return autolog.Client().search_runs(experiment)


def _trials(parent_run_id):
    return [r for r in _runs() if r.parent_run_id == parent_run_id]


def test_grid_covers_exactly_the_grid_with_one_child_run_per_trial(capsys):
    cfg = {"method": "grid", "metric": {"name": "loss"},
           "parameters": {"x": {"values": [1, 2, 3]}, "opt": {"parameters": {"y": {"values": ["a", "b"]}}}, "k": {"value": 7}}}
    seen = []

    def train(config):
        seen.append((config["x"], config["opt"]["y"], config["k"]))
        run = autolog.active_run()
        for step in range(3):
            run.log_metric("loss", config["x"] * (1 if config["opt"]["y"] == "a" else 2) / (step + 1), step=step)

    best = autolog.sweep(cfg, train)
    assert sorted(seen) == sorted((x, y, 7) for x in (1, 2, 3) for y in ("a", "b"))
    assert best.params == {"x": 1, "opt": {"y": "a"}, "k": 7} and best.value == pytest.approx(1 / 3)
    parent = next(r for r in _runs() if r.parent_run_id is None)
    trials = _trials(parent.run_id)
    assert len(trials) == 6 and {r.status for r in trials} == {"FINISHED"}
    assert parent.metrics["best_loss"] == pytest.approx(1 / 3) and parent.tags["autolog.best_run_id"] == best.run_id
    by_number = {int(r.tags["autolog.trial_number"]): r for r in trials}
    assert sorted(by_number) == list(range(6))
    assert {r.tags["autolog.sweep_id"] for r in trials} == {parent.tags["autolog.sweep_id"]}
    assert {(r.params["x"], r.params["opt.y"], r.params["k"]) for r in trials} == {(str(x), y, "7") for x in (1, 2, 3) for y in "ab"}
    printed = capsys.readouterr()
    assert printed.out.count("COMPLETE") == 6 and "best trial" in printed.out and "x: 1" in printed.out
    assert "6/6 trials" in printed.err  # the progress bar


def test_random_search_respects_bounds_log_q_and_int():
    cfg = {"method": "random", "metric": {"name": "score", "goal": "maximize"},
           "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
                          "n": {"distribution": "int_uniform", "min": 2, "max": 5},
                          "w": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25},
                          "e": {"distribution": "log_uniform", "min": -2, "max": 0},
                          "z": {"distribution": "q_normal", "mu": 10, "sigma": 2, "q": 1},
                          "c": {"values": ["x", "y"], "probabilities": [1.0, 0.0]}}}
    got = []

    def train(config):
        got.append(config)
        autolog.active_run().log_metric("score", config["n"] + config["w"])

    autolog.sweep(cfg, train, count=25, verbose=False)
    assert len(got) == 25
    lrs = [c["lr"] for c in got]
    assert all(1e-5 <= v <= 1e-1 for v in lrs)
    assert sum(v < 1e-3 for v in lrs) >= 8  # log-uniform: half the draws below the geometric middle
    assert {type(c["n"]) for c in got} == {int} and {c["n"] for c in got} <= {2, 3, 4, 5}
    assert all(c["w"] in (0, 0.25, 0.5, 0.75, 1.0) for c in got)
    assert all(math.exp(-2) <= c["e"] <= 1 for c in got)
    assert all(c["z"] == int(c["z"]) and 0 < c["z"] < 20 for c in got)
    assert {c["c"] for c in got} == {"x"}


def test_bayes_search_respects_bounds_and_moves_toward_the_optimum():
    cfg = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"x": {"min": -10.0, "max": 10.0}, "k": {"distribution": "int_uniform", "min": 1, "max": 3}}}
    got = []

    def train(config):
        got.append(config)
        autolog.active_run().log_metric("loss", (config["x"] - 3) ** 2 + config["k"])

    best = autolog.sweep(cfg, train, count=30, verbose=False)
    assert all(-10 <= c["x"] <= 10 and c["k"] in (1, 2, 3) for c in got)
    assert best.value < 3 and abs(best.params["x"] - 3) < 1.5


def test_hyperband_prunes_a_trial_logging_a_bad_curve():
    # good curves first (each a little better than the last), then bad ones
    cfg = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"quality": {"values": [0.1, 5.0]}, "seed": {"distribution": "int_uniform", "min": 0, "max": 5}},
           "early_terminate": {"type": "hyperband", "min_iter": 1, "max_iter": 9, "eta": 3}}

    def train(config):
        run = autolog.active_run()
        for step in range(1, 13):
            run.log_metric("loss", config["quality"] + 1.0 / step - config["seed"] * 0.001, step=step)

    autolog.sweep(cfg, train, verbose=False)
    trials = [r for r in _runs() if "autolog.trial_number" in r.tags]
    assert len(trials) == 12
    pruned = [r for r in trials if r.status == "KILLED"]
    assert pruned, "no trial was pruned"
    assert all(r.tags["pruned"] == "true" for r in pruned)
    assert all(r.params["quality"] == "5.0" for r in pruned)  # only bad curves are cut
    assert all(r.status == "FINISHED" for r in trials if r.params["quality"] == "0.1")
    for run in pruned:  # stopped where it was pruned: no later step logged
        history = autolog.Client().get_metric_history(run.run_id, "loss")
        assert history[-1].step == int(run.tags["autolog.pruned_at_step"]) < 12


def test_a_crashing_trial_fails_with_its_reason_and_the_sweep_goes_on(capsys):
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2, 3]}}}

    def train(config):
        if config["x"] == 2:
            raise ValueError("bad x")
        autolog.active_run().log_metric("loss", config["x"])

    best = autolog.sweep(cfg, train)
    trials = {r.params["x"]: r for r in _runs() if "autolog.trial_number" in r.tags}
    assert trials["2"].status == "FAILED" and trials["2"].tags["autolog.sweep_failure"] == "ValueError: bad x"
    assert trials["1"].status == trials["3"].status == "FINISHED"
    assert best.params == {"x": 1}
    assert "FAIL" in capsys.readouterr().out


def test_a_metric_never_logged_fails_the_trial_with_a_clear_message():
    cfg = {"method": "grid", "metric": {"name": "val_loss"}, "parameters": {"x": {"values": [1, 2]}}}

    def train(config):
        autolog.active_run().log_metric("val_los", 1.0)  # a typo

    assert autolog.sweep(cfg, train, verbose=False) is None
    trials = [r for r in _runs() if "autolog.trial_number" in r.tags]
    assert {r.status for r in trials} == {"FAILED"}
    assert all("metric 'val_loss' was never logged" in r.tags["autolog.sweep_failure"] for r in trials)


def test_best_summary_takes_the_best_value_and_a_child_run_counts():
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    autolog.autolog()
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    cfg = {"method": "grid", "metric": {"name": "training_accuracy_score", "goal": "maximize", "summary": "best"},
           "parameters": {"C": {"values": [0.01, 1.0]}}}

    def train(config):
        LogisticRegression(C=config["C"]).fit(X, y)  # autologged into the trial's run

    best = autolog.sweep(cfg, train, verbose=False)
    trial = autolog.Client().get_run(best.run_id)
    assert trial.tags["autolog.sweep_id"] and trial.params["C"] == str(best.params["C"])
    assert best.value == pytest.approx(trial.metrics["training_accuracy_score"])
    assert trial.tags.get("estimator_name") == "LogisticRegression"  # the fit logged into the trial


def test_agent_and_show_continue_a_created_sweep(tmp_path):
    cfg = {"method": "random", "metric": {"name": "loss"}, "run_cap": 4, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    opened = create_sweep(cfg, name="my-sweep")
    assert opened.sweep_id == "my-sweep"
    with pytest.raises(ValueError, match="already exists"):
        create_sweep(cfg, name="my-sweep")

    def train(config):
        autolog.active_run().log_metric("loss", config["x"])

    first = agent("my-sweep", train, count=3, verbose=False)
    rest = agent("my-sweep", train, verbose=False)
    assert len(first) == 3 and len(rest) == 1  # run_cap: 4 trials in all
    assert agent("my-sweep", train, verbose=False) == []
    out = io.StringIO()
    best = show("my-sweep", out=out)
    text = out.getvalue()
    assert text.count("COMPLETE") == 4 and f"best trial {best.number}" in text
    assert best.value == min(o.value for o in first + rest)
    with pytest.raises(LookupError, match="no sweep 'nope'"):
        show("nope")


def test_a_bad_config_writes_nothing(tmp_path):
    from autolog.sweeps import SweepConfigError

    with pytest.raises(SweepConfigError, match=r"^parameters\.lr\.min: 5 is above max 1"):
        autolog.sweep({"method": "random", "metric": {"name": "l"}, "parameters": {"lr": {"min": 5, "max": 1}}},
                      lambda: None, count=1)
    assert _runs() == []
    assert not (tmp_path / "autolog-runs" / "sweeps.db").exists()


def test_any_optuna_storage_url_and_a_function_without_arguments(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [2, 1]}}}

    def train():
        run = autolog.active_run()
        run.log_metric("loss", float(run.params["x"]))

    best = autolog.sweep(cfg, train, storage=url, name="remote", verbose=False)
    assert best.params == {"x": 1}
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "autolog-runs" / "sweeps.db").exists()
    out = io.StringIO()
    show("remote", storage=url, out=out)
    assert "best trial 1: loss=1" in out.getvalue()


def test_ctrl_c_in_a_trial_stops_the_sweep_and_ends_its_runs_killed():
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2, 3]}}}
    calls = []

    def train(config):
        calls.append(config["x"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        autolog.sweep(cfg, train, verbose=False)
    assert calls == [1]
    assert sorted(r.status for r in _runs()) == ["KILLED", "KILLED"]  # the trial and the sweep's run


def test_metric_target_stops_the_sweep_once_reached():
    cfg = {"method": "grid", "metric": {"name": "acc", "goal": "maximize", "target": 0.9},
           "parameters": {"x": {"values": [0.5, 0.95, 0.7, 0.99]}}}
    calls = []

    def train(config):
        calls.append(config["x"])
        autolog.active_run().log_metric("acc", config["x"])

    best = autolog.sweep(cfg, train, verbose=False)
    assert calls == [0.5, 0.95] and best.value == 0.95


def test_the_metric_may_come_from_a_run_below_the_trial(tmp_path):
    cfg = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [3, 1]}}}

    def train(config):
        with autolog.run(name="inner") as inner:  # a child of the trial's run
            inner.log_metric("loss", config["x"])

    best = autolog.sweep(cfg, train, verbose=False)
    assert best.value == 1
    inner = [r for r in _runs() if r.name == "inner"]
    assert len(inner) == 2 and {r.parent_run_id for r in inner} == {o.run_id for o in _trials_of_sweep()}
    with pytest.raises(LookupError):
        show("nope", storage=f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()


def _trials_of_sweep():
    return [r for r in _runs() if "autolog.trial_number" in r.tags]
