"""Properties of hybrid and windowed stacks: at a 1M-token context their KV cache plus recurrent
state stays below the same model with every layer made full attention, and per-token FLOP of
linear-attention / SSM layers does not grow with context (total cost linear, not quadratic)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from trillion.count.bytes import kv_cache_bytes, sequence_bytes, state_bytes_per_sequence
from trillion.count.flop import forward_flop
from trillion.io.hf_config import spec_from_hf_dict
from trillion.spec.model import Layer

MILLION = 2**20


@st.composite
def qwen3_next(draw):
    heads = draw(st.sampled_from([2, 4]))
    return {
        "model_type": "qwen3_next", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96,
        "num_hidden_layers": draw(st.integers(2, 12)), "num_attention_heads": heads, "num_key_value_heads": 1,
        "head_dim": 16, "linear_num_key_heads": 2, "linear_num_value_heads": draw(st.sampled_from([2, 4])),
        "linear_key_head_dim": draw(st.sampled_from([8, 16])), "linear_value_head_dim": 8,
        "full_attention_interval": draw(st.integers(2, 6)), "num_experts": draw(st.sampled_from([0, 4])),
        "num_experts_per_tok": 2, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 16,
    }  # fmt: skip


@st.composite
def windowed(draw):
    layers = draw(st.integers(2, 10))
    return {
        "model_type": "mistral", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96,
        "num_hidden_layers": layers, "num_attention_heads": 4, "num_key_value_heads": draw(st.sampled_from([1, 2, 4])),
        "sliding_window": draw(st.sampled_from([256, 4096, 32768])), "max_position_embeddings": 2**21,
    }  # fmt: skip


def _all_full_attention(spec):
    """The same model with every layer one full-attention mixer (no window, no recurrent state)."""
    layers = tuple(
        Layer(attention=1, ffns=layer.ffns or ("dense",), norms=layer.norms) for layer in spec.layer_list()
    )
    return dataclasses.replace(spec, layers=layers, sliding_window=None, sliding_window_layers=())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.one_of(qwen3_next(), windowed()))
def test_memory_at_a_million_tokens_is_below_all_full_attention(cfg):
    spec = spec_from_hf_dict(cfg, "config.json")
    full = _all_full_attention(spec)
    assert state_bytes_per_sequence(full) == 0
    assert sequence_bytes(spec, MILLION) < sequence_bytes(full, MILLION)
    # and the KV alone stays bounded by the attention mixers that see the whole context
    mixers = sum(layer.attention for layer in spec.layer_list() if not (layer.window or layer.chunk))
    per_token = kv_cache_bytes(full, 1) // spec.num_layers
    assert kv_cache_bytes(spec, MILLION) <= mixers * per_token * MILLION + kv_cache_bytes(spec, 32768)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(qwen3_next(), st.integers(2_000, 100_000))
def test_recurrent_flop_per_token_does_not_grow_with_context(cfg, seq_len):
    spec = spec_from_hf_dict(cfg, "config.json")
    short, long = forward_flop(spec, seq_len), forward_flop(spec, 4 * seq_len)
    assert short.get("recurrent") == long.get("recurrent") > 0 and short.get("conv") == long.get("conv")
    # attention per token grows linearly with context, only in the attention layers
    attention_layers = sum(layer.attention for layer in spec.layer_list())
    full = _all_full_attention(spec)
    slope = long.get("attention") - short.get("attention")
    full_slope = forward_flop(full, 4 * seq_len).get("attention") - forward_flop(full, seq_len).get(
        "attention"
    )
    assert slope * spec.num_layers == full_slope * attention_layers


@settings(max_examples=20, deadline=None, derandomize=True)
@given(windowed())
def test_windowed_attention_flop_stops_growing_past_the_window(cfg):
    spec = spec_from_hf_dict(cfg, "config.json")
    w = spec.sliding_window
    at = [forward_flop(spec, n).get("attention") for n in (2 * w, 4 * w, 8 * w)]
    assert (
        at[0]
        < at[1]
        < at[2]
        < 2 * w * spec.num_layers * 2 * spec.attention.num_heads * 2 * spec.attention.head_dim
    )
