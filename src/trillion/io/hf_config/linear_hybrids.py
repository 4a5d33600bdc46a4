"""Hybrids of linear attention and softmax attention: Qwen3-Next (gated DeltaNet), and the model
types the family adds (see BUILDERS). Each builder mirrors transformers' configuration defaults
and the parameters its modeling code registers (transformers 5.x)."""

from __future__ import annotations

from collections.abc import Callable

from trillion.io.hf_config.base import _Config
from trillion.spec.model import MLP, Attention, Layer, ModelSpec, MoE, Recurrent, Weight


def _layer_types(
    c: _Config, layers: int, default: list[str], allowed: tuple[str, ...], key: str = "layer_types"
) -> list[str]:
    """``layer_types`` as given (checked: one known entry per layer) or the family's default."""
    value = c.data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or len(value) != layers:
        raise c.fail(key, f"must list one entry per layer ({layers}), got {value!r}"[:200])
    bad = sorted({v for v in value if v not in allowed}, key=str)
    if bad:
        raise c.fail(key, f"unknown layer type(s) {bad[:3]!r} (known: {', '.join(allowed)})")
    return value


def gated_deltanet(hidden: int, k_heads: int, v_heads: int, k_dim: int, v_dim: int, kernel: int) -> Recurrent:
    """Qwen3-Next's gated DeltaNet (Qwen3NextGatedDeltaNet): fused qkvz and ba projections, a
    depthwise causal convolution over q, k and v, per-head dt bias and A_log, a gated RMSNorm over
    the value head, and the output projection. State: one d_k x d_v matrix per value head."""
    key_dim, value_dim = k_heads * k_dim, v_heads * v_dim
    conv = 2 * key_dim + value_dim
    return Recurrent(
        kind="gated_deltanet", state_heads=v_heads, state_rows=k_dim, state_cols=v_dim,
        conv_channels=conv, conv_kernel=kernel,
        weights=(
            Weight(path="in_proj_qkvz/weight", shape=(2 * key_dim + 2 * value_dim, hidden)),
            Weight(path="in_proj_ba/weight", shape=(2 * v_heads, hidden)),
            Weight(path="conv1d/weight", shape=(conv, 1, kernel), role="conv"),
            Weight(path="dt_bias", shape=(v_heads,), role="scalar"),
            Weight(path="A_log", shape=(v_heads,), role="scalar"),
            Weight(path="norm/weight", shape=(v_dim,), role="norm"),
            Weight(path="out_proj/weight", shape=(hidden, value_dim)),
        ),
    )  # fmt: skip


def _qwen3_next(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("hidden_size", default=2048)
    layers = c.get_int("num_hidden_layers", default=48, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=16)
    kv = c.get_int("num_key_value_heads", default=2)
    if kv > heads or heads % kv:
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv})",
        )
    head_dim = c.get_int("head_dim", default=256)
    bias = c.get_bool("attention_bias", default=False)
    experts = c.get_int("num_experts", default=512, minimum=0)
    top_k = c.get_int("num_experts_per_tok", default=10)
    step = c.get_int("decoder_sparse_step", default=1)
    mlp_only = set(c.get_int_list("mlp_only_layers"))
    interval = c.get_int("full_attention_interval", default=4)
    default = ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(layers)]
    types = _layer_types(c, layers, default, ("linear_attention", "full_attention"))
    mixer = gated_deltanet(
        hidden,
        c.get_int("linear_num_key_heads", default=16),
        c.get_int("linear_num_value_heads", default=32),
        c.get_int("linear_key_head_dim", default=128),
        c.get_int("linear_value_head_dim", default=128),
        c.get_int("linear_conv_kernel_dim", default=4),
    )
    moe = None
    if experts:
        if top_k > experts:
            raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds num_experts({experts})")
        moe = MoE(num_experts=experts, top_k=top_k,
                  expert=MLP(intermediate_size=c.get_int("moe_intermediate_size", default=512), gated=True),
                  num_shared_experts=1, shared_intermediate_size=c.get_int("shared_expert_intermediate_size", default=512),
                  shared_gate=True)  # fmt: skip

    def ffn(i: int) -> tuple:
        return ("moe",) if moe is not None and i not in mlp_only and (i + 1) % step == 0 else ("dense",)

    stack = tuple(
        Layer(attention=1, ffns=ffn(i))
        if t == "full_attention"
        else Layer(attention=0, recurrent=mixer, ffns=ffn(i))
        for i, t in enumerate(types)
    )
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=151936), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, q_bias=bias, k_bias=bias, v_bias=bias,
                            o_bias=bias, qk_norm="head", output_gate=True),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size", default=5632), gated=True), moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False), layers=stack,
        max_context=c.get_int("max_position_embeddings", default=32768),
    )  # fmt: skip


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {"qwen3_next": _qwen3_next}
