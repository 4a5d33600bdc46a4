"""Every class of hostile input (tests/robustness/hostile.py) with a fixed seed: exit 0 or 2, never
a traceback, one line naming the input on failure, strict JSON whenever --json succeeds, and no
call slower than a few seconds. `benchmarks/fuzz_hostile.py` runs 100,000 fresh ones."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile import CLASSES, Arena, case  # noqa: E402

from trillion.cli import main  # noqa: E402

CASES = 600
SEED = 20261201


def _no_constant(name: str) -> float:
    raise ValueError(f"not strict JSON: {name}")


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    ladder = None
    if importlib.util.find_spec("torch") is not None:
        from trillion.nn.ladder import run_ladder

        ladder = tmp_path_factory.mktemp("ladder")
        run_ladder("micro", ladder, tokens_scale=0.5)
    return Arena(tmp_path_factory.mktemp("arena"), ladder)


def check(argv: list[str], capsys) -> tuple[int, float]:
    t0 = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    assert code in (0, 2), (argv[:6], code, err[-800:])
    assert "Traceback" not in err and "Traceback" not in out, (argv[:6], err[-800:])
    if code == 2:
        assert err.startswith("trillion: error: ") and err.count("\n") == 1, (argv[:6], err[:400])
    if code == 0 and "--json" in argv:
        json.loads(out, parse_constant=_no_constant)
    return code, seconds


def test_every_hostile_class_with_a_fixed_seed(arena, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # relative output paths ('.html') land here
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    slowest = (0.0, [])
    for _ in range(CASES):
        kind, argv = case(rng, arena)
        _, seconds = check(argv, capsys)
        seen[kind] += 1
        slowest = max(slowest, (seconds, argv[:6]))
    expected = set(CLASSES) if arena.ladder is not None else set(CLASSES) - {"ladder-damage"}
    assert set(seen) == expected, seen
    assert slowest[0] < 30, slowest
