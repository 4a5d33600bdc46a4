"""trillion's trainer against a minimal plain-PyTorch loop on the same model, data and steps (CPU).

Run:  .venv/bin/python benchmarks/trainer_throughput.py [repeats]

Both train the ladder's depth-2 model on the same memory-mapped batches for the same number of
steps; the trainer also sets its learning-rate schedule, clips gradients, logs every step to
SQLite, checkpoints on its timer, evaluates and measures energy. Interleaved repeats, medians.
Goal (issue 7): at least 0.9x the plain loop's tokens/s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from trillion.nn.data import prepare
from trillion.nn.ladder import family_spec
from trillion.nn.model import build_model
from trillion.nn.store import Store
from trillion.nn.trainer import TrainConfig, train_run

STEPS = 120
SEQ, BATCH = 128, 16


def plain_loop(spec, data) -> float:
    torch.manual_seed(0)
    model = build_model(spec)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    for step in range(STEPS):
        x, y = data.batch("train", step, BATCH, SEQ)
        loss = F.cross_entropy(model(torch.from_numpy(x)).flatten(0, 1), torch.from_numpy(y).flatten())
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return STEPS * BATCH * SEQ / (time.perf_counter() - t0)


def trillion_trainer(spec, data, folder: Path, i: int, progress: bool) -> float:
    cfg = TrainConfig(tokens=STEPS * BATCH * SEQ, seq_len=SEQ, batch=BATCH, eval_batches=1)
    store = Store(folder / f"bench{i}.sqlite")
    store.add_run("r", {})
    t0 = time.perf_counter()
    train_run(spec, data, cfg, folder / f"run{i}", store, "r", progress=progress)
    store.close()
    return STEPS * BATCH * SEQ / (time.perf_counter() - t0)


def main(repeats: int = 3) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tput-"))
    data = prepare(folder / "data", max_bytes=2 * 2**20)
    spec = family_spec(2, data.vocab_size)
    plain_loop(spec, data)  # warm-up
    plain, ours, ours_bar = [], [], []
    for i in range(repeats):
        plain.append(plain_loop(spec, data))
        ours.append(trillion_trainer(spec, data, folder, 2 * i, progress=False))
        ours_bar.append(trillion_trainer(spec, data, folder, 2 * i + 1, progress=True))
    p, o, b = statistics.median(plain), statistics.median(ours), statistics.median(ours_bar)
    print(
        f"model {spec.name}, {STEPS} steps of {BATCH} x {SEQ} tokens, torch threads {torch.get_num_threads()}\n"
    )
    print(f"| loop | tokens/s (median of {repeats}) | ratio to plain |\n|---|---|---|")
    print(f"| plain PyTorch (forward, backward, AdamW) | {p:,.0f} | 1.00 |")
    print(
        f"| trillion trainer (schedule, clipping, SQLite log, checkpoints, eval, energy) | {o:,.0f} | {o / p:.2f} |"
    )
    print(f"| trillion trainer with its progress bar | {b:,.0f} | {b / p:.2f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
