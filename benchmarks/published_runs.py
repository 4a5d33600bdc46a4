"""Whole-run accelerator-hours against published training runs (../shared/data/published_runs.csv).

Run:  .venv/bin/python benchmarks/published_runs.py [--framework deepspeed|megatron|fsdp2]

The default framework profile is the planner's own default (`deepspeed`, fitted on vTrain); the
others are reported beside it, never chosen per row (that would be fitting on validation data).

Given only the architecture (catalog), tokens, hardware and accelerator count (plus sequence length
and batch where published), trillion plans each run with its searched best layout and reports the
P50 accelerator-hours against the published figure. Leave-one-out holds trivially: no constant of
the planner is fitted on any of these runs (the step-time efficiencies come from vTrain's
single-node A100 measurements; goodput is an assumption). Where a count or batch is unpublished,
the value used is stated in the table.
Rows excluded: GPT-3 (circular: its days were back-computed from FLOP), Llama 3.3 (card figure
marked "do not use"), TPU runs (no per-chip ICI bandwidth in the catalog), runs without published
hours (OPT, MT-NLG, Kimi K2, Qwen3, GLaM, Chinchilla) and non-catalog models (T5, Meena, GShard).
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np

from trillion import load_model
from trillion.catalog.hardware import clusters, find_accelerator, make_cluster
from trillion.plan.train import plan_training
from trillion.spec.choices import DEFAULT_FRAMEWORK
from trillion.units import parse_quantity

# model, accelerator, devices, tokens, seq_len, global batch (sequences), published hours, notes
RUNS = [
    (
        "llama-1-65b",
        "a100-80gb",
        2048,
        1.4e12,
        2048,
        2048,
        1_022_362,
        "published: 2048 GPUs, 4M-token batch (Touvron et al. 2023 §2.4, Table 15)",
    ),
    (
        "llama-2-7b",
        "a100-80gb",
        2048,
        2e12,
        4096,
        1024,
        184_320,
        "count unpublished: 2048 assumed; 4M-token batch",
    ),
    (
        "llama-2-13b",
        "a100-80gb",
        2048,
        2e12,
        4096,
        1024,
        368_640,
        "count unpublished: 2048 assumed; 4M-token batch",
    ),
    (
        "llama-2-70b",
        "a100-80gb",
        2048,
        2e12,
        4096,
        1024,
        1_720_320,
        "count unpublished: 2048 assumed; 4M-token batch",
    ),
    (
        "llama-3.1-8b",
        "h100-sxm",
        16384,
        15e12,
        8192,
        2048,
        1_460_000,
        "count and batch unpublished: 16384 and 16M tokens (as 405B) assumed; 15T+ tokens",
    ),
    (
        "llama-3.1-70b",
        "h100-sxm",
        16384,
        15e12,
        8192,
        2048,
        7_000_000,
        "count and batch unpublished: 16384 and 16M tokens (as 405B) assumed; 15T+ tokens",
    ),
    (
        "llama-3.1-405b",
        "h100-sxm",
        16384,
        15.6e12,
        8192,
        2048,
        30_840_000,
        "published: up to 16384 H100, 8K sequences, 16M-token batch (Dubey et al. 2024 §3.3, §3.4)",
    ),
    (
        "deepseek-v3",
        "deepseek-v3-h800",
        2048,
        14.8e12,
        4096,
        15360,
        2_664_000,
        "DeepSeek-V3 report Table 1 (pre-training 2,664K H800 hours), §4.2 (4K sequences, batch 15,360); fp8;"
        " not in published_runs.csv",
    ),
]
RSC_SCALE_OUT = "200 Gbit/s"  # Meta RSC (A100): one 200 Gb/s HDR InfiniBand link per GPU


def planned_runs(framework: str = DEFAULT_FRAMEWORK) -> list[tuple[tuple, Any]]:
    """Each row of `RUNS` with its plan."""
    out = []
    for row in RUNS:
        name, gpu, n, tokens, seq, batch_seqs, _published, _notes = row
        if gpu in clusters():
            cluster, precision = clusters()[gpu], "fp8"
        else:
            bw = parse_quantity(RSC_SCALE_OUT, "byte_per_s", "benchmark") if gpu.startswith("a100") else None
            cluster, precision = make_cluster(find_accelerator(gpu), n, scale_out_bytes_per_s=bw), "bf16"
        plan = plan_training(
            load_model(name),
            cluster,
            tokens=int(tokens),
            seq_len=seq,
            global_batch=batch_seqs,
            precision=precision,
            framework=framework,
        )
        out.append((row, plan))
    return out


def planned_hours(plan: Any) -> np.ndarray:
    """Accelerator-hour draws of a plan before the reality gap (failures and restarts included)."""
    return plan.samples["planned_wall_s"] * plan.cluster.num_devices / 3600


def in_csv(row: tuple) -> bool:
    """Whether a run is one of ../shared/data/published_runs.csv's (calibration, leave-one-out only);
    the others (DeepSeek-V3) are validation only: reported, never fitted on."""
    return "not in published_runs.csv" not in row[7]


def measured_gap(runs: list[tuple[tuple, Any]]) -> tuple[float, float]:
    """(median, log sd) of published / planned-P50 hours over the calibration runs (`in_csv`):
    `REALITY_GAP`'s two numbers."""
    logs = np.array([np.log(row[6] / np.median(planned_hours(plan))) for row, plan in runs if in_csv(row)])
    return float(np.exp(np.median(logs))), float(np.std(logs, ddof=1))


def main(framework: str = DEFAULT_FRAMEWORK) -> None:
    print(f"framework profile: {framework}\n")
    print("(trillion P50: expected, with the shipped gap, which was fitted on these runs: in-sample;")
    print(" the leave-one-out table below is the honest one)\n")
    print("| run | devices | published hours | trillion P50 | P10-P90 | error | layout | MFU | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    errors = []
    runs = planned_runs(framework)
    for (name, gpu, n, _t, _s, _b, published, notes), plan in runs:
        h = plan.accelerator_hours
        err = h["p50"] / published - 1
        errors.append(abs(err))
        print(
            f"| {name} | {n} x {gpu} | {published:,} | {h['p50']:,.0f} | {h['p10']:,.0f}-{h['p90']:,.0f} "
            f"| {err:+.1%} | {plan.layout.label() if plan.layout else plan.reason} | {plan.mfu:.1%} | {notes} |"
        )
    print(
        f"\n{len(errors)} runs: median |error| {statistics.median(errors):.1%}, "
        f"mean {statistics.mean(errors):.1%}, max {max(errors):.1%}"
    )
    median, sd = measured_gap(runs)
    n_cal = sum(in_csv(r) for r, _ in runs)
    print(f"\nreality gap over the {n_cal} calibration runs (REALITY_GAP): x{median:.4f}, log sd {sd:.4f}")
    reality_gap(
        [planned_hours(p) for _, p in runs],
        [float(r[6]) for r, _ in runs],
        [r[0] for r, _ in runs],
        [in_csv(r) for r, _ in runs],
    )
    gap_by_group(
        [planned_hours(p) for _, p in runs],
        [float(r[6]) for r, _ in runs],
        [r[0] for r, _ in runs],
        [in_csv(r) for r, _ in runs],
    )


QUANTILES = (10, 25, 50, 75, 90)
# era, hardware generation and stack of each run (the runs' own reports): what the gap is split by
GROUP = {
    "llama-1-65b": "A100, 2022-23, Meta RSC",
    "llama-2-7b": "A100, 2022-23, Meta RSC",
    "llama-2-13b": "A100, 2022-23, Meta RSC",
    "llama-2-70b": "A100, 2022-23, Meta RSC",
    "llama-3.1-8b": "H100, 2024, Meta production clusters",
    "llama-3.1-70b": "H100, 2024, Meta production clusters",
    "llama-3.1-405b": "H100, 2024, Meta production clusters",
    "deepseek-v3": "H800, 2024, DeepSeek (fp8, DualPipe)",
}


def gap_by_group(
    samples: list[np.ndarray], published: list[float], names: list[str], calibration: list[bool]
) -> None:
    """The gap split by era / hardware generation / stack (`GROUP`), and leave-one-group-out: each
    group predicted with the gap of the *other* groups' calibration runs only (does the gap carry to
    a generation it has not seen?)."""
    logs = np.array([np.log(p / np.median(h)) for h, p in zip(samples, published, strict=True)])
    cal = np.array(calibration)
    groups = [GROUP[n] for n in names]
    print(
        "\n| group | runs | gap (median published / planned) | log sd | leave-group-out gap | median abs error |"
    )
    print("|---|---|---|---|---|---|")
    for g in dict.fromkeys(groups):
        mine = np.array([x == g for x in groups])
        others = logs[cal & ~mine]
        m = float(np.median(others))
        err = np.abs(np.exp(m - logs[mine]) - 1)  # expected / published - 1, with the others' gap
        sd = f"{np.std(logs[mine], ddof=1):.3f}" if mine.sum() > 1 else "-"
        role = "" if cal[mine].all() else " (validation)"
        print(
            f"| {g}{role} | {int(mine.sum())} | x{np.exp(np.median(logs[mine])):.3f} | {sd} | x{np.exp(m):.3f} "
            f"| {np.median(err):.1%} |"
        )


def reality_gap(
    samples: list[np.ndarray], published: list[float], names: list[str], calibration: list[bool]
) -> None:
    """The reality gap, leave-one-out: for each run, the log ratio published / planned P50 of the
    *other* calibration runs (median and spread) widens its planned hours; never a run fitted to
    itself, never a validation-only run fitted at all."""
    logs = np.array([np.log(p / np.median(h)) for h, p in zip(samples, published, strict=True)])
    cal = np.array(calibration)
    z = np.random.default_rng(0).standard_normal(samples[0].shape[0])
    print("\n| run | gap from the others (median, sd of log) | expected P50 | error | P10-P90 | inside |")
    print("|---|---|---|---|---|---|")
    planned_q, expected_q, errs = [], [], []
    for i, (h, p) in enumerate(zip(samples, published, strict=True)):
        others = logs[cal & (np.arange(len(logs)) != i)]
        m, sd = float(np.median(others)), float(np.std(others, ddof=1))
        expected = h * np.exp(m + sd * z)
        planned_q.append(np.percentile(h, QUANTILES))
        expected_q.append(np.percentile(expected, QUANTILES))
        err = expected_q[-1][2] / p - 1
        errs.append(abs(err))
        lo, hi = expected_q[-1][0], expected_q[-1][-1]
        print(
            f"| {names[i]} | x{np.exp(m):.3f}, {sd:.3f} | {expected_q[-1][2]:,.0f} | {err:+.1%} "
            f"| {lo:,.0f}-{hi:,.0f} | {'yes' if lo <= p <= hi else 'no'} |"
        )
    pub = np.array(published)
    print(f"\nexpected (leave-one-out gap): median |error| {statistics.median(errs):.1%}")
    print("\n| quantile | nominal | observed, planned band | observed, expected (leave-one-out gap) |")
    print("|---|---|---|---|")
    for k, q in enumerate(QUANTILES):
        obs_p = np.mean(pub <= np.array([x[k] for x in planned_q]))
        obs_e = np.mean(pub <= np.array([x[k] for x in expected_q]))
        print(f"| P{q} | {q / 100:.2f} | {obs_p:.2f} | {obs_e:.2f} |")
    inside_p = np.mean([(x[0] <= v <= x[-1]) for x, v in zip(planned_q, pub, strict=True)])
    inside_e = np.mean([(x[0] <= v <= x[-1]) for x, v in zip(expected_q, pub, strict=True)])
    print(f"\nP10-P90 coverage: planned band {inside_p:.0%}, expected band {inside_e:.0%} (nominal 80%)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", default=DEFAULT_FRAMEWORK, choices=("deepspeed", "megatron", "fsdp2"))
    main(ap.parse_args().framework)
