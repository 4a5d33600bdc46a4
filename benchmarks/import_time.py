"""Start-up cost: `import trillion` and one CLI call, against a bare interpreter, side by side.

Run: .venv/bin/python benchmarks/import_time.py [repeats]
Interleaves the three commands `repeats` times (default 15) and prints medians, so machine noise
hits all three alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import trillion": [sys.executable, "-c", "import trillion"],
    "trillion model kimi-k2 --json": [sys.executable, "-m", "trillion", "model", "kimi-k2", "--json"],
}


def main(repeats: int = 15) -> None:
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(repeats):
        for name, argv in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["python -c pass"])
    print("| command | median wall s | minus bare interpreter s |")
    print("|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| `{name}` | {med:.3f} | {med - base:.3f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
