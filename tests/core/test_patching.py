"""The patching safety contract, on a small framework module written by each test."""

from __future__ import annotations

import importlib
import os
import pickle
import sys
import textwrap
import uuid

import pytest

import autolog
from autolog import _plugins
from autolog.sdk import Integration, Patcher, hookimpl, is_patched, safe_wrapper, start_autologged_run, status_for

FRAMEWORK = textwrap.dedent(
    """
    class Model:
        def __init__(self, scale=1):
            self.scale = scale
            self.calls = 0

        def fit(self, data, *, epochs=1):
            self.calls += 1
            if data == "bad":
                raise ValueError("bad data")
            if data == "interrupt":
                raise KeyboardInterrupt
            self.inner = Model(self.scale)
            if data == "nested":
                self.inner.fit([1])
                data = [1]
            self.coef = sum(data) * self.scale * epochs
            return self

    class Child(Model):
        pass
    """
)


class FitHooks:
    """Opens an autologged run around fit and logs the data's length."""

    def __init__(self, fail_in=None):
        self.fail_in = fail_in

    def before(self, instance, args, kwargs):
        if self.fail_in == "before":
            raise RuntimeError("autolog bug in before")
        return start_autologged_run(type(instance).__name__, params={"scale": instance.scale})

    def after(self, run, result):
        if self.fail_in == "after":
            raise RuntimeError("autolog bug in after")
        run.log_metrics({"coef": result.coef})
        run.end()

    def error(self, run, exc):
        run.end(status_for(exc))


@pytest.fixture
def framework(tmp_path, monkeypatch, fresh_plugins):
    """A fresh importable module name plus a plugin that patches its Model.fit."""
    name = f"fakeml_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(FRAMEWORK)
    monkeypatch.syspath_prepend(str(tmp_path))
    hooks = FitHooks()
    state = {"patch_calls": 0}

    def patch(patcher: Patcher, config) -> None:
        state["patch_calls"] += 1
        module = sys.modules[name]
        patcher.wrap(module.Model, "fit", safe_wrapper("fakeml", hooks))

    class Plugin:
        @hookimpl
        def autolog_register_integrations(self):
            return [Integration(name="fakeml", module=name, patch=patch)]

    _plugins.register(Plugin(), "fakeml-plugin")
    yield name, hooks, state
    sys.modules.pop(name, None)


def test_framework_imported_after_autolog_is_patched_on_import(framework, memory):
    name, _, _ = framework
    module = importlib.import_module(name)
    assert is_patched(module.Model, "fit")
    model = module.Model(scale=2)
    assert model.fit([1, 2], epochs=3) is model
    autolog.flush(10)
    run = memory.only_run()
    assert run.params == {"scale": "2"} and run.history("coef") == [(0, 18.0)]
    assert run.status == "FINISHED"


def test_framework_imported_before_autolog_is_patched_too(framework):
    name, _, _ = framework
    module = importlib.import_module(name)
    assert not is_patched(module.Model, "fit")
    autolog.autolog(backends=[])
    assert is_patched(module.Model, "fit")


def test_original_runs_once_with_arguments_and_result_unchanged(framework, memory):
    module = importlib.import_module(framework[0])
    data = [1, 2, 3]
    model = module.Model()
    assert model.fit(data, epochs=2) is model
    assert model.calls == 1 and data == [1, 2, 3] and model.coef == 12


def test_user_exception_passes_through_and_run_is_failed(framework, memory):
    module = importlib.import_module(framework[0])
    with pytest.raises(ValueError, match="bad data"):
        module.Model().fit("bad")
    with pytest.raises(KeyboardInterrupt):
        module.Model().fit("interrupt")
    autolog.flush(10)
    assert sorted(r.status for r in memory.runs.values()) == ["FAILED", "KILLED"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_autolog_error_becomes_one_warning_and_result_is_unchanged(framework, memory, monkeypatch, where):
    monkeypatch.delenv("AUTOLOG_TESTING")
    name, hooks, _ = framework
    hooks.fail_in = where
    module = importlib.import_module(name)
    model = module.Model()
    with pytest.warns(autolog.AutologWarning, match=f"autolog bug in {where}"):
        assert model.fit([5]) is model
    assert model.coef == 5 and model.calls == 1
    # the same failure again is not reported again
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module.Model().fit([1])


def test_autolog_error_raises_under_testing_mode(framework, memory):
    name, hooks, _ = framework
    hooks.fail_in = "after"
    module = importlib.import_module(name)
    with pytest.raises(RuntimeError, match="autolog bug in after"):
        module.Model().fit([1])


def test_only_the_outermost_call_logs(framework, memory):
    module = importlib.import_module(framework[0])
    model = module.Model().fit("nested")
    assert model.inner.coef == 1  # the inner fit ran, unlogged
    autolog.flush(10)
    run = memory.only_run()
    assert run.history("coef") == [(0, 1.0)]


def test_sequential_calls_log_one_run_each(framework, memory):
    module = importlib.import_module(framework[0])
    module.Model().fit([1]).fit([2])
    autolog.flush(10)
    assert len(memory.runs) == 2


def test_fit_inside_a_user_run_logs_into_it(framework, memory):
    module = importlib.import_module(framework[0])
    with autolog.run(name="mine") as run:
        module.Model().fit([4])
        assert autolog.active_run() is run
    autolog.flush(10)
    assert memory.only_run().history("coef") == [(0, 4.0)]
    assert memory.only_run().status == "FINISHED"


def test_calling_autolog_again_does_not_patch_twice(framework, memory):
    name, _, state = framework
    module = importlib.import_module(name)
    autolog.autolog(backends=[memory])
    autolog.autolog(backends=[memory], log_models=False)
    assert state["patch_calls"] == 1
    module.Model().fit([1])
    autolog.flush(10)
    assert len(memory.runs) == 1


def test_disable_reverts_exactly_and_reenable_patches_again(framework, memory):
    module = importlib.import_module(framework[0])
    autolog.autolog(disable=True)
    original = module.Model.__dict__["fit"]
    before = {cls: dict(cls.__dict__) for cls in (module.Model, module.Child)}
    autolog.autolog(backends=[memory])
    assert module.Model.__dict__["fit"] is not original
    autolog.autolog(disable=True)
    assert module.Model.__dict__["fit"] is original
    assert {cls: dict(cls.__dict__) for cls in (module.Model, module.Child)} == before
    module.Model().fit([1])
    autolog.flush(10)
    assert memory.runs == {}
    autolog.autolog(backends=[memory])
    assert is_patched(module.Model, "fit")


def test_patched_objects_stay_picklable(framework, memory):
    module = importlib.import_module(framework[0])
    model = module.Child(scale=3).fit([1, 2])
    clone = pickle.loads(pickle.dumps(model))
    assert clone.coef == model.coef and type(clone) is module.Child


def test_a_failing_patch_never_breaks_the_users_import(tmp_path, monkeypatch, fresh_plugins):
    monkeypatch.delenv("AUTOLOG_TESTING")
    name = f"fakeml_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(FRAMEWORK)
    monkeypatch.syspath_prepend(str(tmp_path))

    def broken_patch(patcher, config):
        raise ImportError("integration bug")

    class Plugin:
        @hookimpl
        def autolog_register_integrations(self):
            return [Integration(name="broken", module=name, patch=broken_patch)]

    _plugins.register(Plugin(), "broken-plugin")
    autolog.autolog(backends=[])
    with pytest.warns(autolog.AutologWarning, match="integration bug"):
        module = importlib.import_module(name)
    assert module.Model().fit([2]).coef == 2
    sys.modules.pop(name, None)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_never_logs(framework, memory):
    module = importlib.import_module(framework[0])
    with autolog.run(name="parent") as run:
        pid = os.fork()
        if pid == 0:  # child: log through the inherited run and a patched call, then leave
            try:
                run.log_metric("from_child", 1.0)
                module.Model().fit([1])
                autolog.flush(1)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        run.log_metric("from_parent", 1.0)
    autolog.flush(10)
    assert list(memory.runs) == [run.run_id]
    assert set(memory.runs[run.run_id].metrics) == {"from_parent"}


def test_an_autolog_error_while_handling_ctrl_c_never_swallows_it(monkeypatch):
    monkeypatch.delenv("AUTOLOG_TESTING")  # as for users: autolog's own errors become warnings

    class Broken:
        def before(self, instance, args, kwargs):
            return "state"

        def after(self, state, result):
            try:
                raise KeyboardInterrupt  # Ctrl-C arrives in autolog's code after the call
            except BaseException:
                raise RuntimeError("a bug in the cleanup") from None

        def error(self, state, exc):
            pass

    class Plain:
        def fit(self):
            return "fitted"

    patcher = Patcher("broken")
    patcher.wrap(Plain, "fit", safe_wrapper("broken", Broken(), should_log=lambda instance: True))
    try:
        with pytest.raises(KeyboardInterrupt):
            Plain().fit()
    finally:
        patcher.revert()
