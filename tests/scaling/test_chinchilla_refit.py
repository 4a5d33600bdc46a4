"""Epoch AI's refit of Chinchilla's data (Besiroglu et al. 2024), reproduced: slow, needs the
shared data set (skips with a message when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from trillion.scaling.fit import ChinchillaFit
from trillion.scaling.runs import read_runs

DATA = Path(os.environ.get("TRILLION_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
CSV = DATA / "chinchilla_svg_extracted_data.csv"


@pytest.mark.slow
def test_epoch_refit():
    if not CSV.exists():
        pytest.skip(f"{CSV} not found (set TRILLION_SHARED_DATA)")
    runs = read_runs(
        CSV, "params=Model Size,flop=Training FLOP", need=("params", "tokens", "loss")
    ).drop_highest_loss(5)
    assert len(runs) == 240
    f = ChinchillaFit().fit(runs)
    p = f.params_
    assert (
        abs(p["E"] - 1.8169) < 0.005 and abs(p["alpha"] - 0.3478) < 0.005 and abs(p["beta"] - 0.3659) < 0.005
    )
    assert 400 < p["A"] < 560 and 1500 < p["B"] < 3000  # B lies on a long ridge
    assert f.objective_ == pytest.approx(1.0183e-3, rel=2e-4) and f.converged_
    naive = ChinchillaFit(init=(406.4, 410.7, 1.69, 0.34, 0.28)).fit(runs)
    assert naive.objective_ == pytest.approx(1.163e-3, rel=2e-3) and not naive.converged_
    ci = f.bootstrap(200)
    for k, (lo, hi) in {"E": (1.769, 1.871), "alpha": (0.317, 0.373), "beta": (0.331, 0.415)}.items():
        assert abs(ci[k][0] - lo) < 0.015 and abs(ci[k][1] - hi) < 0.015, (k, ci[k])
    assert np.isfinite(f.loo_error())
