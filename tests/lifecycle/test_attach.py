"""``AUTOLOG_RUN_ID``: a child process logs into a run its parent owns, and never ends it.

The parent script opens a run and starts a real child process with the variable set; the child
fits sklearn and exits (or is killed). What the store holds is read back afterwards.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

from lifecycle import autolog_warnings

import autolog

#: The parent: opens a run, runs CHILD with AUTOLOG_RUN_ID, then ends as ``PARENT_END`` says.
PARENT = """
import subprocess
autolog.autolog()
with autolog.run(name="owner") as run:
    run.log_param("from_parent", "yes")
    autolog.flush()
    print("run", run.run_id, flush=True)
    env = dict(os.environ, AUTOLOG_RUN_ID=run.run_id)
    child = subprocess.run([sys.executable, "child.py"], env=env)
    print("child exit", child.returncode, flush=True)
    if os.environ.get("PARENT_END") == "fail":
        raise RuntimeError("the parent failed")
"""


def _child(script_folder, code: str) -> None:
    import textwrap

    from lifecycle import PRELUDE

    (script_folder / "child.py").write_text(textwrap.dedent(PRELUDE) + textwrap.dedent(code))


def _writer_pid(tracking_dir: str, run_id: str) -> int:
    conn = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    try:
        return conn.execute("SELECT writer_pid FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()


def _run_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("run "))


def test_a_child_process_fit_lands_in_the_parents_run_and_a_second_model_in_a_child_run(script):
    parent = script(PARENT)
    _child(parent.folder, """
        autolog.autolog()
        LogisticRegression(C=1.0).fit(X, y)
        LogisticRegression(C=2.0).fit(X, y)     # another model: a child run of the attached one
    """)
    done = parent.run()
    assert done.returncode == 0, done.stderr
    assert "child exit 0" in done.stdout
    assert not autolog_warnings(done.stderr), done.stderr
    run_id = _run_id(done.stdout)
    client = parent.client()
    run = client.get_run(run_id)
    assert run.status == "FINISHED" and run.name == "owner"
    assert run.params["from_parent"] == "yes" and run.params["C"] == "1.0"
    (child,) = [r for r in client.search_runs() if r.parent_run_id == run_id]
    assert child.params["C"] == "2.0" and child.status == "FINISHED"
    assert len(client.search_runs()) == 2
    model = autolog.load_model(f"runs:/{run_id}/model", tracking_dir=parent.tracking_dir)
    assert model.C == 1.0


def test_the_parents_end_decides_the_status_not_the_childs(script):
    parent = script(PARENT, PARENT_END="fail")
    _child(parent.folder, """
        autolog.autolog()
        LogisticRegression().fit(X, y)
    """)
    done = parent.run()
    assert done.returncode == 1 and "child exit 0" in done.stdout
    assert autolog.Client(parent.tracking_dir).get_run(_run_id(done.stdout)).status == "FAILED"

    parent = script(PARENT)
    _child(parent.folder, """
        autolog.autolog()
        LogisticRegression().fit(X, y)
        raise SystemExit(3)
    """)
    done = parent.run()
    assert done.returncode == 0 and "child exit 3" in done.stdout
    run = autolog.Client(parent.tracking_dir).get_run(_run_id(done.stdout))
    assert run.status == "FINISHED" and "C" in run.params


def test_killing_the_child_does_not_mark_the_parents_run_killed(script):
    owner = script("""
        autolog.autolog()
        run = autolog.run(name="owner")
        autolog.flush()
        print("run", run.run_id, flush=True)
        sys.stdin.readline()                     # the test kills the child meanwhile
        run.end()
        autolog.flush()
        print("ended", flush=True)
    """)
    owner.write()
    process = subprocess.Popen(
        [sys.executable, "-u", str(owner.path)], cwd=owner.folder, env=owner.env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        run_id = process.stdout.readline().split()[1]
        child = script("""
            autolog.autolog()
            LogisticRegression().fit(X, y)
            autolog.flush()
            print("ready", flush=True)
            time.sleep(600)
        """, AUTOLOG_RUN_ID=run_id, AUTOLOG_DIR=owner.tracking_dir)
        running = child.start()
        running.wait_for("ready")
        running.signal(signal.SIGKILL)
        running.finish()
        client = owner.client()
        run = client.get_run(run_id)
        assert run.status == "RUNNING"  # the child's death is not the run's
        assert run.params["C"] == "1.0" and "model" in {a.path for a in client.list_artifacts(run_id)}
        assert _writer_pid(owner.tracking_dir, run_id) == process.pid
        out, err = process.communicate("go\n", timeout=120)
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert owner.client().get_run(run_id).status == "FINISHED"


def test_killing_the_owner_marks_the_run_killed_even_while_a_child_logged(script):
    owner = script("""
        autolog.autolog()
        run = autolog.run(name="owner")
        autolog.flush()
        print("run", run.run_id, flush=True)
        time.sleep(600)
    """)
    running = owner.start()
    run_id = running.wait_for("run ").split()[1]
    child = script("""
        autolog.autolog()
        LogisticRegression().fit(X, y)
    """, AUTOLOG_RUN_ID=run_id, AUTOLOG_DIR=owner.tracking_dir)
    assert child.run().returncode == 0
    assert owner.client().get_run(run_id).status == "RUNNING"
    running.signal(signal.SIGKILL)
    running.finish()
    assert owner.client().get_run(run_id).status == "KILLED"


def test_an_unknown_run_id_warns_once_and_fits_log_their_own_runs(script):
    user = script("""
        autolog.autolog()
        LogisticRegression().fit(X, y)
        LogisticRegression(C=3.0).fit(X, y)
    """, AUTOLOG_RUN_ID="no-such-run")
    done = user.run()
    assert done.returncode == 0, done.stderr
    warnings = autolog_warnings(done.stderr)
    assert len(warnings) == 1 and "AUTOLOG_RUN_ID='no-such-run'" in warnings[0], done.stderr
    runs = user.client().search_runs()
    assert len(runs) == 2 and all(r.status == "FINISHED" and r.parent_run_id is None for r in runs)


def test_run_with_run_id_attaches_and_leaving_it_only_detaches(script):
    owner = script("""
        autolog.autolog()
        run = autolog.run(name="owner")
        autolog.flush()
        print("run", run.run_id, flush=True)
        sys.stdin.readline()
    """)
    owner.write()
    process = subprocess.Popen(
        [sys.executable, "-u", str(owner.path)], cwd=owner.folder, env=owner.env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        run_id = process.stdout.readline().split()[1]
        other = script("""
            autolog.autolog()
            with autolog.run(run_id=sys.argv[1], tags={"helper": "yes"}) as run:
                assert run.name == "owner" and run.attached
                run.log_metric("score", 0.5)
                LogisticRegression().fit(X, y)
            try:
                autolog.run(run_id="no-such-run")
            except LookupError as exc:
                print("refused:", exc)
        """, AUTOLOG_DIR=owner.tracking_dir)
        done = other.run(args=(run_id,))
        assert done.returncode == 0, done.stderr
        assert "refused:" in done.stdout and "no-such-run" in done.stdout
        run = owner.client().get_run(run_id)
        assert run.status == "RUNNING"
        assert run.metrics["score"] == 0.5 and run.tags["helper"] == "yes" and "C" in run.params
        process.communicate("go\n", timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert owner.client().get_run(run_id).status == "FINISHED"


def test_exclusive_mode_still_logs_into_the_attached_run(script):
    owner = script("""
        autolog.autolog()
        with autolog.run(name="owner") as run:
            autolog.flush()
            env = dict(os.environ, AUTOLOG_RUN_ID=run.run_id, AUTOLOG_EXCLUSIVE=sys.argv[1])
            subprocess_code = "import autolog, sys; autolog.autolog(); " \\
                "from sklearn.linear_model import LinearRegression; LinearRegression().fit([[0], [1]], [0, 1])"
            import subprocess
            subprocess.run([sys.executable, "-c", subprocess_code], env=env, check=True)
            print("run", run.run_id)
    """)
    done = owner.run(args=("1",))
    assert done.returncode == 0, done.stderr
    run = owner.client().get_run(_run_id(done.stdout))
    assert "fit_intercept" in run.params and len(owner.client().search_runs()) == 1
