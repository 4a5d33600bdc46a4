"""Speed of a serving plan with the layout search and the load model: `trillion serve kimi-k2
--gpus 128 --qps 50` (issue 16's goal: under 3 s on one core), beside the same plan without
--qps and the bare interpreter, each a fresh process pinned to one core, interleaved, medians.

Run: .venv/bin/python benchmarks/serve_load_speed.py [runs]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "trillion serve kimi-k2 --gpus 128 --weights fp8": [sys.executable, "-m", "trillion", "serve", "kimi-k2",
                                                        "--gpus", "128", "--weights", "fp8", "--json"],
    "trillion serve kimi-k2 --gpus 128 --weights fp8 --qps 50": [sys.executable, "-m", "trillion", "serve", "kimi-k2",
                                                                 "--gpus", "128", "--weights", "fp8", "--qps", "50", "--json"],
    "trillion serve llama-3.1-70b --qps 20 (fleet sized)": [sys.executable, "-m", "trillion", "serve", "llama-3.1-70b",
                                                            "--gpu", "h100", "--weights", "fp8", "--qps", "20", "--json"],
}  # fmt: skip


def main(runs: int) -> int:
    pin = ["taskset", "-c", "0"] if os.path.exists("/usr/bin/taskset") else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    times: dict[str, list[float]] = {k: [] for k in CASES}
    for _ in range(runs):
        for name, argv in CASES.items():
            t0 = time.perf_counter()
            subprocess.run(pin + argv, check=True, stdout=subprocess.DEVNULL, env=env)
            times[name].append(time.perf_counter() - t0)
    print(f"one core ({'taskset -c 0' if pin else 'unpinned'}), {runs} interleaved runs each\n")
    print("| command | median wall s | min | max |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        print(f"| `{name}` | {statistics.median(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
