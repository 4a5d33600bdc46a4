"""Latency under load: the continuous-batching simulation's bookkeeping (Little's law, the idle
limit, stability at capacity), the planner's fleet sizing, and the --qps flag."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trillion.catalog.hardware import find_accelerator
from trillion.catalog.resolve import load_model
from trillion.cli import main
from trillion.serve.load import simulate_load
from trillion.serve.plan import plan_serving

STEP = 0.02 + 1e-4 * np.arange(0, 257)  # a decode step growing with the batch, 256 sequences of room
PER_TOKEN = 2e-5  # prefill seconds per prompt token


def test_littles_law_holds():
    """Mean requests in the system = arrival rate x mean time in the system (independent of the
    queueing discipline; a check of the simulation's clock and bookkeeping)."""
    r = simulate_load(STEP, PER_TOKEN, 1000, 200, 8.0, requests=4000, seed=3)
    assert r.stable
    assert r.mean_concurrency == pytest.approx(8.0 * r.mean_latency_s, rel=0.1)


def test_an_idle_replica_answers_in_one_prefill_and_one_step_per_token():
    r = simulate_load(STEP, PER_TOKEN, 1000, 200, 0.05, requests=300, seed=1)
    assert r.ttft_s["p50"] == pytest.approx(STEP[0] + 1000 * PER_TOKEN, rel=0.01)
    assert r.tpot_s["p50"] == pytest.approx(STEP[1], rel=0.02)


def test_mean_ttft_is_the_idle_prefill_when_idle_and_grows_with_load():
    """The mean TTFT (what MLPerf Server reports) sits on the idle time to first token at a trickle
    and rises with the queue, above the median when the tail is long."""
    # at 0.002/s a request finds the replica busy (4 s of decode) under 1% of the time
    idle = simulate_load(STEP, PER_TOKEN, 1000, 200, 0.002, requests=300, seed=1)
    assert idle.mean_ttft_s == pytest.approx(STEP[0] + 1000 * PER_TOKEN, rel=0.02)
    busy = simulate_load(STEP, PER_TOKEN, 1000, 200, 0.9 * idle.capacity_qps, requests=3000, seed=2)
    assert busy.mean_ttft_s > idle.mean_ttft_s
    assert busy.ttft_s["p50"] <= busy.mean_ttft_s <= busy.ttft_s["p99"]


def test_latency_grows_with_load_and_capacity_is_the_limit():
    rates = [0.5, 4.0, 8.0, 10.0]
    runs = [simulate_load(STEP, PER_TOKEN, 1000, 200, q, seed=7) for q in rates]
    p90 = [r.ttft_s["p90"] for r in runs]
    assert p90 == sorted(p90)
    cap = runs[0].capacity_qps
    assert all(r.capacity_qps == cap for r in runs)
    over = simulate_load(STEP, PER_TOKEN, 1000, 200, 1.2 * cap, seed=7)
    assert not over.stable and over.utilisation > 1 and over.max_queue > 100


def test_same_seed_same_answer():
    a = simulate_load(STEP, PER_TOKEN, 500, 100, 5.0, seed=11)
    b = simulate_load(STEP, PER_TOKEN, 500, 100, 5.0, seed=11)
    assert a == b


def test_fleet_is_the_fewest_replicas_that_meet_the_target():
    spec, acc = load_model("llama-3.1-8b"), find_accelerator("h100")
    p = plan_serving(spec, acc, qps=40.0, latency_target_s=0.03)
    load = p.load
    assert load is not None and load["meets_target"] and load["replicas"] == p.layout["replicas"]
    assert p.devices == load["replicas"] * p.devices_per_replica
    if load["replicas"] > 1:  # one replica fewer fails the target or the load
        fewer = plan_serving(
            spec, acc, qps=40.0, latency_target_s=0.03, gpus=(load["replicas"] - 1) * p.devices_per_replica
        )
        assert not fewer.load["meets_target"]


def test_kimi_k2_on_128_gpus_at_50_qps(capsys):
    assert main(["serve", "kimi-k2", "--gpus", "128", "--qps", "50", "--weights", "fp8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    load = out["load"]
    assert load["qps_total"] == 50 and load["stable"] and set(load["ttft_s"]) == {"p50", "p90", "p99"}
    assert out["layout"]["ep"] > 1  # the search serves the MoE expert-parallel
    assert any(a["name"] == "layout" for a in out["assumptions"])


@pytest.mark.parametrize("qps", ["0", "-3", "abc", "1e9"])
def test_bad_qps_is_one_line_exit_2(capsys, qps):
    assert main(["serve", "llama-3.1-8b", "--qps", qps]) == 2
    err = capsys.readouterr().err
    assert "--qps" in err and err.count("\n") == 1


def test_a_sized_fleet_keeps_headroom_and_bounded_queues():
    p = plan_serving(load_model("llama-3.1-70b"), find_accelerator("h100"), qps=30.0, weights="fp8")
    load = p.load
    assert load["meets_target"] and load["utilisation"] <= 0.85
    assert load["ttft_s"]["p90"] <= 4 * p.ttft_s + 0.5


def test_cache_hits_shorten_ttft_under_load():
    spec, acc = load_model("llama-3.1-70b"), find_accelerator("h100")
    cold = plan_serving(spec, acc, qps=8.0, gpus=8, weights="fp8", prompt=8000).load
    warm = plan_serving(spec, acc, qps=8.0, gpus=8, weights="fp8", prompt=8000, cache_hit=0.9).load
    assert warm["ttft_s"]["p50"] < cold["ttft_s"]["p50"]


def test_a_year_of_queries_prices_the_whole_sized_fleet(capsys):
    argv = [
        "serve",
        "llama-3.1-70b",
        "--gpu",
        "h100",
        "--weights",
        "fp8",
        "--queries-per-day",
        "10M",
        "--json",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    year = out["annual"]
    assert out["load"]["qps_total"] == pytest.approx(1e7 / 86400)
    assert year["accelerator_hours"] == out["devices"] * 8760
    # a provisioned fleet idles in its headroom: a year's energy per query is at least the
    # operating point's, and not far above it at 85% utilisation or more
    at_point, per_year = out["energy_wh_per_query"]["p50"], year["energy_wh_per_query"]["p50"]
    assert at_point <= per_year <= 1.3 * at_point
    assert year["energy_mwh"]["p50"] == pytest.approx(per_year * 1e7 * 365 / 1e6)


@pytest.mark.parametrize("n", ["0", "-5", "lots"])
def test_bad_queries_per_day_is_one_line_exit_2(capsys, n):
    assert main(["serve", "llama-3.1-8b", "--queries-per-day", n]) == 2
    err = capsys.readouterr().err
    assert "--queries-per-day" in err and err.count("\n") == 1
