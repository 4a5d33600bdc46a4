"""A ladder folder is never lost or mixed: a second concurrent run is refused, a changed corpus is
refused (not silently reused), a damaged store or a truncated checkpoint is named and repaired
with every finished run kept."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trillion.cli import main
from trillion.errors import InputError
from trillion.nn.ladder import folder_lock, ladder_summary, run_ladder

RUN = (
    "import sys; from trillion.cli import main; "
    "sys.exit(main(['ladder', 'run', '--preset', 'micro', '--tokens-scale', sys.argv[2], '--dir', sys.argv[1], "
    "'--quiet'] + sys.argv[3:]))"
)


def _corpus(folder: Path, words: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(12):
        (folder / f"doc{i:02d}.txt").write_text(f"{words} document {i}. " * 400)
    return folder


def _finished(d: Path) -> dict[str, dict]:
    return {r["id"]: r["result"] for r in ladder_summary(d) if r["status"] == "finished"}


@pytest.fixture(scope="module")
def corpus_a(tmp_path_factory):
    return _corpus(tmp_path_factory.mktemp("corpus") / "a", "alpha beta gamma")


def test_second_concurrent_run_is_refused_and_nothing_is_lost(tmp_path, corpus_a):
    first = subprocess.Popen([sys.executable, "-c", RUN, str(tmp_path), "1", "--corpus", str(corpus_a)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        for _ in range(600):  # until the first run holds the folder
            if (tmp_path / "ladder.sqlite").exists():
                break
            time.sleep(0.05)
        with pytest.raises(InputError, match=r"in use by another trillion ladder command \(pid \d+\)"):
            run_ladder("micro", tmp_path, corpus=str(corpus_a))
        code = main(
            [
                "ladder",
                "run",
                "--preset",
                "micro",
                "--dir",
                str(tmp_path),
                "--corpus",
                str(corpus_a),
                "--quiet",
            ]
        )
        assert code == 2
    finally:
        _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err.decode()[-2000:]
    runs = ladder_summary(tmp_path)
    assert len(runs) == 4 and all(r["status"] == "finished" and r["current"] for r in runs)


def test_folder_lock_is_released_when_the_holder_is_killed(tmp_path):
    code = f"from pathlib import Path; from trillion.nn.ladder import folder_lock; import time\nwith folder_lock(Path({str(tmp_path)!r})):\n    time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(200):
            if (tmp_path / ".lock").exists() and (tmp_path / ".lock").read_text():
                break
            time.sleep(0.05)
        with pytest.raises(InputError, match="in use"):
            with folder_lock(tmp_path):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with folder_lock(tmp_path):  # the kernel released it with the process
        pass


def test_corpus_change_is_refused_and_the_old_results_are_kept(tmp_path, corpus_a):
    d = tmp_path / "l"
    run_ladder("micro", d, corpus=str(corpus_a))
    before = _finished(d)
    tokens = (d / "data" / "train.bin").read_bytes()
    corpus_b = _corpus(tmp_path / "b", "completely different words")
    with pytest.raises(InputError, match=r"corpus: this folder's runs were trained on .* give a new --dir"):
        run_ladder("micro", d, corpus=str(corpus_b))
    edited = tmp_path / "a-edited"
    edited.mkdir()
    for f in corpus_a.iterdir():
        (edited / f.name).write_bytes(f.read_bytes())
    (edited / "doc03.txt").write_text("one edited file changes the corpus bytes")
    with pytest.raises(InputError, match="corpus"):
        run_ladder("micro", d, corpus=str(edited))
    assert (d / "data" / "train.bin").read_bytes() == tokens and _finished(d) == before
    again = run_ladder("micro", d, corpus=str(corpus_a))  # the original corpus: every run reused
    assert {r["id"]: r["result"] for r in again} == before
    # the same runs on the new data are new runs (different ids), never the old results
    fresh = run_ladder("micro", tmp_path / "l2", corpus=str(corpus_b))
    assert not {r["id"] for r in fresh} & set(before)


def test_run_ids_include_data_and_code_version(monkeypatch):
    from trillion.nn import ladder

    preset = ladder.find_preset("micro")
    a = {c["id"] for c in ladder.run_configs(preset, 257, data="aaaa")}
    b = {c["id"] for c in ladder.run_configs(preset, 257, data="bbbb")}
    monkeypatch.setattr(ladder, "code_version", lambda: "other-code")
    c = {c["id"] for c in ladder.run_configs(preset, 257, data="aaaa")}
    assert len(a) == len(b) == len(c) == 4 and not (a & b) and not (a & c)


def _damage_store(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(db.read_bytes())
    page = 4096
    for start in range(page, len(raw), page):  # scribble over every page after the header page
        raw[start + 8 : start + 64] = b"\xff" * 56
    db.write_bytes(bytes(raw))


def test_damaged_store_is_named_and_repaired_without_losing_a_run(tmp_path, corpus_a, capsys):
    d = tmp_path / "l"
    run_ladder("micro", d, corpus=str(corpus_a))
    before = _finished(d)
    _damage_store(d / "ladder.sqlite")
    for argv in (["ladder", "status", "--dir", str(d)], ["ladder", "fit", "--dir", str(d)],
                 ["ladder", "run", "--preset", "micro", "--dir", str(d), "--corpus", str(corpus_a), "--quiet"]):  # fmt: skip
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "ladder.sqlite: is damaged" in err and "trillion ladder repair" in err and err.count("\n") == 1
    assert main(["ladder", "repair", "--dir", str(d), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (
        done["store"].startswith("damaged")
        and done["finished"] == 4
        and any("damaged-" in m for m in done["moved"])
    )
    assert _finished(d) == before  # every finished run back, with its result
    assert {r["id"]: r["result"] for r in run_ladder("micro", d, corpus=str(corpus_a))} == before


def test_unreadable_store_file_is_named(tmp_path, capsys):
    (tmp_path / "ladder.sqlite").write_bytes(b"this is not a database" * 100)
    assert main(["ladder", "status", "--dir", str(tmp_path)]) == 2
    assert "ladder.sqlite: is damaged" in capsys.readouterr().err


def test_truncated_checkpoint_is_named_and_its_run_restarts(tmp_path, corpus_a, capsys):
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(tmp_path), "2", "--corpus", str(corpus_a)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    ckpt = None
    try:
        for _ in range(1200):  # until some run has written a checkpoint, after at least one run finished
            found = (
                [p for p in (tmp_path / "runs").glob("*/checkpoint.pt")]
                if (tmp_path / "runs").exists()
                else []
            )
            if found and list((tmp_path / "runs").glob("*/result.json")):
                ckpt = found[0]
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert ckpt is not None and ckpt.exists(), "no checkpoint appeared; lengthen the runs"
    before = _finished(tmp_path)
    assert before
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    argv = [
        "ladder",
        "run",
        "--preset",
        "micro",
        "--tokens-scale",
        "2",
        "--dir",
        str(tmp_path),
        "--corpus",
        str(corpus_a),
        "--quiet",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{ckpt}: is damaged" in err and "ladder repair" in err and err.count("\n") == 1
    assert main(["ladder", "repair", "--dir", str(tmp_path), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [c["run"] for c in done["checkpoints_reset"]] == [ckpt.parent.name]
    assert list(ckpt.parent.glob("checkpoint.pt.damaged-*"))  # moved aside, not deleted
    assert main(argv) == 0
    after = _finished(tmp_path)
    assert len(after) == 4 and all(after[k] == v for k, v in before.items())


def _scribble_value(db: Path, marker: bytes) -> None:
    """Invalid UTF-8 inside one stored value, in place: the pages stay intact, so SQLite's
    quick_check passes and only reading the value shows the damage (found by the hostile fuzzer)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(db.read_bytes())
    at = raw.find(marker)
    assert at > 0, f"{marker!r} is not in the store"
    raw[at : at + 4] = b"\xff\xfe\xff\xfe"
    db.write_bytes(bytes(raw))


def test_damaged_values_and_token_files_are_named_and_repaired(tmp_path, corpus_a, capsys):
    d = tmp_path / "l"
    run_ladder("micro", d, corpus=str(corpus_a))
    before = _finished(d)
    _scribble_value(d / "ladder.sqlite", b'"achieved_flop_per_s"')
    for argv in (["ladder", "status", "--dir", str(d)], ["ladder", "quantize", "--dir", str(d)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "ladder.sqlite: is damaged" in err and "trillion ladder repair" in err and err.count("\n") == 1
    assert main(["ladder", "repair", "--dir", str(d), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["store"].startswith("damaged") and done["finished"] == 4 and done["data_reset"] is None
    assert _finished(d) == before

    val = d / "data" / "val.bin"
    val.write_bytes(val.read_bytes()[:-1])  # an odd length: not a whole number of uint16 tokens
    assert main(["ladder", "quantize", "--dir", str(d)]) == 2
    err = capsys.readouterr().err
    assert "token files are damaged (val.bin has" in err and "ladder repair" in err and err.count("\n") == 1
    val.write_bytes(val.read_bytes()[:-1])  # even again, but shorter than data.json records
    assert main(["ladder", "quantize", "--dir", str(d)]) == 2
    assert "data.json records" in capsys.readouterr().err
    assert main(["ladder", "repair", "--dir", str(d), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert "val.bin has" in done["data_reset"] and not (d / "data" / "val.bin").exists()
    # the next run prepares the same tokens again, so every finished run is still current
    assert {r["id"]: r["result"] for r in run_ladder("micro", d, corpus=str(corpus_a))} == before
    assert main(["ladder", "quantize", "--dir", str(d), "--json"]) == 0


@pytest.mark.parametrize(
    "damage", [{"vocab_size": None}, {"vocab_size": "2048"}, {"source": 3}, "drop:vocab_size"]
)
def test_a_damaged_data_json_is_named_and_repaired(tmp_path, corpus_a, capsys, damage):
    """Found by the 100,000-call hostile fuzz: a data.json that parses but lacks vocab_size."""
    d = tmp_path / "l"
    run_ladder("micro", d, corpus=str(corpus_a))
    meta_path = d / "data" / "data.json"
    meta = json.loads(meta_path.read_text())
    if damage == "drop:vocab_size":
        del meta["vocab_size"]
    else:
        meta.update(damage)
    meta_path.write_text(json.dumps(meta))
    assert main(["ladder", "quantize", "--dir", str(d)]) == 2
    err = capsys.readouterr().err
    assert "token files are damaged (data.json" in err and err.count("\n") == 1
    assert main(["ladder", "repair", "--dir", str(d), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data_reset"].startswith("data.json")
