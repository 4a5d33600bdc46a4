"""Epoch AI's Chinchilla refit reproduced, and the fit's speed against a plain 4,500-start loop.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scaling_chinchilla.py [--baseline-starts 450]

Protocol (Besiroglu et al. 2024): ../shared/data/chinchilla_svg_extracted_data.csv, drop the 5
highest losses (240 runs remain), D = C / (6 N), summed Huber loss (delta 1e-3) on log loss.
Times are medians of 3 on one core (set OMP_NUM_THREADS=1 so numpy uses one thread). The
baseline is scipy L-BFGS-B from each of Hoffmann's 4,500 starts with the same analytic gradient,
timed on a subset of starts and scaled to 4,500 (a plain loop with numerical gradients, as most
published notebooks run it, is slower still).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from trillion.scaling.fit import HOFFMANN_GRID, ChinchillaFit, _grid, chinchilla_objective
from trillion.scaling.runs import Runs, read_runs

DATA = Path(os.environ.get("TRILLION_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
EPOCH = {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}
EPOCH_CI = {"E": (1.769, 1.871), "alpha": (0.317, 0.373), "beta": (0.331, 0.415)}


def _median_s(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    csv = DATA / "chinchilla_svg_extracted_data.csv"
    if not csv.exists():
        sys.exit(f"skipped: {csv} not found (set TRILLION_SHARED_DATA)")
    runs = read_runs(
        csv, "params=Model Size,flop=Training FLOP", need=("params", "tokens", "loss")
    ).drop_highest_loss(5)
    n, d, loss = runs["params"], runs["tokens"], runs["loss"]
    fit = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    print(f"{len(runs)} runs; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}\n")
    print("| parameter | trillion | Epoch AI | difference |\n|---|---|---|---|")
    for k, v in EPOCH.items():
        print(f"| {k} | {fit.params_[k]:.4f} | {v} | {fit.params_[k] - v:+.4f} |")
    print(f"\nobjective (summed Huber): {fit.objective_:.6g}; converged: {fit.converged_}")
    naive = ChinchillaFit(init=(406.4, 410.7, 1.69, 0.34, 0.28)).fit(
        Runs.from_arrays(params=n, tokens=d, loss=loss)
    )
    print(f"plain L-BFGS-B from Chinchilla's constants: objective {naive.objective_:.6g}, converged: {naive.converged_}"
          f" ({naive.warning_})")  # fmt: skip
    t_boot = time.perf_counter()
    ci = fit.bootstrap(1000)
    t_boot = time.perf_counter() - t_boot
    print("\n| parameter | bootstrap 95% (1,000) | Epoch AI 95% |\n|---|---|---|")
    for k in ("E", "A", "B", "alpha", "beta"):
        ref = EPOCH_CI.get(k)
        print(f"| {k} | {ci[k][0]:.4g} - {ci[k][1]:.4g} | {f'{ref[0]} - {ref[1]}' if ref else '-'} |")
    t_fit = _median_s(lambda: ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss)))
    k = 450
    if "--baseline-starts" in sys.argv:
        k = int(sys.argv[sys.argv.index("--baseline-starts") + 1])
    starts = _grid(HOFFMANN_GRID)[np.random.default_rng(0).choice(4500, k, replace=False)]
    ln, ld, ll = np.log(n), np.log(d), np.log(loss)

    def loop() -> None:
        from scipy.optimize import minimize

        for x0 in starts:
            minimize(chinchilla_objective, x0, args=(ln, ld, ll, 1e-3), jac=True, method="L-BFGS-B")

    t_loop = _median_s(loop, 1) * 4500 / k
    print("\n| task | trillion (s) | goal (s) | plain loop (s) |\n|---|---|---|---|")
    print(
        f"| full multi-start fit (4,500 starts) | {t_fit:.2f} | 5 | {t_loop:.1f} (from {k} starts x 4500/{k}) |"
    )
    print(f"| 1,000 bootstrap refits | {t_boot:.1f} | 60 | - |")
    print(f"\nspeed-up of the fit over the plain loop, same machine and run: {t_loop / t_fit:.1f}x")


if __name__ == "__main__":
    main()
