"""Serving planner: KV bytes, memory, MoE routing, roofline monotonicity, quantisation, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trillion import load_model
from trillion.catalog.hardware import find_accelerator
from trillion.cli import main
from trillion.count.bytes import weight_bytes
from trillion.count.dims import serve_dims
from trillion.errors import InputError
from trillion.serve.fit import fit_options
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import ServeCalibration, decode_step, load_serve_calibration
from trillion.serve.plan import memory_per_device, plan_serving

H100, H200 = find_accelerator("h100"), find_accelerator("h200")


def test_kv_bytes_per_token_exact():
    assert serve_dims(load_model("llama-3.1-70b")).kv_bytes_per_token == 320 * 1024  # 80 x 2 x 8 x 128 x 2 B
    assert serve_dims(load_model("llama-3.1-70b"), kv="fp8").kv_bytes_per_token == 160 * 1024
    # DeepSeek-V2 paper Table 1: MLA caches (d_c + d_h^R) per layer = (512 + 64) elements; V3 has 61 layers
    assert serve_dims(load_model("deepseek-v3")).kv_bytes_per_token == (512 + 64) * 61 * 2 == 70_272


def test_weights_shard_exactly_and_match_the_catalog():
    spec = load_model("llama-3.1-70b")
    d = serve_dims(spec, "int4")
    assert d.weight_bytes == weight_bytes(spec, "int4")
    mem = memory_per_device(d, H100, ServeLayout(tp=4), ServeCalibration())
    assert mem.weights * 4 == pytest.approx(d.weight_bytes)
    assert mem.kv_capacity == pytest.approx(mem.usable - mem.weights - mem.runtime - mem.workspace)


def test_experts_touched_by_uniform_routing():
    d = serve_dims(load_model("deepseek-v3"))
    b = np.asarray([1, 8, 64, 1024, 10**6], dtype=float)
    t = d.experts_touched(b)
    assert t[0] == pytest.approx(d.top_k) and np.all(np.diff(t) > 0) and t[-1] == pytest.approx(d.num_experts)
    assert serve_dims(load_model("llama-3.1-8b")).experts_touched(b).tolist() == [0.0] * 5


def test_decode_step_is_monotone_in_batch_and_context():
    d, cal = serve_dims(load_model("qwen3-30b-a3b")), load_serve_calibration().for_device("h100-sxm")
    b = np.asarray([1, 2, 4, 16, 64, 256], dtype=float)
    one = ServeLayout()
    short, long = decode_step(d, H100, one, b, 1000, cal), decode_step(d, H100, one, b, 8000, cal)
    assert np.all(np.diff(short.total_s) > 0) and np.all(long.total_s > short.total_s)
    assert np.all(np.diff(b / short.total_s) > 0)  # batching raises throughput


def test_quantisation_shrinks_memory_and_time():
    spec = load_model("llama-3.1-70b")
    bf16 = plan_serving(spec, H100, gpus=4, weights="bf16", batch=32, prompt=500, output=300)
    int4 = plan_serving(spec, H100, gpus=4, weights="int4", batch=32, prompt=500, output=300)
    fp8kv = plan_serving(spec, H100, gpus=2, weights="bf16", kv="fp8", batch=32, prompt=500, output=300)
    bf16_2 = plan_serving(spec, H100, gpus=2, weights="bf16", batch=32, prompt=500, output=300)
    total = lambda p: p.memory_bytes["weights"] * p.devices_per_replica  # noqa: E731
    assert total(int4) < 0.3 * total(bf16)
    assert int4.tokens_per_s_per_device > bf16.tokens_per_s_per_device
    assert int4.devices_per_replica < bf16.devices_per_replica  # int4 fits smaller replicas
    assert 2 * bf16_2.max_concurrency <= fp8kv.max_concurrency <= 2 * bf16_2.max_concurrency + 1
    assert bf16.min_devices_by_precision["int4"] <= bf16.min_devices_by_precision["bf16"]
    assert int4.quality and all(r["source"] for r in int4.quality)


def test_best_batch_meets_the_latency_target():
    p = plan_serving(load_model("llama-3.1-8b"), H100, latency_target_s=0.03, prompt=500, output=300)
    assert p.meets_latency_target and p.tpot_s <= 0.03
    tight = plan_serving(load_model("llama-3.1-8b"), H100, latency_target_s=0.0005, prompt=500, output=300)
    assert not tight.meets_latency_target and tight.batch == 1
    s = p.sweep
    assert [r["batch"] for r in s] == sorted(r["batch"] for r in s)


def test_per_query_figures_are_consistent():
    from trillion.footprint.of_serve import footprint_of_serving

    p = plan_serving(load_model("llama-3.1-8b"), H100, gpus=2, batch=64, prompt=500, output=300)
    assert p.layout["replicas"] * p.devices_per_replica == p.devices == 2
    assert p.accelerator_j_per_output_token == pytest.approx(p.accelerator_w * p.device_s_per_output_token)
    fp = footprint_of_serving(p, H100, region="FRA")
    e = fp.energy_j_per_output_token
    assert e["accelerators"] == p.accelerator_j_per_output_token
    assert 0 < e["accelerators"] < e["it"] < e["facility"]
    assert fp.energy_j_per_query["p50"] == pytest.approx(e["facility"] * 300, rel=0.05)
    assert fp.co2e_g_per_query["p10"] <= fp.co2e_g_per_query["p50"] <= fp.co2e_g_per_query["p90"]


@pytest.mark.parametrize("model", ["qwen3-max", "kimi-k2", "deepseek-v3"])
def test_minimum_hardware_per_precision(capsys, model):
    assert main(["serve", model, "--gpu", "h200", "--weights", "fp8", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    mins = d["min_devices_by_precision"]
    assert set(mins) == {"bf16", "fp8", "int8", "int4", "fp4"}
    assert mins["bf16"] >= mins["fp8"] >= mins["int4"] >= 1
    assert d["fits"] and d["devices"] == mins["fp8"]
    for key in ("layout", "batch", "max_concurrency", "ttft_s", "tpot_s", "tokens_per_s_per_device",
                "energy_j_per_output_token", "energy_wh_per_query", "cost_usd_per_million_tokens",
                "co2e_g_per_query", "assumptions"):  # fmt: skip
        assert key in d


def test_fit_says_what_fits():
    spec = load_model("qwen3-max")
    one = fit_options(spec, H200, 1)
    assert not any(o["fits"] for o in one.options) and "Does not fit" in one.verdict
    eight = fit_options(spec, H200, 8)
    assert eight.options[1]["weights"] == "fp8" and eight.options[1]["fits"] and "fp8" in eight.verdict
    small = fit_options(load_model("llama-3.1-8b"), H200, 1)
    assert small.options[0]["fits"] and "bf16" in small.verdict


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["serve", "llama-3.1-8b", "--context", "200k"],
            "--context: 204800 tokens exceed llama-3.1-8b's maximum context",
        ),
        (["serve", "llama-3.1-8b", "--gpus", "0"], "--gpus"),
        (["serve", "llama-3.1-8b", "--weights", "int3"], "--weights: unknown precision 'int3'"),
        (["serve", "llama-3.1-8b", "--kv", "int2"], "--kv: unknown KV precision"),
        (["serve", "llama-3.1-8b", "--latency-target", "-5ms"], "--latency-target"),
        (["serve", "llama-3.1-8b", "--prompt", "0"], "--prompt"),
        (["fit", "llama-3.1-8b", "--on", "0xh100"], "--on"),
        (["fit", "llama-3.1-8b", "--on", "2xwarp-drive"], "--on"),
        (["fit", "llama-3.1-8b", "--on", "9" * 5000 + "xh100"], "--on: 5,000 digits is too many devices"),
        (["fit", "llama-3.1-8b", "--on", "9" * 5000], "… (5,000 characters)"),
    ],
)
def test_bad_serving_input_is_one_line_exit_2(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_calibration_file_round_trip(tmp_path):
    cal = load_serve_calibration()
    assert "ML.ENERGY" in cal.source and {"h100-sxm", "b200"} <= set(cal.devices)
    assert cal.for_device("b200").eta_hbm != cal.for_device("h100-sxm").eta_hbm
    f = tmp_path / "c.toml"
    f.write_text('[source]\ntitle = "mine"\n[calibration]\neta_hbm = 0.5\n[device.h100-sxm]\neta_hbm = 0.9\n')
    mine = load_serve_calibration(f)
    assert mine.source == "mine" and mine.eta_hbm == 0.5 and mine.for_device("h100-sxm").eta_hbm == 0.9
    with pytest.raises(InputError):
        load_serve_calibration(tmp_path / "missing.toml")
