"""Footprint properties: proportionality, ordering of percentiles, zero-carbon grids, breakdowns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion.catalog.hardware import find_accelerator
from trillion.dist import Dist, parse_dist
from trillion.errors import InputError
from trillion.footprint.data import grid_intensity
from trillion.footprint.estimate import estimate_footprint
from trillion.footprint.validation import power_model_error

H100 = find_accelerator("h100")
hours = st.floats(1.0, 1e8)
g_per_kwh = st.floats(0.0, 1500.0)


@settings(max_examples=40, deadline=None)
@given(hours, g_per_kwh, st.sampled_from(["h100", "a100-80gb", "tpu-v4", "v100", "mi300x", "b200"]))
def test_operational_carbon_is_proportional_to_intensity(h, g, name):
    acc = find_accelerator(name)
    one = estimate_footprint(acc, Dist.point(h), intensity=Dist.point(1.0), seed=3)
    many = estimate_footprint(acc, Dist.point(h), intensity=Dist.point(g), seed=3)
    for k in ("p10", "p50", "p90"):
        assert many.co2e_g["location"][k] == pytest.approx(g * one.co2e_g["location"][k], rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    hours, st.sampled_from(["World", "CN", "FRA", "US-VA", "gcp:us-central1", "EM:DE"]), st.floats(1.0, 2.0)
)
def test_percentiles_are_ordered(h, region, pue):
    fp = estimate_footprint(H100, Dist.uniform(h, 2 * h), region=region, pue=Dist.point(pue))
    blocks = [fp.device_hours, fp.energy_j, fp.it_energy_j, fp.water_l, fp.cost_usd, *fp.co2e_g.values()]
    for p in blocks:
        assert p is not None and p["p10"] <= p["p50"] <= p["p90"]
    assert fp.energy_j["p50"] >= fp.it_energy_j["p50"]  # PUE >= 1


def test_zero_carbon_grid_gives_zero_operational_carbon():
    fp = estimate_footprint(H100, Dist.point(1e6), intensity=Dist.point(0.0))
    assert fp.co2e_g["location"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    assert fp.co2e_g["market"]["p90"] == 0.0
    assert fp.co2e_g["embodied"]["p50"] > 0  # manufacturing still counts


def test_market_based_follows_contracts():
    full = estimate_footprint(H100, Dist.point(1e6), region="USA", renewable_share=Dist.point(1.0))
    assert full.co2e_g["market"]["p90"] == 0.0 and full.co2e_g["location"]["p50"] > 0
    half = estimate_footprint(H100, Dist.point(1e6), region="USA", renewable_share=Dist.point(0.5), seed=1)
    base = estimate_footprint(H100, Dist.point(1e6), region="USA", seed=1)
    assert half.co2e_g["market"]["p50"] == pytest.approx(base.co2e_g["location"]["p50"] / 2, rel=1e-9)


def test_energy_scales_with_hours_and_breakdown_adds_up():
    a = estimate_footprint(H100, Dist.point(1e5), seed=5)
    b = estimate_footprint(H100, Dist.point(2e5), seed=5)
    assert b.energy_j["p50"] == pytest.approx(2 * a.energy_j["p50"], rel=1e-9)
    parts = sum(a.energy_breakdown_j.values())
    assert parts == pytest.approx(a.energy_j["p50"], rel=0.03)  # sum of medians ~ median of sum
    assert a.energy_breakdown_j["hosts"] > 0 and a.energy_breakdown_j["network"] > 0


def test_given_power_replaces_the_model_exactly():
    fp = estimate_footprint(H100, Dist.point(1000.0), power_w=Dist.point(700.0), pue=Dist.point(1.0))
    assert fp.energy_j["p50"] == pytest.approx(700.0 * 1000.0 * 3600, rel=1e-12)  # 0.7 MWh in joules


def test_leave_one_out_drops_the_run():
    tpu = find_accelerator("tpu-v4")
    with_all = estimate_footprint(tpu, Dist.point(1e6), mfu=0.4)
    without = estimate_footprint(tpu, Dist.point(1e6), mfu=0.4, exclude_runs=("PaLM 540B",))
    text = " ".join(a["source"] for a in without.assumptions)
    assert "PaLM" not in text and "GLaM" in text
    assert with_all.energy_j["p50"] != without.energy_j["p50"]


def test_higher_mfu_draws_more_power():
    lo = estimate_footprint(H100, Dist.point(1e6), mfu=0.2, seed=2)
    hi = estimate_footprint(H100, Dist.point(1e6), mfu=0.5, seed=2)
    assert hi.it_energy_j["p50"] > lo.it_energy_j["p50"]


def test_embodied_methods_show_their_spread():
    fp = estimate_footprint(H100, Dist.point(1e6), embodied_method="all")
    m = fp.embodied_by_method_g
    assert {"boavizta", "vendor", "die"} <= set(m)
    assert max(m.values()) / min(m.values()) > 10  # die-only vs bottom-up: the ~40x spread
    with pytest.raises(InputError, match="embodied_method"):
        estimate_footprint(find_accelerator("tpu-v4"), Dist.point(1.0), embodied_method="vendor")


def test_owned_hardware_needs_capex_and_electricity():
    with pytest.raises(InputError, match="capex"):
        estimate_footprint(H100, Dist.point(1.0), ownership="owned")
    fp = estimate_footprint(
        H100,
        Dist.point(8766.0 * 4),
        ownership="owned",
        capex_usd=Dist.point(40_000.0),
        electricity_usd_per_kwh=Dist.point(0.0),
        lifetime_years=Dist.point(4.0),
    )
    assert fp.cost_usd["p50"] == pytest.approx(40_000.0)


def test_region_lookup():
    assert grid_intensity("CN").region_id == "CHN"
    assert grid_intensity("usa", 2023).year == 2023
    assert grid_intensity("USA", 2030).year == 2024  # latest before
    assert grid_intensity("Iowa (state)").region_id == "US-IA"
    with pytest.raises(InputError, match="unknown region 'Atlantis'"):
        grid_intensity("Atlantis")


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("1.2", 1.2, 1.2),
        ("1.1-1.3", 1.1, 1.3),
        ("1.1..1.3", 1.1, 1.3),
        ("2 to 4", 2, 4),
        ("1e-3", 1e-3, 1e-3),
    ],
)
def test_parse_dist(text, low, high):
    d = parse_dist(text, "--x")
    assert (d.low, d.high) == (low, high)


@pytest.mark.parametrize("text", ["-1", "abc", "3-1", "1-2-3", "", "nan", "inf"])
def test_parse_dist_rejects(text):
    with pytest.raises(InputError, match="--x"):
        parse_dist(text, "--x")


def test_dist_median_matches_samples():
    rng = np.random.default_rng(0)
    for d in (Dist(1.0, 1.2, 2.0), Dist(1.0, 1.9, 2.0), Dist.uniform(3.0, 5.0)):
        assert np.median(d.sample(rng, 200_000)) == pytest.approx(d.median, rel=2e-3)


def test_model_error_widens_modelled_power_only():
    h100 = find_accelerator("h100")
    with_err = estimate_footprint(h100, Dist.point(1e6), seed=3, power_error=power_model_error())
    without = estimate_footprint(h100, Dist.point(1e6), seed=3)

    def width(fp):
        return fp.energy_j["p90"] / fp.energy_j["p10"]

    assert width(with_err) > width(without) * 1.05
    assert with_err.energy_j["p50"] == pytest.approx(without.energy_j["p50"], rel=0.05)
    assert any(a["name"].startswith("power model error") for a in with_err.assumptions)
    given = estimate_footprint(
        h100, Dist.point(1e6), power_w=Dist.point(700.0), power_error=power_model_error()
    )
    assert not any(a["name"].startswith("power model error") for a in given.assumptions)
