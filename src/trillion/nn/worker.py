"""One ladder run in its own process: ``python -m trillion.nn.worker LADDER_DIR RUN_ID``.

Used by the torchrun backend (every rank runs this; rank 0 writes the store) and by Ray tasks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trillion.nn.data import open_prepared
from trillion.nn.ladder import family_spec, find_preset, ladder_summary
from trillion.nn.store import Store
from trillion.nn.trainer import TrainConfig, train_run


def run_one(directory: str | Path, run_id: str) -> dict:
    out = Path(directory)
    run = next((r for r in ladder_summary(out) if r["id"] == run_id), None)
    if run is None:
        raise SystemExit(f"no run {run_id} in {out}")
    if run["status"] == "finished":
        return run["result"]
    c = run["config"]
    preset = find_preset(c["preset"])
    data = open_prepared(out / "data")  # prepared by `run_ladder`, which holds the folder's lock
    cfg = TrainConfig(tokens=c["tokens"], seq_len=c["seq_len"], batch=c["batch"], lr=c["lr"], seed=c["seed"],
                      eval_batches=c["eval_batches"], device=c["device"], checkpoint_every_s=preset.checkpoint_every_s)  # fmt: skip
    store = Store(out / "ladder.sqlite")
    try:
        return train_run(
            family_spec(c["depth"], c["vocab"], c["family"]), data, cfg, out / "runs" / run_id, store, run_id
        )
    finally:
        store.close()


if __name__ == "__main__":
    run_one(sys.argv[1], sys.argv[2])
