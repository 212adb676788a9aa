"""Four processes logging to one tracking directory at once while a reader polls it through the
Client and the CLI: nothing lost, no "database is locked" reaching anyone, and every snapshot the
reader sees is consistent (a run that reads FINISHED has all its points)."""

from __future__ import annotations

import subprocess
import sys
import time

RUNS, POINTS_PER_RUN = 20, 2_500  # 50,000 points per writer

WRITER = f"""
autolog.autolog()
writer = sys.argv[1]
for index in range({RUNS}):
    with autolog.run(name=f"{{writer}}-{{index}}", tags={{"writer": writer}}) as run:
        run.log_params({{"index": index, "writer": writer}})
        for step in range({POINTS_PER_RUN}):
            run.log_metric("loss", float(step), step=step)
print("done", flush=True)
"""


def test_four_writers_and_a_reader_share_one_store(script):
    first = script(WRITER)
    first.write()
    writers = [
        subprocess.Popen(
            [sys.executable, str(first.path), f"w{n}"], cwd=first.folder, env=first.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(4)
    ]
    client = first.client()
    snapshots = cli_calls = 0
    seen_runs = 0
    while any(w.poll() is None for w in writers):
        runs = client.search_runs(max_results=1000)
        assert len(runs) >= seen_runs  # never goes back
        seen_runs = len(runs)
        for run in runs:
            if run.status == "FINISHED":
                history = client.get_metric_history(run.run_id, "loss")
                assert len(history) == POINTS_PER_RUN, (run.name, len(history))
                assert run.metrics["loss"] == POINTS_PER_RUN - 1
            else:
                assert run.status == "RUNNING", run.status
        snapshots += 1
        if snapshots % 3 == 0:
            shown = subprocess.run(
                [sys.executable, "-m", "autolog.cli", "runs", "--dir", first.tracking_dir, "--max", "200"],
                capture_output=True, text=True, timeout=60,
            )
            assert shown.returncode == 0, shown.stderr
            assert "locked" not in shown.stderr
            cli_calls += 1
        time.sleep(0.05)
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0 and out.strip() == "done", err[-3000:]
        assert "locked" not in err and "AutologWarning" not in err, err[-3000:]
    runs = client.search_runs(max_results=1000)
    assert len(runs) == 4 * RUNS and {r.status for r in runs} == {"FINISHED"}
    for run in runs:
        assert len(client.get_metric_history(run.run_id, "loss")) == POINTS_PER_RUN
    assert sorted(r.name for r in runs) == sorted(f"w{n}-{i}" for n in range(4) for i in range(RUNS))
    assert snapshots > 3 and cli_calls >= 1
    print(f"\nreader took {snapshots} consistent snapshots and {cli_calls} CLI listings during the writes")
