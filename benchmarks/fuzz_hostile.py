"""100,000 fresh hostile CLI invocations (every class of tests/robustness/hostile.py) under hard
limits: each call must exit 0 or 2 with no traceback, print strict JSON when asked, finish within
60 s (SIGALRM) and stay within 2 GiB of address space above the worker's baseline (RLIMIT_AS;
exceeding it raises MemoryError, counted as a failure).

Run:  .venv/bin/python benchmarks/fuzz_hostile.py [invocations] [workers] [seed]
      (defaults: 100000, 2, time-based seed; prints per-class counts, the slowest call per class,
      peak resident memory per worker, and every failure)
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import multiprocessing as mp
import os
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
CALL_LIMIT_S = 60
MEMORY_HEADROOM = 2 * 2**30


class CallTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CallTimeout


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _no_constant(name: str) -> float:
    raise ValueError(name)


def worker(args: tuple[int, int, int, str | None]) -> dict:
    index, count, seed, ladder = args
    from hostile import Arena, case

    import trillion.cli  # noqa: F401  (imports outside the measured calls)
    from trillion.cli import main

    with contextlib.suppress(ImportError):
        import torch  # noqa: F401  (its mappings belong to the baseline, not to a call)
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{index}-"))
    os.chdir(work)
    arena = Arena(work / "arena", Path(ladder) if ladder else None)
    baseline = _vm_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (baseline + MEMORY_HEADROOM, resource.RLIM_INFINITY))
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(seed * 1000 + index)
    seen: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    slowest: dict[str, tuple[float, list[str]]] = {}
    failures = []
    for _ in range(count):
        kind, argv = case(rng, arena)
        out, err = io.StringIO(), io.StringIO()
        problem = None
        t0 = time.perf_counter()
        signal.alarm(CALL_LIMIT_S)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        except CallTimeout:
            code, problem = -1, f"over {CALL_LIMIT_S} s"
        except MemoryError:
            code, problem = -1, "over 2 GiB"
        except BaseException as e:  # a traceback: the bug this benchmark looks for
            code, problem = -1, f"{type(e).__name__}: {str(e)[:200]}"
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - t0
        text = out.getvalue()
        if problem is None and code not in (0, 2):
            problem = f"exit {code}"
        if problem is None and ("Traceback" in text or "Traceback" in err.getvalue()):
            problem = "traceback printed"
        if problem is None and code == 0 and "--json" in argv:
            try:
                json.loads(text, parse_constant=_no_constant)
            except ValueError as e:
                problem = f"not strict JSON: {str(e)[:80]}"
        seen[kind] += 1
        codes[f"{kind} exit {code}"] += 1
        if seconds > slowest.get(kind, (0.0, []))[0]:
            slowest[kind] = (seconds, [a[:60] for a in argv[:6]])
        if problem:
            failures.append({"class": kind, "argv": [a[:80] for a in argv[:8]], "problem": problem})
    return {"seen": dict(seen), "codes": dict(codes), "slowest": slowest, "failures": failures,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "baseline_vm_mib": baseline / 2**20}  # fmt: skip


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    ladder = None
    try:
        from trillion.nn.ladder import run_ladder

        ladder = str(Path(tempfile.mkdtemp(prefix="fuzz-ladder-")))
        run_ladder("micro", ladder, tokens_scale=0.5)
    except ImportError:
        print("torch not installed: the ladder-damage class is skipped")
    t0 = time.perf_counter()
    shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    with mp.get_context("spawn").Pool(workers) as pool:
        results = pool.map(worker, [(i, n, seed, ladder) for i, n in enumerate(shares)])
    wall = time.perf_counter() - t0
    seen: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    slowest: dict[str, tuple[float, list[str]]] = {}
    failures = []
    for r in results:
        seen.update(r["seen"])
        codes.update(r["codes"])
        failures += r["failures"]
        for k, v in r["slowest"].items():
            if v[0] > slowest.get(k, (0.0, []))[0]:
                slowest[k] = tuple(v)  # type: ignore[assignment]
    print(f"{sum(seen.values()):,} hostile invocations, seed {seed}, {workers} workers, {wall:.0f} s: "
          f"{len(failures)} failures")  # fmt: skip
    print(f"{'class':<15} {'calls':>8} {'exit 0':>8} {'exit 2':>8} {'slowest s':>10}  slowest call")
    for k in sorted(seen):
        print(f"{k:<15} {seen[k]:>8,} {codes.get(f'{k} exit 0', 0):>8,} {codes.get(f'{k} exit 2', 0):>8,} "
              f"{slowest[k][0]:>10.2f}  {' '.join(slowest[k][1])[:70]}")  # fmt: skip
    for i, r in enumerate(results):
        print(f"worker {i}: peak RSS {r['peak_rss_mib']:.0f} MiB (address-space limit: baseline "
              f"{r['baseline_vm_mib']:.0f} MiB + 2 GiB)")  # fmt: skip
    for f in failures[:30]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
