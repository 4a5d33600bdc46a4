"""The fuzzers of tests/robustness/test_fuzz_inputs.py, ten times longer and with fresh random inputs.

Run:  .venv/bin/python benchmarks/fuzz_long.py [scale]     (default 10: 100,000 inputs)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "10"
    root = Path(__file__).resolve().parents[1]
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests/robustness/test_fuzz_inputs.py")],
                          env={**os.environ, "TRILLION_FUZZ_SCALE": scale}, capture_output=True, text=True)  # fmt: skip
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    print(
        f"{10_000 * int(scale):,} fuzzed inputs (scale {scale}): {tail} in {time.perf_counter() - t:.0f} s, exit {done.returncode}"
    )
    if done.returncode:
        print(done.stdout[-4000:])
    sys.exit(done.returncode)
