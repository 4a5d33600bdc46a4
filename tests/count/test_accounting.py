"""Hand-checked arithmetic on small specs, and invariants on generated ones."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion.count import count
from trillion.count.bytes import kv_cache_bytes_per_token, weight_bytes
from trillion.count.flop import forward_flop
from trillion.count.params import count_active_params, count_params
from trillion.spec.model import MLA, MLP, Attention, ModelSpec, MoE

TINY = ModelSpec(
    name="tiny",
    vocab_size=1000,
    hidden_size=64,
    num_layers=2,
    attention=Attention(num_heads=4, num_kv_heads=2, head_dim=16),
    mlp=MLP(intermediate_size=128, gated=True),
)


def test_dense_gqa_params_by_hand():
    h, v, kv_width = 64, 1000, 2 * 16
    attention = h * h + 2 * h * kv_width + h * h  # q, k, v, o
    mlp = 3 * h * 128
    norms = 2 * h
    expected = 2 * (attention + mlp + norms) + h + 2 * v * h  # final norm, untied table + head
    assert count_params(TINY).total == expected
    assert count(TINY).embedding_params == 2 * v * h


def test_moe_active_counts_top_k_of_routed_experts():
    moe = MoE(
        num_experts=8,
        top_k=2,
        expert=MLP(intermediate_size=32, gated=True),
        num_shared_experts=1,
        shared_intermediate_size=32,
        first_k_dense=1,
    )
    spec = dataclasses.replace(TINY, moe=moe)
    total, active = count_params(spec), count_active_params(spec)
    expert = 3 * 64 * 32
    assert total.get("layers/moe/experts") == 1 * 8 * expert  # one MoE layer (layer 0 is dense)
    assert active.get("layers/moe/experts") == 1 * 2 * expert
    assert total.get("layers/moe/router") == 8 * 64
    assert total.total - active.total == 6 * expert


def test_mla_params_and_kv_cache_by_hand():
    mla = MLA(
        num_heads=4, q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16
    )
    spec = dataclasses.replace(TINY, attention=mla)
    h = 64
    per_layer = (
        h * 24
        + 24
        + 24 * 4 * 24  # q_a, q_a_norm, q_b (heads x (nope + rope))
        + h * (16 + 8)
        + 16
        + 16 * 4 * (16 + 16)  # kv_a, kv_a_norm, kv_b
        + 4 * 16 * h
    )  # o
    assert count_params(spec).get("layers/attention") == 2 * per_layer
    # MLA caches the latent plus the shared rope key: (16 + 8) elements per layer
    assert kv_cache_bytes_per_token(spec, "bf16") == 2 * (16 + 8) * 2
    assert kv_cache_bytes_per_token(spec, "fp8") == 2 * (16 + 8)


def test_gqa_kv_cache_by_hand():
    # 2 layers x (K + V) x 2 KV heads x 16 dims x 2 bytes
    assert kv_cache_bytes_per_token(TINY, "bf16") == 2 * 2 * 2 * 16 * 2


def test_int4_bytes_include_group_scales_and_never_round_per_element():
    spec = dataclasses.replace(TINY, mlp=MLP(intermediate_size=130, gated=False))
    p = count_params(spec)
    quantised = p.get("layers/attention") + p.get("layers/mlp")
    kept = p.total - quantised
    # groups of 128 along input features; the 130-wide down_proj needs 2 groups per row
    groups = 2 * (64 * 1 + 32 * 1 + 32 * 1 + 64 * 1 + 130 * 1 + 64 * 2)
    bits = quantised * 4 + groups * (16 + 4) + kept * 16
    assert weight_bytes(spec, "int4") == -(-bits // 8)
    assert weight_bytes(spec, "bf16") == 2 * p.total
    assert weight_bytes(spec, "fp32") == 4 * p.total


def test_causal_attention_flop_is_exact():
    s = 1000
    flop = forward_flop(TINY, s)
    # heads * (qk + v dims) * (S + 1) per layer: mean context (S+1)/2, 2 FLOP per MAC, two matmuls
    assert flop.get("attention") == 2 * 4 * (16 + 16) * (s + 1)
    full = forward_flop(TINY, s, "full")
    assert full.get("attention") == 2 * 2 * 2 * 4 * 16 * s
    assert (
        flop.get("matmul")
        == full.get("matmul")
        == 2 * (count_params(TINY).total - 64 * 1000 - (2 * 2 + 1) * 64)
    )


def test_sliding_window_caps_the_context():
    windowed = dataclasses.replace(TINY, sliding_window=100, sliding_window_layers=(0, 1))
    long = forward_flop(windowed, 10_000).get("attention")
    short = forward_flop(windowed, 100).get("attention")
    assert long < forward_flop(TINY, 10_000).get("attention")
    assert short == forward_flop(TINY, 100).get("attention")  # window >= S: no effect
    # far beyond the window the mean context tends to W
    assert abs(long - 2 * 2 * 4 * 32 * 100) / long < 0.01


def test_training_flop_is_three_and_four_times_forward():
    c = count(TINY, 512)
    assert c.train_flop_per_token == 3 * c.forward_flop_per_token
    assert c.train_flop_per_token_full_recompute == 4 * c.forward_flop_per_token
    assert c.six_n_flop_per_token == 6 * c.active_params.total


specs = st.builds(
    lambda h_mult, heads, kv_div, layers, inter, vocab, experts, k, tied: ModelSpec(
        name="gen",
        vocab_size=vocab,
        hidden_size=16 * h_mult,
        num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=max(1, heads // kv_div), head_dim=16)
        if heads % max(1, heads // kv_div) == 0
        else Attention(num_heads=heads, num_kv_heads=heads, head_dim=16),
        mlp=MLP(intermediate_size=inter, gated=True),
        moe=MoE(num_experts=experts, top_k=min(k, experts), expert=MLP(intermediate_size=inter, gated=True))
        if experts
        else None,
        tied_embeddings=tied,
    ),
    st.integers(1, 8),
    st.integers(1, 8),
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(1, 300),
    st.integers(1, 5000),
    st.integers(0, 16),
    st.integers(1, 4),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(specs, st.integers(1, 4096), st.integers(1, 4096))
def test_invariants(spec, s1, s2):
    spec.validate()
    c = count(spec, s1)
    assert 0 < c.active_params.total <= c.total_params
    assert c.embedding_params + c.non_embedding_params == c.total_params
    assert c.params.to_tree()["total"] == c.total_params
    lo, hi = sorted((s1, s2))
    assert forward_flop(spec, lo).total <= forward_flop(spec, hi).total
    sizes = [c.weight_bytes[f] for f in ("fp32", "bf16", "fp8", "int4")]
    assert sizes == sorted(sizes, reverse=True)
    assert c.kv_cache_bytes_per_token["fp8"] * 2 == c.kv_cache_bytes_per_token["bf16"]


@pytest.mark.parametrize("seq_len", [0, -1, 1.5, True])
def test_bad_seq_len(seq_len):
    with pytest.raises(ValueError, match="seq_len"):
        forward_flop(TINY, seq_len)
