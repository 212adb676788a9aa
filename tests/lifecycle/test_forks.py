"""Forks and workers: children of a process with autolog on neither log duplicate runs nor
break; a child that calls ``autolog.autolog()`` itself gets its own runs."""

from __future__ import annotations

from lifecycle import autolog_warnings  # this folder is on sys.path (conftest.py)


def test_forked_workers_log_nothing_and_the_parent_logs_its_own_fits(script):
    user = script("""
        import multiprocessing as mp

        def fit(c):
            return float(LogisticRegression(C=c).fit(X, y).coef_[0, 0])

        if __name__ == "__main__":
            autolog.autolog()
            LogisticRegression(C=0.5).fit(X, y)
            with mp.get_context("fork").Pool(2) as pool:
                print("pool", len(pool.map(fit, [1.0, 2.0, 3.0, 4.0])), flush=True)
            pid = os.fork()
            if pid == 0:                                   # a bare fork: fits, then exits normally
                LogisticRegression(C=7.0).fit(X, y)
                sys.exit(0)
            os.waitpid(pid, 0)
            LogisticRegression(C=9.0).fit(X, y)
    """)
    done = user.run()
    assert done.returncode == 0 and "pool 4" in done.stdout, done.stderr[-3000:]
    assert not autolog_warnings(done.stderr), done.stderr[-3000:]
    runs = user.client().search_runs()
    assert sorted(r.params["C"] for r in runs) == ["0.5", "9.0"]
    assert {r.status for r in runs} == {"FINISHED"}


def test_a_child_that_calls_autolog_itself_gets_its_own_runs(script):
    user = script("""
        import multiprocessing as mp

        def child(c):
            autolog.autolog()                              # the child's own configuration
            LogisticRegression(C=c).fit(X, y)
            run = autolog.run(name=f"child-{c}")           # left open: ends with the child
            run.log_param("c", c)

        if __name__ == "__main__":
            autolog.autolog()
            LogisticRegression(C=0.5).fit(X, y)
            for method in ("fork", "spawn"):
                process = mp.get_context(method).Process(target=child, args=(2.0 if method == "fork" else 3.0,))
                process.start()
                process.join()
                print(method, process.exitcode, flush=True)
    """)
    done = user.run()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fork 0" in done.stdout and "spawn 0" in done.stdout
    client = user.client()
    runs = client.search_runs()
    assert sorted((r.name, r.status) for r in runs) == [
        ("LogisticRegression", "FINISHED"), ("LogisticRegression", "FINISHED"),
        ("LogisticRegression", "FINISHED"), ("child-2.0", "FINISHED"), ("child-3.0", "FINISHED"),
    ]
    fitted = sorted(r.params["C"] for r in runs if r.name == "LogisticRegression")
    assert fitted == ["0.5", "2.0", "3.0"]
    for run in runs:
        if run.name == "LogisticRegression":
            assert {"model/model.pkl"} <= {a.path for a in client.list_artifacts(run.run_id, "model")}


def test_joblib_workers_log_nothing_of_their_own(script):
    user = script("""
        from joblib import Parallel, delayed

        def fit(c):
            return LogisticRegression(C=c).fit(X, y).score(X, y)

        if __name__ == "__main__":
            autolog.autolog()
            scores = Parallel(n_jobs=2)(delayed(fit)(c) for c in (1.0, 2.0, 3.0))
            print("scores", len(scores), flush=True)
            LogisticRegression(C=5.0).fit(X, y)
    """)
    done = user.run()
    assert done.returncode == 0 and "scores 3" in done.stdout, done.stderr[-3000:]
    runs = user.client().search_runs()
    assert [r.params["C"] for r in runs] == ["5.0"]
