"""Train one rung of the cpu-tiny ladder on a prepared data folder and print its validation loss.

Run:  .venv/bin/python benchmarks/ladder_rung.py DATA_DIR DEPTH TOKENS

Used to explain a change of ladder losses between two commits (BENCHMARKS.md section 14): run it
with ``PYTHONPATH`` at a worktree of each commit, each on its own DATA_DIR, then once more with one
commit's code on the other's ``train.bin`` copied into its DATA_DIR. Whichever swap reproduces the
other figure names the cause (code or data). One torch thread, seed 0, the preset's batch, length,
learning rate and evaluation batches, so the figure depends on the code and the token files only.
"""

from __future__ import annotations

import shutil
import sys
import tempfile

import torch

from trillion.nn.data import prepare
from trillion.nn.ladder import PRESETS, family_spec
from trillion.nn.trainer import TrainConfig, train_run


def main() -> None:
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    data_dir, depth, tokens = sys.argv[1], int(sys.argv[2]), int(float(sys.argv[3]))
    torch.set_num_threads(1)
    p = PRESETS["cpu-tiny"]
    data = prepare(data_dir, None, tokenizer="byte", max_bytes=p.max_bytes)
    run_dir = tempfile.mkdtemp(prefix="rung-")
    cfg = TrainConfig(tokens=tokens, seq_len=p.seq_len, batch=p.batch, lr=p.lr, seed=0,
                      eval_batches=p.eval_batches, device="cpu", checkpoint_every_s=p.checkpoint_every_s)  # fmt: skip
    try:
        r = train_run(family_spec(depth, data.vocab_size, "dense"), data, cfg, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    print(f"train tokens {len(data.train):,}, val tokens {len(data.val):,}, depth {depth}, tokens {tokens:,}: "
          f"val loss {r['val_loss']:.4f} ({r['time_s']:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
