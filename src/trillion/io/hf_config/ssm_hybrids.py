"""Hybrids of state-space (Mamba) or short-convolution mixers with softmax attention: Nemotron-H,
Falcon-H1, Jamba, Granite 4 (granitemoehybrid) and LFM2 (see BUILDERS).

Each builder reads the keys its transformers 5.x ``configuration_<type>.py`` reads, with the same
defaults and ``__post_init__`` derivations (layer-type lists from patterns, periods or index lists;
legacy key spellings), and declares exactly the parameters ``modeling_<type>.py`` registers, so
that ``count_params`` equals ``sum(p.numel())`` of the model transformers builds (the test suite
checks it on the meta device). Mamba-2 mixers are `Recurrent` kind "mamba2" (one d_state x head-width
state per head, a depthwise convolution over x, B and C); Jamba's Mamba-1 mixer is kind "mamba" (one
d_state vector per inner channel); LFM2's gated short convolution is kind "short_conv".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from trillion.io.hf_config.base import _Config
from trillion.spec.model import FFN, MLP, Attention, Layer, ModelSpec, MoE, Recurrent, Weight

# transformers' remap of legacy layer-type names (configuration_utils._LEGACY_LAYER_TYPE_REMAP)
_LEGACY_TYPES = {"mamba": "linear_attention", "attention": "full_attention"}


def _types(
    c: _Config, keys: tuple[str, ...], allowed: tuple[str, ...], layers: int | None
) -> list[str] | None:
    """A layer-type list under one of `keys` (None when absent), with legacy names remapped as
    transformers does, checked: a list of known names, one per layer when `layers` is given."""
    found = [k for k in keys if c.data.get(k) is not None]
    if not found:
        return None
    key, value = found[0], c.data[found[0]]
    for other in found[1:]:
        if c.data[other] != value:
            raise c.fail(other, f"contradicts {key}")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise c.fail(key, f"must be a non-empty list of layer-type names, got {value!r}"[:200])
    value = [_LEGACY_TYPES.get(v, v) for v in value]
    bad = sorted({v for v in value if v not in allowed})
    if bad:
        raise c.fail(key, f"unknown layer type(s) {bad[:3]!r} (known: {', '.join(allowed)})")
    if layers is not None and len(value) != layers:
        raise c.fail(key, f"lists {len(value)} layers but num_hidden_layers is {layers}")
    return value


def _kv_heads(c: _Config, heads: int, default: int | None) -> int:
    """``num_key_value_heads`` (absent: `default`, or all heads; null: all heads), dividing the heads."""
    if "num_key_value_heads" in c.data and c.data["num_key_value_heads"] is None:
        kv = heads  # an explicit null: every __post_init__ here sets all heads
    else:
        kv = c.get_int("num_key_value_heads", default=default or heads)
    if kv > heads or heads % kv:
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv})",
        )
    return kv


def _number(c: _Config, key: str, default: float) -> float:
    """A real-valued key (an int or a float; transformers' strict config refuses null), for multipliers."""
    value = c.data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise c.fail(key, f"must be a number, got {value!r}")
    return value


def _linear(path: str, out: int, inp: int, bias: bool) -> tuple[Weight, ...]:
    weight = Weight(path=f"{path}/weight", shape=(out, inp))
    return (weight, Weight(path=f"{path}/bias", shape=(out,), role="bias")) if bias else (weight,)


def _conv(path: str, channels: int, kernel: int, bias: bool) -> tuple[Weight, ...]:
    """A depthwise ``nn.Conv1d(channels, channels, kernel, groups=channels)``."""
    weight = Weight(path=f"{path}/weight", shape=(channels, 1, kernel), role="conv")
    return (weight, Weight(path=f"{path}/bias", shape=(channels,), role="bias")) if bias else (weight,)


def mamba2(
    c: _Config,
    hidden: int,
    *,
    heads: int,
    head_dim: int,
    inner: int,
    groups: int,
    state: int,
    kernel: int,
    in_bias: bool,
    out_bias: bool,
    conv_bias: bool,
    gated_norm: bool,
    keys: tuple[str, str],
) -> Recurrent:
    """A Mamba-2 mixer as Nemotron-H, Falcon-H1 and Granite 4 register it (NemotronHMamba2Mixer,
    FalconH1Mixer, GraniteMoeHybridMambaLayer): ``in_proj`` to [z, x, B, C, dt] (inner + conv_dim +
    heads), a depthwise convolution over conv_dim = inner + 2 * groups * d_state, per-head dt_bias,
    A_log and D, a gated RMSNorm over inner (optional in Falcon-H1) and ``out_proj``. `keys` names
    the (heads, groups) keys for errors: the groups must divide the heads (B and C are shared by
    heads // groups heads)."""
    heads_key, groups_key = keys
    if groups > heads or heads % groups:
        raise c.fail(groups_key, f"{heads_key}({heads}) must be a multiple of {groups_key}({groups})")
    if inner % groups:
        raise c.fail(groups_key, f"the Mamba width {inner} is not divisible by {groups_key}({groups})")
    conv_dim = inner + 2 * groups * state
    weights = (
        *_linear("in_proj", inner + conv_dim + heads, hidden, in_bias),
        *_conv("conv1d", conv_dim, kernel, conv_bias),
        Weight(path="dt_bias", shape=(heads,), role="scalar"),
        Weight(path="A_log", shape=(heads,), role="scalar"),
        Weight(path="D", shape=(heads,), role="scalar"),
        *((Weight(path="norm/weight", shape=(inner,), role="norm"),) if gated_norm else ()),
        *_linear("out_proj", hidden, inner, out_bias),
    )
    return Recurrent(kind="mamba2", state_heads=heads, state_rows=state, state_cols=head_dim,
                     conv_channels=conv_dim, conv_kernel=kernel, weights=weights)  # fmt: skip


def _mamba2_heads(c: _Config, inner: int, heads: int, head_key: str) -> int:
    """Mamba-2 head width (``mamba_d_head``, "auto" = inner / heads) as Falcon-H1's and Granite 4's
    ``validate_architecture`` require: heads divide the inner width and heads x head width equal it."""
    if inner % heads:
        raise c.fail("mamba_n_heads", f"mamba_n_heads({heads}) must divide the Mamba width {inner}")
    value = c.data.get(head_key, "auto")
    head_dim = inner // heads if value == "auto" else c.get_int(head_key)
    if head_dim * heads != inner:
        raise c.fail(head_key, f"{head_key}({head_dim}) x mamba_n_heads({heads}) != the Mamba width {inner}")
    return head_dim


# --- Nemotron-H -------------------------------------------------------------------------------

_NEMOTRON_PATTERN = {"M": "linear_attention", "E": "moe", "*": "full_attention", "-": "mlp"}
_NEMOTRON_TYPES = ("linear_attention", "moe", "full_attention", "mlp")


def _legacy_int(c: _Config, legacy: str, key: str, default: int, minimum: int = 1) -> int:
    """NemotronHConfig.__post_init__: a legacy spelling (``mamba_n_groups``...), when present, wins."""
    return c.get_int(legacy if legacy in c.data else key, default=default, minimum=minimum)


def _legacy_bool(c: _Config, legacy: str, key: str, default: bool) -> bool:
    return c.get_bool(legacy if legacy in c.data else key, default=default)


def _nemotron_h(c: _Config, name: str) -> ModelSpec:
    """Nemotron-H (configuration_nemotron_h.NemotronHConfig, modeling_nemotron_h). Each block is one
    layer with one norm and one mixer (NemotronHBlock): Mamba-2 "M" / linear_attention, attention
    "*" / full_attention (no biases, no RoPE), a squared-ReLU MLP "-" / mlp (up and down, not gated,
    ``mlp_bias``), or a MoE "E" / moe (NemotronHMoE: a router, non-gated up/down experts, one shared
    expert of ``moe_shared_expert_intermediate_size``, and with ``moe_latent_size`` the fc1/fc2 latent
    projections the experts run inside). The stack is ``layers_block_type`` (alias ``layer_types``),
    else ``hybrid_override_pattern``, else transformers' 4-layer default; num_hidden_layers is
    ignored, as transformers ignores it. The output head is never tied to the embedding, whatever
    tie_word_embeddings says: NemotronHForCausalLM declares no tied weights (transformers 5.x)."""
    hidden = c.get_int("hidden_size", default=4096)
    types = _types(c, ("layers_block_type", "layer_types"), _NEMOTRON_TYPES, None)
    key = "layers_block_type" if types is not None else "hybrid_override_pattern"
    if types is None:
        pattern = c.data.get("hybrid_override_pattern")
        if pattern is None:
            types = ["linear_attention", "moe", "full_attention", "mlp"]  # NemotronHConfig's default
        else:
            if not isinstance(pattern, str) or not pattern:
                raise c.fail("hybrid_override_pattern", f"must be a non-empty string, got {pattern!r}"[:200])
            bad = sorted(set(pattern) - set(_NEMOTRON_PATTERN))
            if bad:
                raise c.fail("hybrid_override_pattern",
                             f"unknown block letter(s) {''.join(bad)[:10]!r} (known: M Mamba-2, * attention, "
                             "- MLP, E MoE)")  # fmt: skip
            types = [_NEMOTRON_PATTERN[ch] for ch in pattern]
    if len(types) > 2**16:
        raise c.fail(key, f"{len(types)} layers is implausibly deep (> 65,536)")
    heads = c.get_int("num_attention_heads", default=32)
    kv = _kv_heads(c, heads, 8)
    mlp_bias = c.get_bool("mlp_bias", default=False)
    mlp_width = c.get_int("intermediate_size", default=21504)
    used = set(types)

    mixer = None
    if "linear_attention" in used:
        m_heads = c.get_int("mamba_num_heads", default=128)
        m_head_dim = c.get_int("mamba_head_dim", default=64)
        use_bias = c.get_bool("use_bias", default=False)
        mixer = mamba2(
            c, hidden, heads=m_heads, head_dim=m_head_dim, inner=m_heads * m_head_dim,
            groups=_legacy_int(c, "mamba_n_groups", "n_groups", 8),
            state=c.get_int("ssm_state_size", default=128),
            kernel=_legacy_int(c, "mamba_d_conv", "conv_kernel", 4),
            in_bias=use_bias, out_bias=use_bias,
            conv_bias=_legacy_bool(c, "mamba_conv_bias", "use_conv_bias", True), gated_norm=True,
            keys=("mamba_num_heads", "n_groups"),
        )  # fmt: skip

    moe: MoE | None = None
    moe_weights: tuple[Weight, ...] = ()
    if "moe" in used:
        experts = c.get_int("n_routed_experts", "num_local_experts", default=8)
        top_k = c.get_int("num_experts_per_tok", default=2)
        if top_k > experts:
            raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds n_routed_experts({experts})")
        width = c.get_int("moe_intermediate_size", default=7688)
        shared = c.get_int("moe_shared_expert_intermediate_size", default=7688)
        latent = c.get_int("moe_latent_size", default=None)
        if latent is not None:
            # The experts run inside the latent: up (E, I, L) and down (E, L, I). trillion's MoE has
            # experts over hidden_size only, so they are written at the width with the same
            # parameters and FLOP, I * L / hidden; the latent projections are per-token linears.
            if (width * latent) % hidden:
                raise c.fail("moe_latent_size",
                             f"experts of moe_intermediate_size({width}) x moe_latent_size({latent}) have no "
                             f"equivalent width over hidden_size({hidden}) (not divisible): trillion's MoE "
                             "cannot express this latent exactly")  # fmt: skip
            width = width * latent // hidden
            moe_weights = _linear("fc1_latent_proj", latent, hidden, mlp_bias) + _linear(
                "fc2_latent_proj", hidden, latent, mlp_bias
            )
        if mlp_bias:  # the shared expert is a NemotronHMLP with mlp_bias; the routed experts have none
            moe_weights += (
                Weight(path="shared/up_proj/bias", shape=(shared,), role="bias"),
                Weight(path="shared/down_proj/bias", shape=(hidden,), role="bias"),
            )
        moe = MoE(num_experts=experts, top_k=top_k, expert=MLP(intermediate_size=width, gated=False, activation="relu"),
                  num_shared_experts=1, shared_intermediate_size=shared)  # fmt: skip

    block = {
        "linear_attention": Layer(attention=0, recurrent=mixer, ffns=(), norms=1),
        "full_attention": Layer(attention=1, ffns=(), norms=1),
        "mlp": Layer(attention=0, ffns=("dense",), norms=1),
        "moe": Layer(attention=0, ffns=("moe",), norms=1, weights=moe_weights),
    }
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=131072), hidden_size=hidden, num_layers=len(types),
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.get_int("head_dim", default=128)),
        mlp=MLP(intermediate_size=mlp_width, gated=False, activation="relu", bias=mlp_bias) if "mlp" in used else None,
        moe=moe, tied_embeddings=False, positions="none", layers=tuple(block[t] for t in types),
        max_context=c.get_int("max_position_embeddings", default=4096),
        mtp_layers=c.get_int("num_nextn_predict_layers", default=0, minimum=0, maximum=16),
    )  # fmt: skip


# --- Falcon-H1 --------------------------------------------------------------------------------


def _falcon_h1(c: _Config, name: str) -> ModelSpec:
    """Falcon-H1 (configuration_falcon_h1.FalconH1Config, modeling_falcon_h1). Every layer
    (FalconH1DecoderLayer) runs attention and a Mamba-2 mixer side by side on the same normed input,
    then a SwiGLU MLP: two norms. The Mamba width is ``mamba_d_ssm`` (null: mamba_expand x hidden);
    ``mamba_proj_bias`` is in_proj's bias, ``projectors_bias`` out_proj's; the gated RMSNorm exists
    only with ``mamba_rms_norm``. The attention head width is ``head_dim`` when given, else
    hidden / heads (FalconH1Attention's getattr)."""
    hidden = c.get_int("hidden_size", default=4096)
    layers = c.get_int("num_hidden_layers", default=32, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=32)
    kv = _kv_heads(c, heads, 8)
    bias = c.get_bool("attention_bias", default=False)
    if "mamba_d_ssm" in c.data and c.data["mamba_d_ssm"] is None:  # null: mamba_expand x hidden
        inner = int(c.get_int("mamba_expand", default=2) * hidden)
    else:
        inner = c.get_int("mamba_d_ssm", default=1024)
    m_heads = c.get_int("mamba_n_heads", default=128)
    mixer = mamba2(
        c, hidden, heads=m_heads, head_dim=_mamba2_heads(c, inner, m_heads, "mamba_d_head"), inner=inner,
        groups=c.get_int("mamba_n_groups", default=1), state=c.get_int("mamba_d_state", default=256),
        kernel=c.get_int("mamba_d_conv", default=4), in_bias=c.get_bool("mamba_proj_bias", default=False),
        out_bias=c.get_bool("projectors_bias", default=False), conv_bias=c.get_bool("mamba_conv_bias", default=True),
        gated_norm=c.get_bool("mamba_rms_norm", default=False),
        keys=("mamba_n_heads", "mamba_n_groups"),
    )  # fmt: skip
    layer = Layer(attention=1, recurrent=mixer, ffns=("dense",), norms=2)
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=128000), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.head_dim(hidden, heads),
                            q_bias=bias, k_bias=bias, v_bias=bias, o_bias=bias),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size", default=14336), gated=True,
                bias=c.get_bool("mlp_bias", default=False)),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False), layers=(layer,) * layers,
        max_context=c.get_int("max_position_embeddings", default=8192),
    )  # fmt: skip


# --- Jamba ------------------------------------------------------------------------------------


def mamba1(hidden: int, *, inner: int, state: int, dt_rank: int, kernel: int, proj_bias: bool,
           conv_bias: bool) -> Recurrent:  # fmt: skip
    """Jamba's Mamba-1 mixer (JambaMambaMixer): ``in_proj`` to [x, z] (2 x inner), a depthwise
    convolution over inner, ``x_proj`` to [dt, B, C], ``dt_proj`` (with bias) back to inner, A_log
    (inner x d_state), D (inner), ``out_proj``, and RMSNorms over dt, B and C. State: one d_state
    vector per inner channel."""
    weights = (
        *_linear("in_proj", 2 * inner, hidden, proj_bias),
        *_conv("conv1d", inner, kernel, conv_bias),
        Weight(path="x_proj/weight", shape=(dt_rank + 2 * state, inner)),
        *_linear("dt_proj", inner, dt_rank, True),
        Weight(path="A_log", shape=(inner, state), role="scalar"),
        Weight(path="D", shape=(inner,), role="scalar"),
        *_linear("out_proj", hidden, inner, proj_bias),
        Weight(path="dt_layernorm/weight", shape=(dt_rank,), role="norm"),
        Weight(path="b_layernorm/weight", shape=(state,), role="norm"),
        Weight(path="c_layernorm/weight", shape=(state,), role="norm"),
    )
    return Recurrent(kind="mamba", state_heads=inner, state_rows=state, state_cols=1, conv_channels=inner,
                     conv_kernel=kernel, weights=weights)  # fmt: skip


def _period(c: _Config, period_key: str, offset_key: str, period: int, offset: int) -> tuple[int, int]:
    p = c.get_int(period_key, default=period)
    o = c.get_int(offset_key, default=offset, minimum=0)
    if o >= p:
        raise c.fail(offset_key, f"{offset_key}({o}) must be smaller than {period_key}({p})")
    return p, o


def _jamba(c: _Config, name: str) -> ModelSpec:
    """Jamba (configuration_jamba.JambaConfig, modeling_jamba). Layer i is attention when
    ``i % attn_layer_period == attn_layer_offset``, else a Mamba-1 mixer; its FFN is a MoE
    (JambaSparseMoeBlock: router, gated experts of intermediate_size) when ``i % expert_layer_period
    == expert_layer_offset`` and num_experts > 1, else a SwiGLU MLP. Two norms per layer; no RoPE;
    no biases outside the Mamba mixer."""
    hidden = c.get_int("hidden_size", default=4096)
    layers = c.get_int("num_hidden_layers", default=32, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=32)
    kv = _kv_heads(c, heads, 8)
    attn_period, attn_offset = _period(c, "attn_layer_period", "attn_layer_offset", 8, 4)
    expert_period, expert_offset = _period(c, "expert_layer_period", "expert_layer_offset", 2, 1)
    experts = c.get_int("num_experts", "num_local_experts", default=16)
    width = c.get_int("intermediate_size", default=14336)
    moe = None
    if experts > 1 and any(i % expert_period == expert_offset for i in range(layers)):
        top_k = c.get_int("num_experts_per_tok", default=2)
        if top_k > experts:
            raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds num_experts({experts})")
        moe = MoE(num_experts=experts, top_k=top_k, expert=MLP(intermediate_size=width, gated=True))
    mixer = None
    if any(i % attn_period != attn_offset for i in range(layers)):
        dt_rank: Any = c.data.get("mamba_dt_rank", "auto")
        dt_rank = math.ceil(hidden / 16) if dt_rank == "auto" else c.get_int("mamba_dt_rank")
        mixer = mamba1(hidden, inner=c.get_int("mamba_expand", default=2) * hidden,
                       state=c.get_int("mamba_d_state", default=16), dt_rank=dt_rank,
                       kernel=c.get_int("mamba_d_conv", default=4),
                       proj_bias=c.get_bool("mamba_proj_bias", default=False),
                       conv_bias=c.get_bool("mamba_conv_bias", default=True))  # fmt: skip

    def layer(i: int) -> Layer:
        ffns: tuple[FFN, ...] = (
            ("moe",) if moe is not None and i % expert_period == expert_offset else ("dense",)
        )
        if i % attn_period == attn_offset:
            return Layer(attention=1, ffns=ffns)
        return Layer(attention=0, recurrent=mixer, ffns=ffns)

    stack = tuple(layer(i) for i in range(layers))
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=65536), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.head_dim(hidden, heads)),
        mlp=MLP(intermediate_size=width, gated=True) if any("dense" in x.ffns for x in stack) else None,
        moe=moe, tied_embeddings=c.get_bool("tie_word_embeddings", default=False), positions="none",
        layers=stack, max_context=c.get_int("max_position_embeddings", default=262144),
    )  # fmt: skip


# --- Granite 4 (granitemoehybrid) -------------------------------------------------------------


def _granitemoehybrid(c: _Config, name: str) -> ModelSpec:
    """Granite 4 (configuration_granitemoehybrid.GraniteMoeHybridConfig, modeling_granitemoehybrid).
    ``layer_types`` (alias layers_block_type; default all Mamba) picks per layer a Mamba-2 mixer
    ("mamba" / linear_attention) or attention ("attention" / full_attention); every layer has the
    shared SwiGLU MLP of ``shared_intermediate_size`` (GraniteMoeHybridMLP, the dense FFN here) and,
    when num_local_experts > 0, a MoE of gated experts of intermediate_size beside it. Two norms."""
    hidden = c.get_int("hidden_size", default=4096)
    layers = c.get_int("num_hidden_layers", default=32, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=32)
    kv = _kv_heads(c, heads, None)
    bias = c.get_bool("attention_bias", default=False)
    allowed = ("linear_attention", "full_attention")
    types = _types(c, ("layer_types", "layers_block_type"), allowed, layers) or ["linear_attention"] * layers
    experts = c.get_int("num_local_experts", "num_experts", default=8, minimum=0)
    moe = None
    if experts:
        top_k = c.get_int("num_experts_per_tok", default=2)
        if top_k > experts:
            raise c.fail("num_experts_per_tok", f"top_k({top_k}) exceeds num_local_experts({experts})")
        moe = MoE(num_experts=experts, top_k=top_k,
                  expert=MLP(intermediate_size=c.get_int("intermediate_size", default=11008), gated=True))  # fmt: skip
    mixer = None
    if "linear_attention" in types:
        inner = int(c.get_int("mamba_expand", default=2) * hidden)
        m_heads = c.get_int("mamba_n_heads", default=128)
        proj_bias = c.get_bool("mamba_proj_bias", default=False)
        mixer = mamba2(
            c, hidden, heads=m_heads, head_dim=_mamba2_heads(c, inner, m_heads, "mamba_d_head"), inner=inner,
            groups=c.get_int("mamba_n_groups", default=1), state=c.get_int("mamba_d_state", default=256),
            kernel=c.get_int("mamba_d_conv", default=4), in_bias=proj_bias, out_bias=proj_bias,
            conv_bias=c.get_bool("mamba_conv_bias", default=True), gated_norm=True,
            keys=("mamba_n_heads", "mamba_n_groups"),
        )  # fmt: skip
    ffns: tuple[FFN, ...] = ("moe", "dense") if moe is not None else ("dense",)
    block = {
        "linear_attention": Layer(attention=0, recurrent=mixer, ffns=ffns),
        "full_attention": Layer(attention=1, ffns=ffns),
    }
    rope = c.data.get("position_embedding_type") == "rope"
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=32000), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.head_dim(hidden, heads),
                            q_bias=bias, k_bias=bias, v_bias=bias, o_bias=bias),
        mlp=MLP(intermediate_size=c.get_int("shared_intermediate_size", default=1024), gated=True), moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        positions="rotary" if rope else "none", layers=tuple(block[t] for t in types),
        max_context=c.get_int("max_position_embeddings", default=2048),
    )  # fmt: skip


# --- LFM2 -------------------------------------------------------------------------------------


def short_conv(hidden: int, kernel: int, bias: bool) -> Recurrent:
    """LFM2's gated short convolution (Lfm2ShortConv): ``in_proj`` to [B, C, x] (3 x hidden), a
    depthwise causal convolution of ``conv_L_cache`` taps over hidden, ``out_proj``; ``conv_bias``
    adds biases to all three. Its only state is the convolution window."""
    weights = (
        *_linear("in_proj", 3 * hidden, hidden, bias),
        *_conv("conv", hidden, kernel, bias),
        *_linear("out_proj", hidden, hidden, bias),
    )
    return Recurrent(kind="short_conv", state_heads=0, state_rows=0, state_cols=0, conv_channels=hidden,
                     conv_kernel=kernel, weights=weights)  # fmt: skip


def _lfm2_mlp_width(c: _Config) -> int:
    """Lfm2MLP's width: ``block_ff_dim`` (which replaces intermediate_size in Lfm2Config), with
    block_auto_adjust_ff_dim scaled by 2/3, then by block_ffn_dim_multiplier and rounded up to a
    multiple of block_multiple_of, in transformers' own float arithmetic."""
    key = "block_ff_dim" if "block_ff_dim" in c.data else "intermediate_size"
    width = c.get_int(key, default=12288)
    multiplier = _number(c, "block_ffn_dim_multiplier", 1.0)
    if not 0 < multiplier <= 2**20:
        raise c.fail("block_ffn_dim_multiplier", f"must be in (0, 2^20], got {multiplier!r}")
    multiple = c.get_int("block_multiple_of", default=256)
    if c.get_bool("block_auto_adjust_ff_dim", default=True):
        width = int(multiplier * int(2 * width / 3))
        width = multiple * ((width + multiple - 1) // multiple)
    if width <= 0:
        raise c.fail(key, f"the feed-forward width it gives is {width} (2/3 scaling and multiplier)")
    return width


def _lfm2(c: _Config, name: str) -> ModelSpec:
    """LFM2 (configuration_lfm2.Lfm2Config, modeling_lfm2). ``layer_types`` (default: attention at
    ``full_attn_idxs``, all layers when absent, short convolution elsewhere) picks per layer a gated
    short convolution ("conv") or attention with per-head QK RMSNorm; every layer has a SwiGLU MLP
    (see `_lfm2_mlp_width`) and two norms; the final norm is the model's ``embedding_norm``. The
    embedding is tied unless tie_word_embeddings (or the legacy tie_embedding, which wins) is false."""
    hidden = c.get_int("hidden_size", default=2560)
    layers = c.get_int("num_hidden_layers", default=32, maximum=2**16)
    heads = c.get_int("num_attention_heads", default=32)
    kv = _kv_heads(c, heads, 8)
    types = _types(c, ("layer_types",), ("full_attention", "conv"), layers)
    if types is None:
        given = c.data.get("full_attn_idxs") is not None
        idxs = set(c.get_int_list("full_attn_idxs")) if given else set(range(layers))
        types = ["full_attention" if i in idxs else "conv" for i in range(layers)]
    conv = short_conv(hidden, c.get_int("conv_L_cache", default=3), c.get_bool("conv_bias", default=False))
    block = {"full_attention": Layer(attention=1), "conv": Layer(attention=0, recurrent=conv)}
    tie_key = "tie_embedding" if "tie_embedding" in c.data else "tie_word_embeddings"
    return ModelSpec(
        name=name, vocab_size=c.get_int("vocab_size", default=65536), hidden_size=hidden, num_layers=layers,
        attention=Attention(num_heads=heads, num_kv_heads=kv, head_dim=c.head_dim(hidden, heads), qk_norm="head"),
        mlp=MLP(intermediate_size=_lfm2_mlp_width(c), gated=True),
        tied_embeddings=c.get_bool(tie_key, default=True), layers=tuple(block[t] for t in types),
        max_context=c.get_int("max_position_embeddings", default=128000),
    )  # fmt: skip


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "nemotron_h": _nemotron_h,
    "falcon_h1": _falcon_h1,
    "jamba": _jamba,
    "granitemoehybrid": _granitemoehybrid,
    "lfm2": _lfm2,
}
