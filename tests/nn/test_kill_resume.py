"""SIGKILL the ladder at random moments ten times, resuming each time: no finished run lost, no
duplicate metric rows, SQLite integrity intact, and the ladder completes."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

# micro preset with 8x its budgets (~30 s in all): long enough that ten kills land mid-ladder
CODE = (
    "import sys; from trillion.cli import main; "
    "sys.exit(main(['ladder', 'run', '--preset', 'micro', '--tokens-scale', '8', '--dir', sys.argv[1], '--quiet']))"
)


def _snapshot(db):
    if not db.exists():
        return {}
    con = sqlite3.connect(db, timeout=30)
    try:
        rows = con.execute("SELECT id, result FROM runs WHERE status = 'finished'").fetchall()
    finally:
        con.close()
    return {i: r for i, r in rows}


@pytest.mark.slow
def test_sigkill_ten_times_then_finish(tmp_path):
    rng = random.Random(20261129)
    db = tmp_path / "ladder.sqlite"
    finished: dict[str, str] = {}
    kills = 0
    while kills < 10:
        proc = subprocess.Popen(
            [sys.executable, "-c", CODE, str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(1.0, 4.0))
        assert proc.poll() is None, "the ladder finished before ten kills; lengthen the runs"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        now = _snapshot(db)
        for run_id, result in finished.items():
            assert now.get(run_id) == result, f"finished run {run_id} lost or changed after kill {kills}"
        finished = now
    done = subprocess.run([sys.executable, "-c", CODE, str(tmp_path)], capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    final = _snapshot(db)
    for run_id, result in finished.items():
        assert final[run_id] == result
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = con.execute("SELECT id, status, result FROM runs").fetchall()
        assert len(runs) == 4 and all(s == "finished" for _, s, _ in runs)
        for run_id, _, result in runs:
            steps = json.loads(result)["steps"]
            rows = [
                s for (s,) in con.execute("SELECT step FROM metrics WHERE run = ? ORDER BY step", (run_id,))
            ]
            assert rows == list(range(1, steps + 1)), (
                f"run {run_id}: metric steps {rows[:5]}... not 1..{steps} once each"
            )
    finally:
        con.close()
    assert kills == 10
