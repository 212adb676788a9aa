"""The sweep config: W&B's schema checked key by key, translated to Optuna, and W&B's command macros."""

from __future__ import annotations

import json
import math
import sys

import pytest

pytest.importorskip("optuna")

from autolog.sweeps import SweepConfigError, parse
from autolog.sweeps._command import build_command


def config(parameters, method="random", **extra):
    return {"method": method, "metric": {"name": "loss"}, "parameters": parameters, **extra}


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0, "max": 1}}, "colour": 1}, "colour"),
        (config({"x": {"min": 0, "max": 1}}, method="hillclimb"), "method"),
        (config({"x": {"distribution": "gaussian", "mu": 0}}), "parameters.x.distribution"),
        (config({"x": {"min": 5, "max": 1}}), "parameters.x.min"),
        (config({"x": {"distribution": "int_uniform", "min": 0.5, "max": 3}}), "parameters.x"),
        (config({"x": {"distribution": "uniform", "min": 0, "max": 1, "values": [1]}}), "parameters.x.values"),
        (config({"opt": {"parameters": {"lr": {"min": 1, "max": 0.1}}}}), "parameters.opt.lr.min"),
        (config({"x": {"values": [1, 2], "probabilities": [0.5, 0.2]}}), "parameters.x.probabilities"),
        (config({"x": {"min": 0.0, "max": 1.0}}, method="grid"), "parameters.x"),
        (config({"x": {"distribution": "log_uniform_values", "min": 0, "max": 1}}), "parameters.x.min"),
        (config({"x": {"mu": 0, "sigma": -1}}), "parameters.x.sigma"),
        (config({"x": {"values": []}}), "parameters.x.values"),
        ({"method": "bayes", "parameters": {"x": {"min": 0, "max": 1}}}, "metric"),
        ({"method": "bayes", "metric": {"name": "l", "goal": "lowest"}, "parameters": {"x": {"min": 0, "max": 1}}}, "metric.goal"),
        ({"method": "bayes", "metric": {"name": "l", "mode": "x"}, "parameters": {"x": {"min": 0, "max": 1}}}, "metric.mode"),
        (config({"x": {"min": 0, "max": 1}}, early_terminate={"type": "median"}), "early_terminate.type"),
        (config({"x": {"min": 0, "max": 1}}, early_terminate={"type": "hyperband", "min_iter": 9, "max_iter": 3}), "early_terminate.min_iter"),
        (config({"x": {"min": 0, "max": 1}}, early_terminate={"type": "hyperband", "min_iter": 1, "bands": 3}), "early_terminate.bands"),
        (config({"x": {"min": 0, "max": 1}}, run_cap=0), "run_cap"),
        (config({"x": {"min": 0, "max": 1}}, command=["${interpreter}", "${program}"]), "command"),
        (config({"x": {"value": 3}}), "parameters"),
    ],
)
def test_bad_config_names_the_key(raw, names):
    with pytest.raises(SweepConfigError) as info:
        parse(raw)
    assert str(info.value).startswith(names + ":"), str(info.value)


def test_a_sweep_config_error_is_a_value_error():
    assert issubclass(SweepConfigError, ValueError)


def test_defaults_are_inferred_as_wandb_does():
    checked = parse(config({"a": {"value": 1}, "b": {"values": [1, 2]}, "c": {"min": 1, "max": 4}, "d": {"min": 0.0, "max": 1},
                            "e": {"mu": 0, "sigma": 2}}))
    assert [p.kind for p in checked.parameters] == ["constant", "categorical", "int_uniform", "uniform", "normal"]
    assert checked.goal == "minimize" and checked.summary == "last" and checked.direction == "minimize"


def _param(spec, method="random"):
    return parse(config({"x": spec}, method=method)).parameters[0]


def test_transforms_give_wandb_values():
    assert _param({"distribution": "log_uniform", "min": 0, "max": 2}).value(1.0) == pytest.approx(math.e)
    assert _param({"distribution": "q_uniform", "min": 0, "max": 10, "q": 2}).value(3.3) == 4
    assert _param({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25}).value(0.3) == 0.25
    assert _param({"distribution": "inv_log_uniform_values", "min": 0.1, "max": 10}).value(2.0) == 0.5
    normal = _param({"distribution": "normal", "mu": 5, "sigma": 2})
    assert normal.value(0.5) == pytest.approx(5.0)
    assert normal.value(0.8413447460685429) == pytest.approx(7.0)
    assert _param({"distribution": "log_normal", "mu": 0, "sigma": 1}).value(0.5) == pytest.approx(1.0)
    log_values = _param({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})
    assert log_values.distribution.log and log_values.distribution.low == 1e-4


def test_grid_enumerates_discrete_parameters_in_wandb_order():
    checked = parse(config({"a": {"values": [1, 2]}, "b": {"distribution": "int_uniform", "min": 0, "max": 2},
                            "c": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.5}, "k": {"value": "fixed"}},
                           method="grid"))
    points = checked.grid_points()
    assert len(points) == 2 * 3 * 3
    assert points[0] == {"a": 1, "b": 0, "c": 0.0} and points[1] == {"a": 1, "b": 0, "c": 0.5}
    assert checked.make_sampler().__class__.__name__ == "GridSampler"


def test_nested_parameters_become_a_nested_config_and_dotted_params():
    checked = parse(config({"opt": {"parameters": {"lr": {"values": [0.1]}, "beta": {"value": 0.9}}}, "layers": {"values": [[64, 32], [16]]}}))
    raw = {"opt.lr": 0.1, "layers": json.dumps([16])}
    assert checked.trial_config(raw) == {"opt": {"lr": 0.1, "beta": 0.9}, "layers": [16]}
    assert checked.flat_config(raw) == {"opt.lr": 0.1, "opt.beta": 0.9, "layers": [16]}


def test_methods_and_early_terminate_map_to_optuna():
    import optuna

    assert isinstance(parse(config({"x": {"min": 0, "max": 1}}, method="bayes")).make_sampler(), optuna.samplers.TPESampler)
    assert isinstance(parse(config({"x": {"min": 0, "max": 1}})).make_sampler(), optuna.samplers.RandomSampler)
    pruner = parse(config({"x": {"min": 0, "max": 1}}, early_terminate={"type": "hyperband", "min_iter": 2, "eta": 2})).make_pruner()
    assert isinstance(pruner, optuna.pruners.HyperbandPruner)
    assert pruner._min_resource == 2 and pruner._reduction_factor == 2
    by_max = parse(config({"x": {"min": 0, "max": 1}}, early_terminate={"type": "hyperband", "max_iter": 27, "s": 2})).make_pruner()
    assert by_max._min_resource == 3 and by_max._max_resource == 27
    assert parse(config({"x": {"min": 0, "max": 1}}, metric={"name": "acc", "goal": "maximize"})).direction == "maximize"


def test_command_macros_expand_as_wandb_agent_does(monkeypatch):
    monkeypatch.setenv("MY_FLAG", "--verbose")
    flat = {"lr": 0.1, "deep": True, "shallow": False, "opt.beta": 0.9}
    argv = build_command(("${env}", "${interpreter}", "${program}", "${args}", "${MY_FLAG}"), "train.py", flat, "/tmp/a.json")
    assert argv == ["/usr/bin/env", sys.executable, "train.py", "--lr=0.1", "--deep=True", "--shallow=False", "--opt.beta=0.9", "--verbose"]
    assert build_command(("x", "${args_no_hyphens}"), None, flat, "f") == ["x", "lr=0.1", "deep=True", "shallow=False", "opt.beta=0.9"]
    assert build_command(("x", "${args_no_boolean_flags}"), None, flat, "f") == ["x", "--lr=0.1", "--deep", "--opt.beta=0.9"]
    assert build_command(("x", "${args_json}"), None, flat, "f") == ["x", json.dumps(flat)]
    assert build_command(("x", "${args_json_file}"), None, flat, "/tmp/c.json") == ["x", "/tmp/c.json"]
    assert build_command(("x", "${args_no_equals}"), None, {"lr": 1}, "f") == ["x", "--lr", "1"]
    assert build_command(None, "p.py", {"lr": 1}, "f") == ["/usr/bin/env", sys.executable, "p.py", "--lr=1"]


def test_yaml_file_is_read(tmp_path):
    from autolog.sweeps import load

    path = tmp_path / "sweep.yaml"
    path.write_text("method: grid\nmetric:\n  name: acc\n  goal: maximize\nparameters:\n  C:\n    values: [0.1, 1.0]\n")
    checked = load(str(path))
    assert checked.method == "grid" and checked.goal == "maximize" and len(checked.grid_points()) == 2
