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


def main(framework: str = DEFAULT_FRAMEWORK) -> None:
    print(f"framework profile: {framework}\n")
    print("| run | devices | published hours | trillion P50 | P10-P90 | error | layout | MFU | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    errors = []
    for name, gpu, n, tokens, seq, batch_seqs, published, notes in RUNS:
        if gpu in clusters():
            cluster, precision = clusters()[gpu], "fp8"
        else:
            out = parse_quantity(RSC_SCALE_OUT, "byte_per_s", "benchmark") if gpu.startswith("a100") else None
            cluster, precision = make_cluster(find_accelerator(gpu), n, scale_out_bytes_per_s=out), "bf16"
        plan = plan_training(
            load_model(name),
            cluster,
            tokens=int(tokens),
            seq_len=seq,
            global_batch=batch_seqs,
            precision=precision,
            framework=framework,
        )
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


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", default=DEFAULT_FRAMEWORK, choices=("deepspeed", "megatron", "fsdp2"))
    main(ap.parse_args().framework)
