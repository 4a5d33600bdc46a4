"""Held-out ML.ENERGY rows: regression guard on the shipped serving calibration (the figure and
the split rule are in benchmarks/serving_mlenergy.py and BENCHMARKS.md)."""

from __future__ import annotations

import importlib.util
import statistics
from pathlib import Path

import pytest

from trillion.serve.perf import load_serve_calibration

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "serving_mlenergy.py"


def _bench():
    spec = importlib.util.spec_from_file_location("serving_mlenergy", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_held_out_energy_per_token():
    mod = _bench()
    if not (mod.DATA / "mlenergy_v3_llm_summary.csv").exists():
        pytest.skip(f"ML.ENERGY data not found under {mod.DATA} (set TRILLION_SHARED_DATA)")
    import tomllib

    rows = mod.load_rows()
    cal_rows, test_rows = mod.split_rows(rows)
    assert len(cal_rows) <= len(rows) / 2 and len(test_rows) >= 20
    shipped = tomllib.loads(
        (Path(mod.__file__).parents[1] / "src/trillion/catalog/calibration/serving-mlenergy.toml").read_text()
    )
    prompts = {k: float(v) for k, v in shipped["task_prompt_tokens"].items()}
    cal = load_serve_calibration()
    errors = [
        abs(mod.predict(r, cal, prompts[r["task"]])["energy_j"] / float(r["energy_per_output_token_j"]) - 1)
        for r in test_rows
    ]
    assert statistics.median(errors) <= 0.27
