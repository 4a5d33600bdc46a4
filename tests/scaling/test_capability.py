"""Scale against capability: the sigmoid in log compute on published base-model MMLU scores."""

from __future__ import annotations

import numpy as np

from trillion.scaling.capability import compute_of, fit_capability


def test_mmlu_against_compute_fits_with_an_honest_error():
    fit = fit_capability("MMLU", "5", at_flop=(1e23, 1e25))
    assert len(fit["points"]) >= 10
    assert {p["compute_kind"].split(" ")[0] for p in fit["points"]} >= {"published", "estimated"}
    assert fit["leave_one_out_abs_error_median"] >= fit["in_sample_abs_error_median"] * 0.5
    assert fit["leave_one_out_abs_error_median"] < 15  # points: a usable, not a perfect, fit
    lo, hi = fit["predictions"]
    assert lo["p50"] < hi["p50"] and lo["p10"] <= lo["p50"] <= lo["p90"]
    assert np.all(np.diff(fit["curve"]["p50"]) > 0)


def test_compute_is_labelled_with_how_it_is_known():
    flop, kind, basis = compute_of("llama-3.1-405b")
    assert kind == "published" and 3e25 < flop < 5e25
    flop, kind, basis = compute_of("llama-2-70b")
    assert kind == "estimated (6ND)" and "active parameters" in basis
    assert compute_of("gemini-2.5-flash") is None
