"""Training planner: properties, feasibility with reasons, and the published DeepSeek-V3 set-up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, find_cluster, make_cluster
from trillion.cli import main
from trillion.errors import InputError
from trillion.plan.train import plan_training
from trillion.spec.layout import Layout


@pytest.fixture(scope="module")
def llama8b():
    return load_model("llama-3.1-8b")


def test_searched_plan_fits_and_is_within_capacity(llama8b):
    cl = make_cluster(find_accelerator("h100"), 64)
    plan = plan_training(llama8b, cl, tokens=10**12, seq_len=4096, global_batch=512)
    assert plan.fits and plan.layout is not None
    assert plan.memory_bytes["total"] <= cl.accelerator.memory_bytes
    assert 0.05 < plan.mfu < 0.8
    d, h = plan.wall_clock_days, plan.accelerator_hours
    assert d["p10"] <= d["p50"] <= d["p90"] and h["p10"] <= h["p50"] <= h["p90"]
    for alt in plan.alternatives:
        assert alt["step_seconds"] >= plan.step_s and alt["memory_bytes"] <= cl.accelerator.memory_bytes


@settings(max_examples=15, deadline=None)
@given(st.integers(10**9, 10**13), st.integers(2, 10))
def test_more_tokens_never_means_fewer_hours(llama8b, tokens, factor):
    cl = make_cluster(find_accelerator("h100"), 64)
    lay = Layout(dp=8, tp=8, pp=1, mbs=1, recompute="selective")
    a = plan_training(llama8b, cl, tokens=tokens, global_batch=512, layout=lay)
    b = plan_training(llama8b, cl, tokens=tokens * factor, global_batch=512, layout=lay)
    assert b.accelerator_hours["p50"] >= a.accelerator_hours["p50"]


def test_impossible_request_returns_reasons():
    spec = load_model("llama-3.1-405b")
    cl = make_cluster(find_accelerator("a100-40gb"), 8)
    plan = plan_training(spec, cl, tokens=10**12, global_batch=64)
    assert not plan.fits and plan.layout is None
    assert "GiB" in plan.reason and "no layout fits" in plan.reason


def test_given_layout_that_does_not_fit_says_why():
    spec = load_model("llama-3.1-70b")
    cl = make_cluster(find_accelerator("h100"), 8)
    plan = plan_training(
        spec, cl, tokens=10**12, global_batch=64, layout=Layout(dp=8, tp=1, pp=1, recompute="none")
    )
    assert not plan.fits and "needs" in plan.reason and "GiB per device" in plan.reason


def test_layout_arithmetic_is_checked():
    with pytest.raises(
        InputError, match=r"dp\(8\) \* tp\(8\) \* pp\(16\) \* cp\(1\) = 1024 != world_size\(2048\)"
    ):
        Layout(dp=8, tp=8, pp=16).validate_for(2048)


@pytest.mark.parametrize(
    "name, gpu, gpus",
    [
        ("kimi-k2", "h800", 4096),
        ("deepseek-v3", "h800", 2048),
        ("qwen3-max", "h800", 8192),
        ("qwen3-max", "h100", 16384),
    ],
)
def test_frontier_plans_complete(name, gpu, gpus):
    plan = plan_training(
        load_model(name),
        make_cluster(find_accelerator(gpu), gpus),
        tokens=15 * 10**12,
        seq_len=4096,
        global_batch=4096,
    )
    assert plan.fits, plan.reason
    assert plan.accelerator_hours["p50"] > 1e5


def test_deepseek_v3_published_setup_is_feasible():
    """DeepSeek-V3 report §3.2: 16-way pipeline, 64-way expert parallel over 8 nodes, ZeRO-1 data
    parallel, no tensor parallel, on 2,048 H800; recomputation of norms and up-projections ("full"
    is our nearest setting)."""
    plan = plan_training(
        load_model("deepseek-v3"),
        find_cluster("deepseek-v3-h800"),
        tokens=14_800 * 10**9,
        seq_len=4096,
        global_batch=15360,
        precision="fp8",
        layout=Layout(dp=128, tp=1, pp=16, ep=64, zero=1, recompute="full"),
    )
    assert plan.fits, plan.reason


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["train", "kimi-k2", "--tokens", "banana"], "--tokens"),
        (["train", "kimi-k2", "--gpus", "0"], "--gpus"),
        (["train", "kimi-k2", "--gpu", "h900"], "unknown accelerator"),
        (["train", "kimi-k2", "--layout", "tp=3,pp=x"], "--layout"),
        (["train", "kimi-k2", "--gpus", "64", "--layout", "tp=8,pp=16,dp=1"], "world_size(64)"),
        (["train", "kimi-k2", "--recompute", "sometimes"], "--recompute"),
        (["train", "kimi-k2", "--calibration", "/nonexistent.toml"], "nonexistent.toml: cannot read"),
    ],
)
def test_bad_train_flags_exit_2(capsys, argv, phrase):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert phrase in err and err.count("\n") == 1


def test_train_json_keys(capsys):
    import json

    assert (
        main(["train", "llama-3.1-8b", "--gpus", "64", "--tokens", "1T", "--global-batch", "512", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    for key in (
        "layout",
        "fits",
        "memory_per_device_bytes",
        "step_seconds",
        "mfu",
        "wall_clock_days",
        "accelerator_hours",
        "assumptions",
    ):
        assert key in data
    assert set(data["accelerator_hours"]) == {"p10", "p50", "p90"}


def test_qlora_fits_70b_on_one_h100_and_lora_does_not():
    from trillion.plan.finetune import lora_params, plan_finetune

    spec = load_model("llama-3.1-70b")
    one = make_cluster(find_accelerator("h100"), 1)
    q = plan_finetune(spec, one, tokens=10**8, method="qlora", global_batch=8)
    lo = plan_finetune(spec, one, tokens=10**8, method="lora", global_batch=8)
    assert q.fits and not lo.fits and "GiB" in lo.reason
    assert q.memory_bytes["frozen_base_weights"] < lo.memory_bytes["frozen_base_weights"] / 3
    # rank r adds r * (in + out) per adapted matrix: 16 * (8192 + 8192) for one q_proj
    assert lora_params(spec, 16) > 80 * 16 * (8192 + 8192)
    assert q.wall_clock_hours["p10"] <= q.wall_clock_hours["p50"] <= q.wall_clock_hours["p90"]


def test_finetune_cli(capsys):
    import json

    assert main(["finetune", "llama-3.1-8b", "--method", "qlora", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fits"] and data["trainable_params"] > 0
    assert main(["finetune", "llama-3.1-8b", "--method", "dora"]) == 2


def test_zero_stages_follow_the_zero_paper():
    """Rajbhandari et al. 2020 Table 1: 7.5B parameters, 64-way DP, K = 12 -> 120 / 31.4 / 16.6 GB."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from memory_korthikanti import zero_table

    assert zero_table() < 0.005
