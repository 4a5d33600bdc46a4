"""Properties of hybrid and windowed stacks: at a 1M-token context their KV cache plus recurrent
state stays below the same model with every layer made full attention, and per-token FLOP of
linear-attention / SSM layers does not grow with context (total cost linear, not quadratic)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trillion.count.bytes import kv_cache_bytes, sequence_bytes, state_bytes_per_sequence
from trillion.count.flop import forward_flop
from trillion.io.hf_config import spec_from_hf_dict

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


@st.composite
def nemotron_h(draw):
    pattern = draw(st.lists(st.sampled_from("M-*E"), min_size=2, max_size=10).filter(lambda p: "M" in p))
    return {
        "model_type": "nemotron_h", "vocab_size": 300, "hidden_size": 64, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96, "mamba_num_heads": 4,
        "mamba_head_dim": 16, "ssm_state_size": draw(st.sampled_from([16, 64, 128])), "mamba_n_groups": 2,
        "mamba_d_conv": 4, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
        "moe_shared_expert_intermediate_size": 16, "hybrid_override_pattern": "".join(pattern),
    }  # fmt: skip


@st.composite
def kimi_linear(draw):
    layers = draw(st.integers(2, 8))
    types = draw(
        st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers)
    )
    return {
        "model_type": "kimi_linear", "vocab_size": 300, "pad_token_id": 0, "hidden_size": 64,
        "num_hidden_layers": layers, "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 96,
        "moe_intermediate_size": 16, "kv_lora_rank": 16, "q_lora_rank": None, "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8, "v_head_dim": 16, "num_local_experts": 4, "num_experts_per_tok": 2,
        "linear_num_heads": 4, "linear_head_dim": draw(st.sampled_from([16, 32])), "linear_conv_kernel_dim": 4,
        "layer_types": types + [] if "linear_attention" in types else ["linear_attention"] + types[1:],
    }  # fmt: skip


@st.composite
def minimax(draw):
    layers = draw(st.integers(2, 8))
    types = [
        "linear_attention" if i % draw(st.integers(2, 8)) else "full_attention" for i in range(1, layers + 1)
    ]
    return {
        "model_type": "minimax", "vocab_size": 300, "hidden_size": 64, "num_hidden_layers": layers,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 32,
        "num_local_experts": 4, "num_experts_per_tok": 2, "max_position_embeddings": 2**21, "layer_types": types,
    }  # fmt: skip


@st.composite
def gemma3(draw):
    return {
        "model_type": "gemma3_text", "vocab_size": 300, "hidden_size": 64, "num_hidden_layers": draw(st.integers(2, 12)),
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 96,
        "sliding_window": draw(st.sampled_from([512, 1024, 4096])), "max_position_embeddings": 2**21,
        "sliding_window_pattern": draw(st.integers(2, 6)),
    }  # fmt: skip


@st.composite
def gpt_oss(draw):
    return {
        "model_type": "gpt_oss", "vocab_size": 300, "hidden_size": 64, "num_hidden_layers": draw(st.integers(2, 8)),
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 32,
        "num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": 128, "max_position_embeddings": 2**21,
    }  # fmt: skip


@st.composite
def llama4_chunked(draw):
    return {
        "model_type": "llama4_text", "vocab_size": 300, "hidden_size": 64, "num_hidden_layers": draw(st.integers(2, 8)),
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 32,
        "intermediate_size_mlp": 96, "num_local_experts": 4, "num_experts_per_tok": 1,
        "attention_chunk_size": draw(st.sampled_from([1024, 8192])), "no_rope_layer_interval": draw(st.integers(2, 4)),
        "max_position_embeddings": 2**21,
    }  # fmt: skip


HYBRID_OR_WINDOWED = st.one_of(
    qwen3_next(), windowed(), nemotron_h(), kimi_linear(), minimax(), gemma3(), gpt_oss(), llama4_chunked()
)
RECURRENT = st.one_of(qwen3_next(), nemotron_h(), kimi_linear(), minimax())
FIXTURE = [HealthCheck.function_scoped_fixture]  # the fixture is a pure function


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=FIXTURE)
@given(cfg=HYBRID_OR_WINDOWED)
def test_memory_at_a_million_tokens_is_below_all_full_attention(cfg, all_full_attention):
    spec = spec_from_hf_dict(cfg, "config.json")
    full = all_full_attention(spec)
    assert state_bytes_per_sequence(full) == 0
    assert sequence_bytes(spec, MILLION) < sequence_bytes(full, MILLION)
    # and the KV alone stays bounded by the attention mixers that see the whole context
    mixers = sum(layer.attention for layer in spec.layer_list() if not (layer.window or layer.chunk))
    per_token = kv_cache_bytes(full, 1) // spec.num_layers
    assert kv_cache_bytes(spec, MILLION) <= mixers * per_token * MILLION + kv_cache_bytes(spec, 32768)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=FIXTURE)
@given(cfg=RECURRENT, seq_len=st.integers(2_000, 100_000))
def test_recurrent_flop_per_token_does_not_grow_with_context(cfg, seq_len, all_full_attention):
    spec = spec_from_hf_dict(cfg, "config.json")
    short, long = forward_flop(spec, seq_len), forward_flop(spec, 4 * seq_len)
    assert short.get("recurrent") == long.get("recurrent") > 0 and short.get("conv") == long.get("conv")
    # attention per token grows linearly with context, only in the attention layers
    attention_layers = sum(layer.attention for layer in spec.layer_list())
    full = all_full_attention(spec)
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
