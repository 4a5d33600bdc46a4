"""Serving layouts: pipeline stages in turn, attention data parallel groups with their own KV,
expert parallel all-to-all, prefix-cache hits, speculative decoding, and their bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion.catalog.hardware import find_accelerator
from trillion.catalog.resolve import load_model
from trillion.cli import main
from trillion.count.dims import serve_dims
from trillion.serve.layout import ServeLayout, parse_serve_layout
from trillion.serve.perf import (
    Speculation,
    all_to_all_s,
    decode_step,
    load_serve_calibration,
    prefill_s,
    prefill_tokens_per_s_per_device,
)
from trillion.serve.plan import max_concurrency, memory_per_device, plan_serving, sequence_bytes_per_device

H100, H800 = find_accelerator("h100-sxm"), find_accelerator("h800")
MODELS = ("llama-3.1-405b", "llama-3.1-8b", "deepseek-v3", "qwen3-next-80b-a3b", "gpt-oss-120b")


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(MODELS),
    tp=st.sampled_from([1, 2, 4, 8]),
    pp=st.integers(1, 7),
    batch=st.integers(1, 512),
    context=st.integers(1, 32768),
)
def test_tpot_never_falls_when_pp_grows(name, tp, pp, batch, context):
    """At fixed tp and micro-batch a token still passes every layer: more stages add hand-overs,
    never speed (the old model divided the whole step by pp)."""
    d = serve_dims(load_model(name), "bf16", "bf16")
    cal = load_serve_calibration().for_device("h100-sxm")
    shallow = decode_step(d, H100, ServeLayout(tp=tp, pp=pp), [batch], context, cal).tpot_s[0]
    deeper = decode_step(d, H100, ServeLayout(tp=tp, pp=pp + 1), [batch], context, cal).tpot_s[0]
    assert deeper >= shallow


def test_405b_pipeline_latency_and_throughput():
    """The issue's case (batch 64: 45, 28, 19 ms at pp = 1, 2, 4 before): TPOT now rises slowly with
    pp while throughput per replica grows with the pp micro-batches in flight."""
    spec = load_model("llama-3.1-405b")
    plans = [
        plan_serving(spec, H100, layout=ServeLayout(tp=8, pp=pp), batch=64 * pp, weights="fp8")
        for pp in (1, 2, 4)
    ]
    tpots = [p.tpot_s for p in plans]
    assert tpots == sorted(tpots) and tpots[-1] < 1.2 * tpots[0]
    assert [p.batch for p in plans] == [64, 128, 256]
    replica = [p.tokens_per_s_per_replica for p in plans]
    assert replica == sorted(replica) and replica[-1] > 3 * replica[0]


def test_mla_kv_is_copied_under_tensor_parallel_but_not_across_dp_groups():
    d = serve_dims(load_model("deepseek-v3"), "fp8", "bf16")
    ctx = 4989
    one = sequence_bytes_per_device(d, ServeLayout(), ctx)
    assert sequence_bytes_per_device(d, ServeLayout(tp=8), ctx) == one  # the latent on every tp rank
    assert sequence_bytes_per_device(d, ServeLayout(tp=8, pp=2), ctx) == one / 2
    cal = load_serve_calibration().for_device("h800")
    tp_lay, dp_lay = ServeLayout(tp=8, pp=2), ServeLayout(dp=16, ep=16)
    tp_conc = max_concurrency(d, memory_per_device(d, H800, tp_lay, cal), tp_lay, ctx)
    dp_mem = memory_per_device(d, H800, dp_lay, cal)
    dp_conc = max_concurrency(d, dp_mem, dp_lay, ctx)
    assert dp_conc == 16 * int(dp_mem.kv_capacity // one)
    # attention is copied on every DP group (more weights per device), the KV is not
    assert dp_mem.weights > memory_per_device(d, H800, tp_lay, cal).weights
    assert dp_conc > 3 * tp_conc  # 592 against the 176: the 8 latent copies are gone


def test_redundant_experts_cost_their_memory():
    d = serve_dims(load_model("deepseek-v3"), "fp8", "bf16")
    cal = load_serve_calibration().for_device("h800")
    plain = memory_per_device(d, H800, ServeLayout(dp=32, ep=32), cal).weights
    extra = memory_per_device(d, H800, ServeLayout(dp=32, ep=32, redundant=32), cal).weights
    one_copy = d.expert_bytes * d.num_moe_layers  # one expert of every MoE layer
    assert extra - plain == pytest.approx(32 * one_copy / 32, rel=1e-9)


# DeepEP V1 low-latency kernels, H800 + 400 Gb/s CX7, 128 tokens, hidden 7168, top-8, FP8 dispatch,
# BF16 combine (deepseek-ai/DeepEP docs/legacy.md): dispatch + combine microseconds per EP size.
# The model's scale-out efficiency is the mean bandwidth of these rows, so this checks the byte
# count and the intra/inter-node split, not an independent prediction.
DEEPEP_US = {32: 155 + 273, 64: 173 + 314, 128: 192 + 369, 256: 194 + 360}


@pytest.mark.parametrize("ep", sorted(DEEPEP_US))
def test_all_to_all_matches_deepep_low_latency_table(ep):
    d = serve_dims(load_model("deepseek-v3"), "fp8", "bf16")
    cal = load_serve_calibration().for_device("h800")
    t = float(np.asarray(all_to_all_s(128, d, ServeLayout(dp=ep, ep=ep), H800, cal)))
    assert t * 1e6 == pytest.approx(DEEPEP_US[ep], rel=0.2)


def test_speculation_and_cache_hits():
    spec = Speculation(draft_tokens=1, acceptance=0.85, draft_cost=0.02)
    assert spec.tokens_per_step == pytest.approx(1.85)
    assert Speculation(draft_tokens=3, acceptance=0.5).tokens_per_step == pytest.approx(1.875)
    d = serve_dims(load_model("deepseek-v3"), "fp8", "bf16")
    cal = load_serve_calibration().for_device("h800")
    lay = ServeLayout(dp=32, ep=32)
    base = decode_step(d, H800, lay, [32], 4000, cal).tpot_s[0]
    mtp = decode_step(d, H800, lay, [32], 4000, cal, spec).tpot_s[0]
    useless = decode_step(
        d, H800, lay, [32], 4000, cal, Speculation(draft_tokens=1, acceptance=0.0, draft_cost=0.02)
    )
    assert mtp < base < useless.tpot_s[0]
    ttft = [prefill_s(d, H800, lay, 4096, cal, h) for h in (0.0, 0.3, 0.563, 0.9)]
    assert ttft == sorted(ttft, reverse=True)
    served = [prefill_tokens_per_s_per_device(d, H800, lay, 4096, cal, h) for h in (0.0, 0.563)]
    assert served[1] > 1.5 * served[0]  # cache hits count as served tokens


def test_explicit_layout_reaches_the_plan_and_json(capsys):
    argv = ["serve", "deepseek-v3", "--gpu", "h800", "--gpus", "64", "--weights", "fp8",
            "--layout", "tp=1,dp=32,ep=32,redundant=32", "--cache-hit", "56.3%", "--draft-tokens", "1",
            "--acceptance", "0.85", "--json"]  # fmt: skip
    assert main(argv) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["layout"] == {"tp": 1, "pp": 1, "dp": 32, "ep": 32, "redundant": 32, "replicas": 2}
    names = {a["name"] for a in out["assumptions"]}
    assert {"speculative decoding", "prefix-cache hits"} <= names


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--layout", "tp=1,dp=48,ep=48"], "--layout: ep: ep=48 does not divide the 256 routed experts"),
        (["--layout", "tp=1,dp=8,ep=16"], "--layout: ep: ep=16 must divide dp * tp = 8"),
        (
            ["--layout", "tp=8,dp=2", "--gpus", "24"],
            "--layout: dp * tp * pp = 16 devices per replica do not divide --gpus 24",
        ),
        (["--layout", "tp=0"], "--layout: tp: must be an integer from 1 to 4096"),
        (["--layout", "tp=8,warp=2"], "--layout: warp: expected key=value"),
        (["--layout", "tp=8,tp=4"], "--layout: tp: given twice"),
        (["--layout", "tp=1,dp=8,ep=8,redundant=999"], "--layout: redundant: must be 0 to the 256"),
        (["--cache-hit", "1"], "--cache-hit: must be a share in [0, 1)"),
        (["--cache-hit", "-0.1"], "--cache-hit: must be a share in [0, 1)"),
        (["--cache-hit", "150%"], "--cache-hit: must be a share in [0, 1)"),
        (["--draft-tokens", "1", "--acceptance", "2"], "--acceptance: must be a share in [0, 1]"),
        (["--draft-tokens", "1"], "--acceptance: needed with --draft-tokens"),
        (["--acceptance", "0.8"], "--acceptance: applies to speculative decoding"),
        (["--draft-tokens", "99", "--acceptance", "0.5"], "--draft-tokens: at most 16"),
    ],
)
def test_bad_layout_input_is_one_line_exit_2(capsys, argv, needle):
    assert main(["serve", "deepseek-v3", "--gpu", "h800", "--weights", "fp8", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_expert_parallel_on_a_dense_model_is_refused(capsys):
    assert main(["serve", "llama-3.1-8b", "--layout", "dp=2,ep=2"]) == 2
    assert "ep=2 needs routed experts; this model is dense" in capsys.readouterr().err


def test_parse_serve_layout_defaults():
    assert parse_serve_layout("tp=8") == ServeLayout(tp=8)
    assert parse_serve_layout(" dp=4 , ep=4 ").devices == 4


# regressions found by a review of the layouts


def test_the_search_prefers_a_layout_that_meets_the_target():
    p = plan_serving(
        load_model("deepseek-v3"), find_accelerator("h200"), gpus=64, weights="fp8", latency_target_s=0.010
    )
    assert p.meets_latency_target  # some layout meets 10 ms; the fastest-per-device one does not


def test_a_layout_with_fewer_sequences_than_micro_batches_is_refused_not_inflated():
    p = plan_serving(
        load_model("llama-3.1-405b"), H100, layout=ServeLayout(pp=16), prompt=127000, output=1000
    )
    assert not p.fits and "fewer than its 16 groups x micro-batches" in p.reason


def test_one_sequence_is_never_faster_on_more_stages_or_groups():
    one = plan_serving(load_model("llama-3.1-8b"), H100, batch=1, prompt=100_000, output=500).tpot_s
    for lay in (ServeLayout(pp=4), ServeLayout(pp=8)):
        assert (
            plan_serving(
                load_model("llama-3.1-8b"), H100, batch=1, prompt=100_000, output=500, layout=lay
            ).tpot_s
            >= one
        )
    moe = load_model("qwen3-30b-a3b")
    assert (plan_serving(moe, H100, batch=1, prompt=39_000, layout=ServeLayout(dp=8, ep=8)).tpot_s
            >= 0.99 * plan_serving(moe, H100, batch=1, prompt=39_000, layout=ServeLayout()).tpot_s)  # fmt: skip


def test_dsa_reads_its_top_k_but_keeps_the_whole_cache():
    v32, v3 = (
        serve_dims(load_model("deepseek-v3.2"), "fp8", "bf16"),
        serve_dims(load_model("deepseek-v3"), "fp8", "bf16"),
    )
    assert v32.kv_bytes(131072) == v3.kv_bytes(131072)  # the cache holds every token
    assert float(v32.read_tokens(131072)) == 61 * 2048 < float(v3.read_tokens(131072))


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["llama-3.1-8b", "--layout", "tp=4096,pp=4096"], "--layout: dp * tp * pp = 16,777,216 devices"),
        (["deepseek-v3", "--draft-tokens", "2", "--acceptance="], "--acceptance"),
        (["deepseek-v3", "--gpus", "1", "--layout", "dp=3,ep=3"], "--layout: ep: ep=3 does not divide"),
    ],
)
def test_more_bad_layout_input(capsys, argv, needle):
    assert main(["serve", *argv, "--gpu", "h800", "--weights", "fp8"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_optional_engine_mechanisms_only_move_what_they_name():
    """`eta_kv` and `expert_gemm_share` (used by the TensorRT-LLM fit in benchmarks/serving_trtllm.py):
    absent, the model is the shipped one; eta_kv = eta_hbm changes nothing; a lower eta_kv slows a
    KV-bound step; an expert share below 1 slows a MoE model's prefill and big-batch decode and
    leaves a dense model untouched."""
    cal = load_serve_calibration().for_device("h100-sxm")
    moe, dense = (
        serve_dims(load_model("qwen3-30b-a3b"), "bf16", "bf16"),
        serve_dims(load_model("llama-3.1-8b"), "bf16", "bf16"),
    )
    lay, b = ServeLayout(), np.asarray([1.0, 64.0, 2048.0])
    base = decode_step(dense, H100, lay, b, 8192, cal).total_s
    same = decode_step(dense, H100, lay, b, 8192, cal.with_(eta_kv=cal.eta_hbm)).total_s
    assert np.allclose(base, same, rtol=1e-12)
    slow_kv = decode_step(dense, H100, lay, b, 8192, cal.with_(eta_kv=cal.eta_hbm / 2)).total_s
    assert np.all(slow_kv > base)
    shared = cal.with_(expert_gemm_share=0.5)
    assert (
        decode_step(dense, H100, lay, b, 1024, shared).total_s.tolist()
        == decode_step(dense, H100, lay, b, 1024, cal).total_s.tolist()
    )
    assert prefill_s(dense, H100, lay, 4096, shared) == prefill_s(dense, H100, lay, 4096, cal)
    assert prefill_s(moe, H100, lay, 4096, shared) > prefill_s(moe, H100, lay, 4096, cal)
    big = np.asarray([4096.0])
    assert (
        decode_step(moe, H100, lay, big, 1024, shared).compute_s[0]
        > decode_step(moe, H100, lay, big, 1024, cal).compute_s[0]
    )


def test_optional_serving_mechanisms_appear_in_the_assumptions():
    """A calibration that sets eta_kv, expert_gemm_share or layer_floor_s says so in the plan."""
    from dataclasses import replace

    from trillion import load_model
    from trillion.catalog.hardware import find_accelerator
    from trillion.serve.perf import load_serve_calibration
    from trillion.serve.plan import plan_serving

    cal = replace(load_serve_calibration(), eta_kv=0.5, expert_gemm_share=0.6, layer_floor_s=20e-6)
    plan = plan_serving(load_model("qwen3-30b-a3b"), find_accelerator("h100"), calibration=cal)
    row = next(a for a in plan.to_dict()["assumptions"] if a["name"] == "serving efficiencies")
    assert "KV reads at HBM x 0.50" in row["value"] and "GEMM share 0.60" in row["value"]
    assert "20 us floor per layer" in row["value"]
    plain = plan_serving(load_model("qwen3-30b-a3b"), find_accelerator("h100"))
    assert "floor per layer" not in next(
        a["value"] for a in plain.to_dict()["assumptions"] if a["name"] == "serving efficiencies"
    )
