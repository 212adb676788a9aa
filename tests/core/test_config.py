import pytest

from autolog import config
from autolog.config import Config


def test_defaults_apply_without_environment():
    cfg = config.resolve(environ={})
    assert cfg.backends == ("local",)
    assert cfg.log_models and cfg.log_signatures and cfg.log_input_examples
    assert cfg.tracking_dir.endswith("autolog-runs")


def test_environment_overrides_defaults_and_keywords_override_environment():
    env = {"AUTOLOG_BACKENDS": "local, mlflow", "AUTOLOG_LOG_MODELS": "false", "AUTOLOG_EXPERIMENT": "env"}
    cfg = config.resolve(environ=env)
    assert cfg.backends == ("local", "mlflow")
    assert cfg.log_models is False
    assert cfg.experiment == "env"
    cfg = config.resolve(environ=env, backends=["local"], log_models=True, experiment="kw")
    assert (cfg.backends, cfg.log_models, cfg.experiment) == (("local",), True, "kw")


def test_bad_environment_value_warns_and_falls_back():
    with pytest.warns(UserWarning, match="AUTOLOG_FLUSH_INTERVAL"):
        cfg = config.resolve(environ={"AUTOLOG_FLUSH_INTERVAL": "soon", "AUTOLOG_LOG_MODELS": "maybe"})
    assert cfg.flush_interval == Config.flush_interval
    assert cfg.log_models is True


def test_unknown_keyword_is_a_type_error_and_nonpositive_number_a_value_error():
    with pytest.raises(TypeError, match="log_everything"):
        config.resolve(environ={}, log_everything=True)
    with pytest.raises(ValueError, match="flush_interval"):
        config.resolve(environ={}, flush_interval=0)


def test_integration_sections_and_option_lookup():
    cfg = config.resolve(environ={}, log_models=False, sklearn={"max_tuning_runs": 3, "log_models": True})
    assert cfg.integration_option("sklearn", "max_tuning_runs") == 3
    assert cfg.integration_option("sklearn", "log_models") is True
    assert cfg.integration_option("transformers", "log_models") is False
    assert cfg.integration_option("transformers", "log_checkpoints", "last") == "last"
    assert cfg.integration_enabled("sklearn")
    assert not config.resolve(environ={}, sklearn={"disable": True}).integration_enabled("sklearn")


def test_single_backend_name_is_accepted():
    assert config.resolve(environ={}, backends="local").backends == ("local",)


def test_environment_applies_to_arguments_the_call_leaves_out(monkeypatch, recwarn):
    import autolog
    from autolog import _session
    from autolog.testing import MemoryBackend

    monkeypatch.setenv("AUTOLOG_SILENT", "1")
    monkeypatch.setenv("AUTOLOG_LOG_MODELS", "0")
    autolog.autolog(backends=[MemoryBackend()])
    assert _session.current().config().silent is True and _session.current().config().log_models is False
    with autolog.run() as run:
        run.log_metric("loss", "not a number")  # silent: goes to the 'autolog' logger
    assert not [w for w in recwarn.list if issubclass(w.category, autolog.AutologWarning)]
    autolog.autolog(backends=[MemoryBackend()], log_models=True)
    assert _session.current().config().log_models is True
