"""Invariants of every planner: monotonicity, ordered percentiles, breakdowns that sum, units
that round-trip through the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.count import count
from trillion.dist import Dist
from trillion.footprint.estimate import estimate_footprint
from trillion.plan.train import plan_training
from trillion.serve.plan import plan_serving
from trillion.units import format_count, parse_context_len, parse_count, parse_quantity

PROPS = settings(max_examples=25, deadline=None, derandomize=True, database=None)
H100 = find_accelerator("h100")


@PROPS
@given(st.sampled_from(["llama-3.1-8b", "mixtral-8x7b", "qwen3-30b-a3b"]), st.integers(10, 13))
def test_training_time_grows_with_tokens(name, exp):
    cl = make_cluster(H100, 256)
    a = plan_training(load_model(name), cl, tokens=10**exp)
    b = plan_training(load_model(name), cl, tokens=2 * 10**exp)
    assert b.accelerator_hours["p50"] > a.accelerator_hours["p50"]
    for p in (a.wall_clock_days, a.accelerator_hours):
        assert p["p10"] <= p["p50"] <= p["p90"]
    mem = a.memory_bytes
    parts = sum(v for k, v in mem.items() if k != "total")
    assert mem["total"] == pytest.approx(parts, rel=1e-9)


@PROPS
@given(st.floats(1e3, 1e8), st.floats(1.0, 2.0), st.sampled_from(["USA", "FRA", "CN", "World"]))
def test_footprint_monotone_and_ordered(hours, pue, region):
    a = estimate_footprint(H100, Dist.point(hours), pue=Dist.point(pue), region=region, seed=1)
    b = estimate_footprint(H100, Dist.point(hours * 2), pue=Dist.point(pue), region=region, seed=1)
    assert (
        b.energy_j["p50"] > a.energy_j["p50"]
        and b.co2e_g["location"]["p50"] > a.co2e_g["location"]["p50"]
        and b.cost_usd["p50"] > a.cost_usd["p50"]
        and b.water_l["p50"] > a.water_l["p50"]
    )
    for p in (a.energy_j, a.it_energy_j, a.water_l, a.cost_usd, *a.co2e_g.values()):
        assert p["p10"] <= p["p50"] <= p["p90"]


@PROPS
@given(
    st.sampled_from(["llama-3.1-8b", "qwen3-30b-a3b", "llama-3.1-70b"]),
    st.sampled_from(["bf16", "fp8", "int4"]),
)
def test_serving_latency_grows_with_batch_and_quantisation_shrinks_weights(name, weights):
    p = plan_serving(load_model(name), H100, weights=weights, prompt=500, output=200)
    assert p.fits
    tpot = [r["tpot_s"] for r in p.sweep]
    rate = [r["tokens_per_s_per_device"] for r in p.sweep]
    assert tpot == sorted(tpot) and rate == sorted(
        rate
    )  # one layout: batching costs latency, buys throughput
    mins = p.min_devices_by_precision
    assert mins["bf16"] >= mins["fp8"] >= mins["int4"]


@PROPS
@given(
    st.sampled_from(["llama-3.1-405b", "deepseek-v3", "kimi-k2", "qwen3-max", "switch-c"]),
    st.integers(1, 1 << 17),
)
def test_count_breakdowns_sum(name, seq):
    c = count(load_model(name), seq)

    def sums(node):  # every parent equals the sum of its children, all the way down
        kids = node["children"].values()
        assert not kids or node["total"] == sum(k["total"] for k in kids)
        for k in kids:
            sums(k)

    for tree in (c.params, c.active_params, c.forward_flop):
        sums(tree.to_tree())
    assert c.params.total == c.total_params and c.active_params.total <= c.total_params
    assert c.train_flop_per_token == 3 * c.forward_flop_per_token


@PROPS
@given(st.integers(1, 10**18))
def test_counts_round_trip_through_the_parser(n):
    text = format_count(n, digits=15)
    value, half = parse_count(text, "x")
    assert abs(float(value) - n) <= float(half) + 1e-9 * n


@PROPS
@given(st.integers(1, 2**30))
def test_context_lengths_round_trip(n):
    assert parse_context_len(str(n)) == n
    if n % 1024 == 0:
        assert parse_context_len(f"{n // 1024}k") == n


@PROPS
@given(st.floats(1e-3, 1e6), st.sampled_from([("GB/s", "byte_per_s", 1e9), ("Gbit/s", "byte_per_s", 1.25e8),
                                               ("TFLOP/s", "flop_per_s", 1e12), ("kW", "watt", 1e3), ("ms", "second", 1e-3)]))  # fmt: skip
def test_quantities_round_trip(value, unit):
    text, dim, scale = unit
    assert parse_quantity(f"{value!r} {text}", dim, "x") == pytest.approx(value * scale, rel=1e-12)


@pytest.fixture(scope="module")
def bootstrapped_fit():
    import numpy as np

    from trillion.scaling.fit import ChinchillaFit
    from trillion.scaling.laws import EPOCH_REFIT
    from trillion.scaling.runs import Runs

    rng = np.random.default_rng(3)
    n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), 60))
    d = np.exp(rng.uniform(np.log(1e9), np.log(1e12), 60))
    loss = EPOCH_REFIT.loss(n, d) * np.exp(rng.normal(0, 0.01, 60))
    f = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    f.bootstrap(60)
    return f.to_dict()


@PROPS
@given(st.floats(19, 27), st.floats(0.1, 3))
def test_forecast_ordered_and_falls_with_compute(bootstrapped_fit, log_flop, step):
    from trillion.scaling.forecast import EXTRAPOLATION_WARN_OOM, forecast

    a = forecast(bootstrapped_fit, flop=10**log_flop)
    b = forecast(bootstrapped_fit, flop=10 ** (log_flop + step))
    assert b.loss < a.loss and b.params > a.params and b.tokens > a.tokens
    assert a.loss_interval is not None
    q = list(a.loss_interval.values())
    assert q == sorted(q)
    assert bool(a.warning) == (max(a.extrapolation.values()) > EXTRAPOLATION_WARN_OOM)
