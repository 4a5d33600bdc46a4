"""Calibration files, and the step-time model's accuracy on vTrain's held-out multi-node runs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from trillion.catalog.hardware import find_accelerator
from trillion.errors import InputError
from trillion.plan.calibration import for_device, load_calibration

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_shipped_calibration_records_its_provenance():
    cal = load_calibration()
    assert "vTrain" in cal.source and 0 < cal.eta_gemm <= 1 and cal.log_sigma > 0


@pytest.mark.parametrize(
    "text, key",
    [
        ("eta_gemm = 1.5\n", "eta_gemm"),
        ("colour = 3\n", "colour"),
        ("eta_hbm = 'fast'\n", "eta_hbm"),
        ("attention_kernel = 'magic'\n", "attention_kernel"),
        ("not toml [", None),
    ],
)
def test_bad_calibration_files(tmp_path, text, key):
    path = tmp_path / "cal.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_calibration(path)
    assert str(path) in str(info.value) and (key is None or key in str(info.value))


def test_calibration_moves_between_devices_by_measured_matmul_fraction():
    cal = load_calibration()
    h100 = for_device(cal, find_accelerator("h100"), find_accelerator("a100-80gb"), "bf16")
    # H100 reaches 80.3% of peak on large matmuls, A100 86.9% (stas00/ml-engineering MAMF)
    assert h100.eta_gemm == pytest.approx(cal.eta_gemm * (794.5 / 989) / (271.2 / 312))


@pytest.mark.slow
def test_vtrain_multi_node_accuracy_with_single_node_fit():
    """Fit on the 1,440 single-node rows only; the 109 multi-node rows stay unseen (BENCHMARKS.md)."""
    sys.path.insert(0, str(BENCH))
    vtrain = pytest.importorskip("step_time_vtrain")
    try:
        single, multi = vtrain.load("single"), vtrain.load("multi")
    except FileNotFoundError:
        pytest.skip("../shared/data/vtrain_ground_truth_*.csv not found (set TRILLION_SHARED_DATA)")
    cal = vtrain.fit(single)
    pred = vtrain.predict(multi, cal)
    measured = np.array([r.measured_s for r in multi])
    mape = float(np.mean(np.abs(pred - measured) / measured))
    assert mape < 0.10, f"multi-node MAPE {mape:.1%} regressed (BENCHMARKS.md records 8.2%)"
