"""Scripts that simply end, raise, or call ``sys.exit``: every run in its true final status, with
all its records, models and plots, and the process's exit code unchanged."""

from __future__ import annotations

import pickle

from lifecycle import autolog_warnings  # this folder is on sys.path (conftest.py)


def _has_everything(client, run) -> None:
    """A fitted LogisticRegression's complete record: params, metrics, model, plots."""
    assert run.status == "FINISHED"
    assert run.params["C"] == "1.0"
    assert run.metrics["training_accuracy_score"] > 0.5
    assert run.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    files = {a.path for a in client.list_artifacts(run.run_id, "model")}
    assert {"model/model.pkl", "model/autolog-model.json"} <= files
    plots = {a.path for a in client.list_artifacts(run.run_id, "plots")}
    assert plots == {
        "plots/training_confusion_matrix.json",
        "plots/training_roc_curve.json",
        "plots/training_precision_recall_curve.json",
    }


def test_one_fit_then_the_script_simply_ends(script):
    user = script("""
        autolog.autolog()
        model = LogisticRegression().fit(X, y)
        import pickle
        open("coef.pkl", "wb").write(pickle.dumps(model.coef_))
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr
    assert not autolog_warnings(done.stderr), done.stderr
    client = user.client()
    (run,) = client.search_runs()
    _has_everything(client, run)
    import autolog

    loaded = autolog.load_model(f"runs:/{run.run_id}/model", tracking_dir=user.tracking_dir)
    expected = pickle.loads((user.folder / "coef.pkl").read_bytes())
    assert (loaded.coef_ == expected).all()
    png = client.artifact_path(run.run_id, "plots/training_confusion_matrix.png")
    assert open(png, "rb").read(4) == b"\x89PNG"


def test_a_loop_of_fits_then_the_script_ends(script):
    user = script("""
        autolog.autolog()
        for c in range(1, 121):
            LogisticRegression(C=c).fit(X, y)
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr
    assert not autolog_warnings(done.stderr), done.stderr
    client = user.client()
    runs = client.search_runs(max_results=1000)
    assert len(runs) == 120
    assert sorted(int(float(r.params["C"])) for r in runs) == list(range(1, 121))
    for run in runs:
        assert run.status == "FINISHED"
        assert len(client.list_artifacts(run.run_id, "plots")) == 3
        assert {a.path for a in client.list_artifacts(run.run_id, "model")} >= {"model/model.pkl"}


def test_libraries_registering_exit_hooks_after_autolog_do_not_cut_delivery_short(script):
    # concurrent.futures and joblib stop their executors in threading exit hooks that run
    # before earlier-registered ones; autolog's exit work must still come first.
    user = script("""
        autolog.autolog()
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda c: LogisticRegression(C=c).fit(X, y), [1.0, 2.0]))
        from sklearn.model_selection import GridSearchCV
        GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, cv=2, n_jobs=2).fit(X, y)
        LogisticRegression(C=9.0).fit(X, y)
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr
    client = user.client()
    runs = client.search_runs(max_results=100)
    parents = [r for r in runs if r.parent_run_id is None]
    assert sorted(r.name for r in parents) == ["GridSearchCV", "LogisticRegression", "LogisticRegression", "LogisticRegression"]
    assert all(r.status == "FINISHED" for r in runs)
    search = next(r for r in parents if r.name == "GridSearchCV")
    assert len([r for r in runs if r.parent_run_id == search.run_id]) == 2
    assert {"cv_results.csv", "model", "best_estimator"} <= {a.path for a in client.list_artifacts(search.run_id)}


def test_an_uncaught_exception_fails_the_open_run_with_its_type_and_message(script):
    user = script("""
        autolog.autolog()
        LogisticRegression().fit(X, y)            # finished before the error
        run = autolog.run(name="manual")          # left open by the user
        run.log_metric("loss", 0.5)
        raise ValueError("the data loader broke")
    """)
    done = user.run()
    assert done.returncode == 1 and "ValueError: the data loader broke" in done.stderr
    client = user.client()
    runs = {r.name: r for r in client.search_runs()}
    assert runs["LogisticRegression"].status == "FINISHED"
    manual = runs["manual"]
    assert manual.status == "FAILED"
    assert manual.metrics == {"loss": 0.5}
    assert manual.tags["autolog.exception_type"] == "ValueError"
    assert manual.tags["autolog.exception_message"] == "the data loader broke"


def test_an_exception_inside_a_fit_fails_that_run_and_reaches_the_user_unchanged(script):
    user = script("""
        autolog.autolog()
        LogisticRegression().fit(X, y)
        LogisticRegression(C=-1.0).fit(X, y)      # sklearn rejects C <= 0
    """)
    done = user.run()
    assert done.returncode == 1 and "InvalidParameterError" in done.stderr
    statuses = sorted((r.params["C"], r.status) for r in user.client().search_runs())
    assert statuses == [("-1.0", "FAILED"), ("1.0", "FINISHED")]


def test_sys_exit_codes_give_the_open_runs_their_status(script):
    for code, status in (("0", "FINISHED"), ("3", "FAILED"), ("None", "FINISHED")):
        user = script(f"""
            autolog.autolog()
            run = autolog.run(name="manual")
            run.log_param("lr", 0.1)
            sys.exit({code})
        """)
        done = user.run()
        assert done.returncode == (0 if code == "None" else int(code)), done.stderr
        (run,) = user.client().search_runs()
        assert (run.status, run.params) == (status, {"lr": "0.1"}), code
        assert run.tags["autolog.exit_code"] == ("0" if code == "None" else code)


def test_sys_exit_inside_a_with_block_follows_the_exit_code(script):
    user = script("""
        autolog.autolog()
        with autolog.run(name="ok"):
            try:
                sys.exit(0)
            except SystemExit:
                pass
        with autolog.run(name="bad"):
            sys.exit(2)
    """)
    done = user.run()
    assert done.returncode == 2
    assert {r.name: r.status for r in user.client().search_runs()} == {"ok": "FINISHED", "bad": "FAILED"}


def test_a_users_run_open_at_a_clean_exit_ends_finished(script):
    user = script("""
        autolog.autolog()
        run = autolog.run(name="forgot to end it")
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1), step=step)
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr
    client = user.client()
    (run,) = client.search_runs()
    assert run.status == "FINISHED"
    assert [p.step for p in client.get_metric_history(run.run_id, "loss")] == list(range(100))


def test_an_uncaught_keyboard_interrupt_kills_the_open_runs(script):
    user = script("""
        autolog.autolog()
        run = autolog.run(name="manual")
        run.log_metric("loss", 1.0)
        raise KeyboardInterrupt
    """)
    done = user.run()
    assert done.returncode in (-2, 130), (done.returncode, done.stderr)  # Python's own Ctrl-C exit
    (run,) = user.client().search_runs()
    assert run.status == "KILLED"


def test_exit_waits_only_as_long_as_delivery_needs(script):
    # An hour's flush interval and exit timeout: an exit that waited for the next delivery tick
    # would run into the subprocess timeout; delivering at once, it ends in moments.
    user = script("""
        autolog.autolog(flush_interval=3600, exit_flush_timeout=3600)
        LogisticRegression().fit(X, y)
    """)
    done = user.run(timeout=240)
    assert done.returncode == 0, done.stderr
    (run,) = user.client().search_runs()
    assert run.status == "FINISHED"
