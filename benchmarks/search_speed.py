"""Layout-search speed: the full search for trillion-parameter MoEs on 16,384 GPUs, one core.

Run:  .venv/bin/python benchmarks/search_speed.py [repeats]
Prints the median wall time of `trillion.plan.search.search` (all dp/tp/pp/cp/ep/mbs/vpp/recompute
layouts, memory pruning and step-time ranking) over `repeats` runs, with the number of layouts
evaluated. Set OMP_NUM_THREADS=1 etc. to pin numpy to one core (the script does it itself).

The second table sweeps every axis issue 17 added at once for the two 1T MoEs: each of the three
frameworks' calibrations, every ZeRO stage (0-3), and three global batches (2,048, 4,096 and
8,192 sequences of 4K), on top of the layout axes (etp included): nine searches, their total.

The third times `plan_training` end to end as a user runs it (`trillion train qwen3-max --tokens
36T --gpus 16384 --framework F`): the global batch searched with the layout (three batches), the
framework's ZeRO stages, every layout axis, then the chosen plan's memory, step and Monte Carlo.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from trillion import load_model  # noqa: E402
from trillion.catalog.hardware import find_accelerator, make_cluster  # noqa: E402
from trillion.count.dims import model_dims  # noqa: E402
from trillion.plan.calibration import for_run, load_calibration  # noqa: E402
from trillion.plan.search import search  # noqa: E402
from trillion.plan.train import plan_training  # noqa: E402
from trillion.spec.choices import FRAMEWORKS, ZERO_STAGES  # noqa: E402

CASES = [
    ("kimi-k2", "h800"),
    ("qwen3-max", "h100-sxm"),
    ("deepseek-v3", "h800"),
    ("llama-3.1-405b", "h100-sxm"),
]


def main(repeats: int = 7) -> None:
    cal = load_calibration().with_(attention_kernel="flash")
    print("| model | cluster | layouts evaluated | feasible top | median s |")
    print("|---|---|---|---|---|")
    for name, gpu in CASES:
        d = model_dims(load_model(name))
        cluster = make_cluster(find_accelerator(gpu), 16384)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = search(d, cluster, seq_len=4096, global_batch=4096, cal=cal)
            times.append(time.perf_counter() - t0)
        best = result.layouts[0].label() if result.layouts else "none fits"
        print(f"| {name} | 16384 x {gpu} | {result.evaluated:,} | {best} | {statistics.median(times):.3f} |")
    print(
        "\n| model | cluster | searches (frameworks x batches) | layouts evaluated | best | median s, all |"
    )
    print("|---|---|---|---|---|---|")
    for name, gpu in CASES[:2]:
        d = model_dims(load_model(name))
        cluster = make_cluster(find_accelerator(gpu), 16384)
        cals = [
            for_run(load_calibration(framework=f), cluster.accelerator, "bf16", framework=f)
            for f in FRAMEWORKS
        ]
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            found = [
                (search(d, cluster, seq_len=4096, global_batch=b, cal=c, zero_stages=ZERO_STAGES), b)
                for c in cals
                for b in (2048, 4096, 8192)
            ]
            times.append(time.perf_counter() - t0)
        evaluated = sum(r.evaluated for r, _ in found)
        r, b = min(((r, b) for r, b in found if r.layouts), key=lambda rb: rb[0].step_s[0] * 8192 / rb[1])
        print(
            f"| {name} | 16384 x {gpu} | {len(found)} | {evaluated:,} | {r.layouts[0].label()} (batch {b}) "
            f"| {statistics.median(times):.3f} |"
        )

    print("\n| model | cluster | framework | batch chosen | layout | median s |")
    print("|---|---|---|---|---|---|")
    for name, gpu in CASES[:2]:
        spec = load_model(name)
        cluster = make_cluster(find_accelerator(gpu), 16384)
        for f in FRAMEWORKS:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                plan = plan_training(spec, cluster, tokens=36 * 10**12, framework=f)
                times.append(time.perf_counter() - t0)
            print(
                f"| {name} | 16384 x {gpu} | {f} | {plan.global_batch} | {plan.layout.label() if plan.layout else '-'} "
                f"| {statistics.median(times):.3f} |"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
