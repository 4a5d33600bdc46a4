"""Scaling fits on the largest run files trillion accepts: time and peak memory per fit.

Run:  .venv/bin/python benchmarks/scaling_large_inputs.py [rows ...]    (default 20000 100000)

Synthetic runs (seeded) from a known law with 1% log-normal noise: Chinchilla's form (E 1.8,
A 400, B 410, alpha 0.34, beta 0.28), and Krajewski et al.'s MoE form for the MoE fit. Each fit is
the CLI as a user runs it (`trillion scaling fit FILE ...`) in a fresh process; wall time and peak
resident memory come from /usr/bin/time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

TRILLION = str(Path(sys.executable).with_name("trillion"))


def _write(path: Path, rows: int, moe: bool) -> None:
    rng = np.random.default_rng(rows)
    n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), rows))
    d = np.exp(rng.uniform(np.log(1e9), np.log(1e12), rows))
    noise = np.exp(rng.normal(0, 0.01, rows))
    with path.open("w") as f:
        if moe:
            g = rng.choice([1, 2, 4, 8, 16], rows)
            loss = (0.5 + (2 / g**0.5 + 20) / n**0.2 + 30 / d**0.2) * noise
            f.write("params,tokens,granularity,loss\n")
            f.writelines(f"{a:.0f},{b:.0f},{c},{e:.6f}\n" for a, b, c, e in zip(n, d, g, loss, strict=True))
        else:
            loss = (1.8 + 400 / n**0.34 + 410 / d**0.28) * noise
            f.write("params,tokens,loss\n")
            f.writelines(f"{a:.0f},{b:.0f},{e:.6f}\n" for a, b, e in zip(n, d, loss, strict=True))


def main(sizes: list[int]) -> None:
    print("| runs | law | options | wall s | peak RSS MiB | fitted |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            for law, extra in (
                ("chinchilla", []),
                ("chinchilla", ["--bootstrap", "100"]),
                ("kaplan", []),
                ("moe", []),
            ):
                path = Path(tmp) / f"{law}-{rows}.csv"
                if not path.exists():
                    _write(path, rows, moe=law == "moe")
                cmd = [
                    "/usr/bin/time",
                    "-f",
                    "%e %M",
                    TRILLION,
                    "scaling",
                    "fit",
                    str(path),
                    "--law",
                    law,
                    "--json",
                    *extra,
                ]
                done = subprocess.run(cmd, capture_output=True, text=True)
                wall, kib = done.stderr.strip().splitlines()[-1].split()
                fitted = json.loads(done.stdout)["params"] if done.returncode == 0 else done.stderr[:80]
                short = (
                    ", ".join(f"{k} {v:.3g}" for k, v in fitted.items())
                    if isinstance(fitted, dict)
                    else fitted
                )
                print(
                    f"| {rows:,} | {law} | {' '.join(extra) or '-'} | {float(wall):.1f} | {int(kib) / 1024:.0f} | {short} |",
                    flush=True,
                )


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [20_000, 100_000])
