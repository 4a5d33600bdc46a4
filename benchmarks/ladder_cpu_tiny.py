"""The cpu-tiny ladder end to end: train, fit, forecast, calibrate — and how long it takes.

Run:  .venv/bin/python benchmarks/ladder_cpu_tiny.py [DIR]   (default: a fresh temporary folder)

Goal (issue 7): the whole preset in under 10 minutes on 2 CPU cores, validation loss falling with
compute, the fitted exponent reported with its interval.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import torch

from trillion.nn.fit import fit_ladder, ladder_calibration
from trillion.nn.ladder import run_ladder


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ladder-")
    print(f"cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, folder: {out}")
    t0 = time.perf_counter()
    runs = run_ladder("cpu-tiny", out)
    t_train = time.perf_counter() - t0
    fit = fit_ladder(runs, bootstrap=500)
    cal = ladder_calibration(runs, os.path.join(out, "calibration.toml"))
    total = time.perf_counter() - t0
    print(
        "\n| depth | params (non-emb.) | tokens | train FLOP | val loss | tokens/s | MFU | time s | energy J (method) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(runs, key=lambda r: r["result"]["train_flop"]):
        c, x = r["config"], r["result"]
        print(
            f"| {c['depth']} | {x['non_embedding_params']:,} | {x['tokens']:,} | {x['train_flop']:.3g} | {x['val_loss']:.4f} "
            f"| {x['tokens_per_s']:,.0f} | {x['mfu']:.1%} | {x['time_s']:.1f} | {x['energy_j']:.0f} ({x['energy_method']}) |"
        )
    pl = fit.compute_power_law
    print(
        f"fitted exponent: L ~ C^-alpha_C with alpha_C = {pl['alpha_c']:.4f} "
        f"(bootstrap 95%: {pl['alpha_c_ci95'][0]:.4f}-{pl['alpha_c_ci95'][1]:.4f}); {pl['form']}"
    )
    ct = fit.compute_trend
    print(
        f"\nvalidation loss falls with compute along the frontier: {fit.loss_falls_with_compute} "
        f"({fit.frontier_runs} of {fit.runs} runs on the frontier)"
    )
    ci = ct["gamma_ci95"]
    print(
        f"L(C) = {ct['E']:.3f} + {ct['A']:.3f} (C / {ct['flop_scale']:.3g})^-gamma, gamma = {ct['gamma']:.3f} "
        f"(bootstrap 95%: {ci[0]:.3f}-{ci[1]:.3f})"
        if ci
        else ""
    )
    if fit.chinchilla:
        p = fit.chinchilla["params"]
        print("Chinchilla fit (non-embedding N): " + ", ".join(f"{k} {v:.4g}" for k, v in p.items()))
        f = fit.forecast_1T_36T
        if f:
            print(f"forecast, 1T parameters x 36T tokens: loss {f['loss']:.3f} — {f.get('warning', '')}")
        else:
            print(f"no forecast: {fit.chinchilla.get('warning', '')}")
    print(
        f"calibration: eta_gemm {cal['eta_gemm']:.3f} (solved against the planner's step time, median over {cal['runs']} runs) -> {cal['path']}"
    )
    print(f"\ntraining {t_train:.0f} s; everything {total:.0f} s (goal: under 600 s on 2 cores)")


if __name__ == "__main__":
    main()
