"""Time per footprint estimate (20,000 Monte Carlo draws), median of repeated runs.

Run:  .venv/bin/python benchmarks/footprint_speed.py [repeats]

Goal (issue 4): well under 100 ms per plan. Reported: the footprint of accelerator-hours, and
the footprint of a planned run (the plan itself excluded: `benchmarks/search_speed.py` times it).
"""

from __future__ import annotations

import statistics
import sys
import time

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.dist import Dist
from trillion.footprint.estimate import estimate_footprint
from trillion.footprint.of_train import footprint_of_plan
from trillion.footprint.validation import power_model_error
from trillion.plan.train import plan_training


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm: catalog tables, calibration
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main(repeats: int = 30) -> None:
    h100 = find_accelerator("h100")
    plan = plan_training(
        load_model("deepseek-v3"), make_cluster(find_accelerator("h800"), 2048), tokens=int(14.8e12)
    )
    cases = {
        "accelerator-hours, h100, region USA": lambda: estimate_footprint(
            h100, Dist.point(2.788e6), region="USA", power_error=power_model_error()
        ),
        "accelerator-hours, tpu-v4 (measured runs), all embodied methods": lambda: estimate_footprint(
            find_accelerator("tpu-v4"),
            Dist.point(1e6),
            embodied_method="all",
            power_error=power_model_error(),
        ),
        "planned DeepSeek-V3 on 2048 x h800, region CN": lambda: footprint_of_plan(plan, region="CN"),
    }
    print("| case | median ms |\n|---|---|")
    for name, fn in cases.items():
        print(f"| {name} | {_median_ms(fn, repeats):.1f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
