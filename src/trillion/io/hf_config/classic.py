"""The first sixteen model types: Llama, Mistral, Mixtral, Qwen2/3 (dense and MoE), DeepSeek-V2/V3,
Kimi K2, GPT-2, GPT-NeoX, Falcon, Gemma 2, OPT and BLOOM (transformers 5.x defaults)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trillion.io.hf_config.base import _MISSING, _Config, _layers, _sliding  # noqa: F401
from trillion.spec.model import MLA, MLP, Attention, ModelSpec, MoE


def _llama_like(
    c: _Config,
    name: str,
    *,
    qkv_bias: bool,
    o_bias: bool,
    qk_norm: str,
    head_dim_default: Any = None,
    norms: int = 2,
    tied_default: bool = False,
    mlp_bias: bool = False,
    act_default: str = "silu",
    window_rule: Callable[[int], bool] | None = None,
    kv_default: int | None = None,
) -> dict[str, Any]:
    hidden = c.get_int("hidden_size")
    heads = c.get_int("num_attention_heads")
    layers = _layers(c)
    # transformers' default when the key is absent: the reference model's value, or all heads
    kv = c.get_int("num_key_value_heads", default=kv_default or heads)
    if kv > heads or heads % kv:
        absent = "" if "num_key_value_heads" in c.data else " (absent: transformers' default)"
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv}){absent}",
        )
    head_dim = c.head_dim(hidden, heads, head_dim_default)
    gated, act = c.gated("hidden_act", act_default)
    window, window_layers = _sliding(c, layers, window_rule)
    return dict(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=layers,
        attention=Attention(
            num_heads=heads,
            num_kv_heads=kv,
            head_dim=head_dim,
            q_bias=qkv_bias,
            k_bias=qkv_bias,
            v_bias=qkv_bias,
            o_bias=o_bias,
            qk_norm=qk_norm,  # type: ignore[arg-type]
        ),
        mlp=MLP(
            intermediate_size=c.get_int("intermediate_size"),
            gated=gated,
            activation=act,  # type: ignore[arg-type]
            bias=mlp_bias,
        ),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=tied_default),
        norms_per_layer=norms,
        sliding_window=window,
        sliding_window_layers=window_layers,
        max_context=c.get_int("max_position_embeddings", default=None),
    )


def _qwen_window(c: _Config) -> Callable[[int], bool] | None:
    """Qwen2/3: with use_sliding_window, layers from max_window_layers on are local."""
    if not c.get_bool("use_sliding_window", default=False):
        return None
    start = c.get_int("max_window_layers", default=28, minimum=0)
    return lambda i: i >= start


def _llama(c: _Config, name: str) -> ModelSpec:
    bias = c.get_bool("attention_bias", default=False)
    return ModelSpec(
        **_llama_like(
            c,
            name,
            qkv_bias=bias,
            o_bias=bias,
            qk_norm="none",
            mlp_bias=c.get_bool("mlp_bias", default=False),
        )
    )


def _mistral_fields(c: _Config, name: str) -> dict[str, Any]:
    # Mistral / Mixtral: a configured sliding window applies to every layer
    return _llama_like(
        c, name, qkv_bias=False, o_bias=False, qk_norm="none", window_rule=lambda i: True, kv_default=8
    )


def _mistral(c: _Config, name: str) -> ModelSpec:
    return ModelSpec(**_mistral_fields(c, name))


def _qwen2(c: _Config, name: str) -> ModelSpec:
    return ModelSpec(
        **_llama_like(
            c, name, qkv_bias=True, o_bias=False, qk_norm="none", window_rule=_qwen_window(c), kv_default=32
        )
    )


def _qwen3(c: _Config, name: str) -> ModelSpec:
    bias = c.get_bool("attention_bias", default=False)
    return ModelSpec(
        **_llama_like(
            c,
            name,
            qkv_bias=bias,
            o_bias=bias,
            qk_norm="head",
            head_dim_default=128,
            window_rule=_qwen_window(c),
            kv_default=32,
        )
    )


def _gemma2(c: _Config, name: str) -> ModelSpec:
    bias = c.get_bool("attention_bias", default=False)
    if c.data.get("sliding_window") is None:
        c.data = {**c.data, "sliding_window": 4096}  # the Gemma2 default
    fields = _llama_like(
        c,
        name,
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="none",
        head_dim_default=256,
        norms=4,
        tied_default=True,
        act_default="gelu_pytorch_tanh",
        window_rule=lambda i: i % 2 == 0,  # Gemma2: even layers are local
        kv_default=4,
    )
    return ModelSpec(**fields)


def _moe_check(c: _Config, experts_key: str, experts: int, top_k: int) -> None:
    if top_k > experts:
        raise c.fail(
            "num_experts_per_tok", f"top-k({top_k}) exceeds the number of experts {experts_key}({experts})"
        )


def _mixtral(c: _Config, name: str) -> ModelSpec:
    fields = _mistral_fields(c, name)
    experts = c.get_int("num_local_experts", default=8)
    top_k = c.get_int("num_experts_per_tok", default=2)
    _moe_check(c, "num_local_experts", experts, top_k)
    # every Mixtral layer is MoE; intermediate_size is the width of one expert
    fields.update(mlp=None, moe=MoE(num_experts=experts, top_k=top_k, expert=fields["mlp"]))
    return ModelSpec(**fields)


def _qwen_moe(c: _Config, name: str, *, qwen3: bool) -> ModelSpec:
    if qwen3:
        bias = c.get_bool("attention_bias", default=False)
        fields = _llama_like(
            c, name, qkv_bias=bias, o_bias=bias, qk_norm="head", window_rule=_qwen_window(c), kv_default=4
        )
    else:
        bias = c.get_bool("qkv_bias", default=True)
        fields = _llama_like(
            c, name, qkv_bias=bias, o_bias=False, qk_norm="none", window_rule=_qwen_window(c), kv_default=16
        )
    experts = c.get_int("num_experts", default=128 if qwen3 else 60)
    top_k = c.get_int("num_experts_per_tok", default=8 if qwen3 else 4)
    _moe_check(c, "num_experts", experts, top_k)
    step = c.get_int("decoder_sparse_step", default=1)
    expert = MLP(
        intermediate_size=c.get_int("moe_intermediate_size", default=768 if qwen3 else 1408),
        gated=True,
        activation=fields["mlp"].activation,
    )
    shared = None if qwen3 else c.get_int("shared_expert_intermediate_size", default=5632)
    fields["moe"] = MoE(
        num_experts=experts,
        top_k=top_k,
        expert=expert,
        num_shared_experts=0 if qwen3 else 1,
        shared_intermediate_size=shared,
        shared_gate=not qwen3,
        dense_layers=c.get_int_list("mlp_only_layers"),
        sparse_step=step,
        sparse_phase=step - 1,
    )
    return ModelSpec(**fields)


def _deepseek(c: _Config, name: str, *, v3: bool) -> ModelSpec:
    hidden = c.get_int("hidden_size")
    heads = c.get_int("num_attention_heads")
    layers = _layers(c)
    bias = c.get_bool("attention_bias", default=False)
    attention = MLA(
        num_heads=heads,
        # an explicit null means no query compression (DeepSeek-V2-Lite)
        q_lora_rank=(
            None
            if "q_lora_rank" in c.data and c.data["q_lora_rank"] is None
            else c.get_int("q_lora_rank", default=1536)
        ),
        kv_lora_rank=c.get_int("kv_lora_rank", default=512),
        qk_nope_head_dim=c.get_int("qk_nope_head_dim", default=128),
        qk_rope_head_dim=c.get_int("qk_rope_head_dim", default=64),
        v_head_dim=c.get_int("v_head_dim", default=128),
        bias=bias,
    )
    gated, act = c.gated("hidden_act", "silu")
    moe = None
    experts = c.get_int("n_routed_experts", default=256 if v3 else 64)
    if experts:
        top_k = c.get_int("num_experts_per_tok", default=8 if v3 else _MISSING)
        _moe_check(c, "n_routed_experts", experts, top_k)
        moe_width = c.get_int("moe_intermediate_size", default=2048 if v3 else 1407)
        shared = c.get_int("n_shared_experts", default=1 if v3 else 2, minimum=0) or 0
        freq = c.get_int("moe_layer_freq", default=1)
        if freq != 1:
            # transformers ignores moe_layer_freq; DeepSeek's own code tests i % freq == 0
            raise c.fail("moe_layer_freq", f"only 1 is supported (transformers ignores it), got {freq}")
        moe = MoE(
            num_experts=experts,
            top_k=top_k,
            expert=MLP(intermediate_size=moe_width, gated=gated, activation=act),  # type: ignore[arg-type]
            num_shared_experts=shared,
            shared_intermediate_size=moe_width * shared if shared else None,
            first_k_dense=c.get_int("first_k_dense_replace", default=3 if v3 else 0, minimum=0),
        )
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=layers,
        attention=attention,
        mlp=MLP(intermediate_size=c.get_int("intermediate_size"), gated=gated, activation=act),  # type: ignore[arg-type]
        moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=None),
    )


def _gpt2(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("n_embd", "hidden_size")
    heads = c.get_int("n_head", "num_attention_heads")
    if hidden % heads:
        raise c.fail("n_head", f"n_embd({hidden}) is not divisible by n_head({heads})")
    positions = c.get_int("n_positions", "max_position_embeddings", default=1024)
    act = c.get_str("activation_function", default="gelu_new")
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size", default=50257),
        hidden_size=hidden,
        num_layers=_layers(c),
        attention=Attention(
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=hidden // heads,
            q_bias=True,
            k_bias=True,
            v_bias=True,
            o_bias=True,
        ),
        mlp=MLP(
            intermediate_size=c.get_int("n_inner", default=4 * hidden),
            gated=False,
            activation="relu" if act == "relu" else "gelu",
            bias=True,
        ),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=True),
        norm="layernorm",
        norm_bias=True,
        positions="learned",
        num_position_embeddings=positions,
        max_context=positions,
    )


def _gpt_neox(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("hidden_size")
    heads = c.get_int("num_attention_heads")
    if hidden % heads:
        raise c.fail(
            "num_attention_heads", f"hidden_size({hidden}) is not divisible by num_attention_heads({heads})"
        )
    bias = c.get_bool("attention_bias", default=True)
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=_layers(c),
        attention=Attention(
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=hidden // heads,
            q_bias=bias,
            k_bias=bias,
            v_bias=bias,
            o_bias=bias,
        ),
        mlp=MLP(intermediate_size=c.get_int("intermediate_size"), gated=False, activation="gelu", bias=True),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        norm="layernorm",
        norm_bias=True,
        max_context=c.get_int("max_position_embeddings", default=None),
    )


def _falcon(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("hidden_size")
    heads = c.get_int("num_attention_heads", "n_head")
    if hidden % heads:
        raise c.fail(
            "num_attention_heads", f"hidden_size({hidden}) is not divisible by num_attention_heads({heads})"
        )
    new_arch = c.get_bool("new_decoder_architecture", default=False)
    if new_arch:
        kv = c.get_int("num_kv_heads", default=heads)
    else:
        kv = 1 if c.get_bool("multi_query", default=True) else heads
    if heads % kv:
        raise c.fail("num_kv_heads", f"num_attention_heads({heads}) is not a multiple of {kv}")
    parallel = c.get_bool("parallel_attn", default=True)
    ln_parallel = c.get_int("num_ln_in_parallel_attn", default=2 if new_arch else None)
    norms = 2 if (not parallel or ln_parallel == 2) else 1
    bias = c.get_bool("bias", default=False)
    alibi = c.get_bool("alibi", default=False)
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=_layers(c),
        attention=Attention(
            num_heads=heads,
            num_kv_heads=kv,
            head_dim=hidden // heads,
            q_bias=bias,
            k_bias=bias,
            v_bias=bias,
            o_bias=bias,
        ),
        mlp=MLP(
            intermediate_size=c.get_int("ffn_hidden_size", default=4 * hidden),
            gated=False,
            activation="gelu",
            bias=bias,
        ),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=True),
        norm="layernorm",
        norm_bias=True,
        norms_per_layer=norms,
        positions="alibi" if alibi else "rotary",
        max_context=c.get_int("max_position_embeddings", default=None),
    )


def _opt(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("hidden_size")
    heads = c.get_int("num_attention_heads")
    if hidden % heads:
        raise c.fail(
            "num_attention_heads", f"hidden_size({hidden}) is not divisible by num_attention_heads({heads})"
        )
    proj = c.get_int("word_embed_proj_dim", default=hidden)
    if proj != hidden:
        raise c.fail(
            "word_embed_proj_dim", f"{proj} != hidden_size({hidden}): embedding projections are not supported"
        )
    if not c.get_bool("layer_norm_elementwise_affine", default=True):
        raise c.fail("layer_norm_elementwise_affine", "false is not supported")
    bias = c.get_bool("enable_bias", default=True)
    positions = c.get_int("max_position_embeddings", default=2048)
    act = c.get_str("activation_function", default="relu")
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=_layers(c),
        attention=Attention(
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=hidden // heads,
            q_bias=bias,
            k_bias=bias,
            v_bias=bias,
            o_bias=bias,
        ),
        mlp=MLP(
            intermediate_size=c.get_int("ffn_dim"),
            gated=False,
            activation="relu" if act == "relu" else "gelu",
            bias=bias,
        ),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=True),
        norm="layernorm",
        norm_bias=True,
        final_norm=c.get_bool("do_layer_norm_before", default=True),
        positions="learned",
        num_position_embeddings=positions + 2,  # OPT offsets positions by 2
        max_context=positions,
    )


def _bloom(c: _Config, name: str) -> ModelSpec:
    hidden = c.get_int("hidden_size", "n_embed")
    heads = c.get_int("n_head", "num_attention_heads")
    if hidden % heads:
        raise c.fail("n_head", f"hidden_size({hidden}) is not divisible by n_head({heads})")
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size"),
        hidden_size=hidden,
        num_layers=_layers(c),
        attention=Attention(
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=hidden // heads,
            q_bias=True,
            k_bias=True,
            v_bias=True,
            o_bias=True,
        ),
        mlp=MLP(intermediate_size=4 * hidden, gated=False, activation="gelu", bias=True),
        tied_embeddings=c.get_bool("tie_word_embeddings", default=True),
        norm="layernorm",
        norm_bias=True,
        embedding_norm=True,
        positions="alibi",
    )


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "llama": _llama,
    "mistral": _mistral,
    "mixtral": _mixtral,
    "qwen2": _qwen2,
    "qwen2_moe": lambda c, n: _qwen_moe(c, n, qwen3=False),
    "qwen3": _qwen3,
    "qwen3_moe": lambda c, n: _qwen_moe(c, n, qwen3=True),
    "deepseek_v2": lambda c, n: _deepseek(c, n, v3=False),
    "deepseek_v3": lambda c, n: _deepseek(c, n, v3=True),
    "kimi_k2": lambda c, n: _deepseek(c, n, v3=True),  # Kimi K2 ships DeepseekV3 weights/code
    "gpt2": _gpt2,
    "gpt_neox": _gpt_neox,
    "falcon": _falcon,
    "gemma2": _gemma2,
    "opt": _opt,
    "bloom": _bloom,
}
