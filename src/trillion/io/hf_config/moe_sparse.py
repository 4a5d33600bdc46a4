"""Fine-grained mixture-of-experts model types of 2025 with DeepSeek-style routing: GLM-4.5/4.6
(``glm4_moe``), DeepSeek-V3.2 with DeepSeek sparse attention (``deepseek_v32``), LongCat-Flash with
zero-computation experts (``longcat_flash``) and Ling 2.0 / Ling-1T (``bailing_moe``).

Each transformers builder reads the keys its transformers 5.x configuration class reads, with the
same defaults (``configuration_<type>.py``, including ``__post_init__`` and ``attribute_map``), and
describes exactly the parameters its modeling code registers (``modeling_<type>.py``);
tests/count/test_oracle_moe_sparse.py checks ``count_params`` against transformers'
``sum(p.numel())`` on the meta device. Two exceptions, both stated where they arise:

- ``longcat_flash``: transformers 5.x sizes ``experts.gate_up_proj`` for routed *and* zero experts
  (``total_experts`` rows) although only the routed rows are ever read (an index at or past
  ``n_routed_experts`` goes to ``nn.Identity``) and the checkpoint holds only the routed experts;
  the spec counts the real experts, and the test subtracts exactly those unused rows.
- ``bailing_moe``: transformers has no implementation (``bailing_hybrid`` is a different,
  MLA + linear-attention model). The builder mirrors inclusionAI's own ``BailingMoeV2Config`` and
  ``modeling_bailing_moe_v2.py`` (github.com/inclusionAI/Ling-V2, ``models/``); the test checks it
  against a count by hand of the tensors that code registers.

Multi-token-prediction modules are read into ``mtp_layers`` (counted apart), never into the total.
"""

from __future__ import annotations

from collections.abc import Callable

from trillion.io.hf_config.base import _Config
from trillion.spec.model import MAX_LAYERS, MLA, MLP, Attention, Indexer, Layer, ModelSpec, MoE, Weight

# Multi-token-prediction depth beyond this is a typo (ModelSpec.validate bounds it too).
_MAX_MTP = 16


def _kv_heads(c: _Config, heads: int, default: int) -> int:
    """``num_key_value_heads`` (or the model type's default), which must divide the query heads."""
    kv = c.get_int("num_key_value_heads", default=default)
    if kv > heads or heads % kv:
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv})",
        )
    return kv


def _mlp(width: int, act: str) -> MLP:
    """A SwiGLU-style gated MLP (every FFN of this family) with the activation ``c.gated`` read."""
    return MLP(intermediate_size=width, gated=True, activation=act)  # type: ignore[arg-type]


def _top_k(c: _Config, key: str, top_k: int, experts_key: str, experts: int) -> None:
    if top_k > experts:
        raise c.fail(key, f"top-k({top_k}) exceeds the number of experts {experts_key}({experts})")


def _str_list(c: _Config, key: str, layers: int, allowed: tuple[str, ...]) -> list[str] | None:
    """A per-layer list of names (``mlp_layer_types``): None when absent, else one known entry a layer."""
    value = c.data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != layers:
        raise c.fail(key, f"must list one entry per layer ({layers}), got {value!r}"[:200])
    bad = sorted({str(v) for v in value if v not in allowed})
    if bad:
        raise c.fail(key, f"unknown entries {bad[:3]!r} (known: {', '.join(allowed)})")
    return value


# --- GLM-4.5 / GLM-4.6 -----------------------------------------------------------------------------


def _glm4_moe(c: _Config, name: str) -> ModelSpec:
    """GLM-4.5/4.6: transformers ``Glm4MoeConfig`` / ``modeling_glm4_moe.py``.

    GQA attention with q/k/v biases from ``attention_bias`` (o_proj never has one), an optional
    per-head RMSNorm on q and k (``use_qk_norm``), partial rotary (no parameters); layers from
    ``first_k_dense_replace`` on are MoE (``Glm4MoeMoE``: a sigmoid router of (experts, hidden) with
    a correction-bias *buffer*, routed SwiGLU experts, and one shared MLP of
    ``moe_intermediate_size * n_shared_experts``, zero wide when there are none).
    ``num_nextn_predict_layers`` (alias ``num_mtp_layers``, default 1) MTP modules are not built by
    transformers and are counted apart.
    """
    hidden = c.get_int("hidden_size", default=4096)
    layers = c.get_int("num_hidden_layers", default=46, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=96)
    kv = _kv_heads(c, heads, default=8)
    # Glm4MoeAttention: getattr(config, "head_dim", hidden // heads); the class declares no head_dim
    head_dim = c.head_dim(hidden, heads)
    bias = c.get_bool("attention_bias", default=False)
    _, act = c.gated("hidden_act", "silu")
    experts = c.get_int("n_routed_experts", "num_local_experts", default=128)
    top_k = c.get_int("num_experts_per_tok", default=8)
    _top_k(c, "num_experts_per_tok", top_k, "n_routed_experts", experts)
    moe_width = c.get_int("moe_intermediate_size", default=1408)
    shared = c.get_int("n_shared_experts", default=1, minimum=0)
    moe = MoE(
        num_experts=experts,
        top_k=top_k,
        expert=_mlp(moe_width, act),
        num_shared_experts=shared,
        shared_intermediate_size=moe_width * shared if shared else None,
        first_k_dense=c.get_int("first_k_dense_replace", default=1, minimum=0),
    )
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size", default=151552),
        hidden_size=hidden,
        num_layers=layers,
        attention=Attention(
            num_heads=heads,
            num_kv_heads=kv,
            head_dim=head_dim,
            q_bias=bias,
            k_bias=bias,
            v_bias=bias,
            qk_norm="head" if c.get_bool("use_qk_norm", default=False) else "none",
        ),  # fmt: skip
        mlp=_mlp(c.get_int("intermediate_size", default=10944), act),
        moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=131072),
        mtp_layers=c.get_int(
            "num_nextn_predict_layers", "num_mtp_layers", default=1, minimum=0, maximum=_MAX_MTP
        ),
    )


# --- DeepSeek-V3.2 (DeepSeek sparse attention) -----------------------------------------------------


def dsa_indexer(hidden: int, q_lora_rank: int, heads: int, head_dim: int, topk: int) -> Indexer:
    """DeepSeek sparse attention's lightning indexer as transformers' ``DeepseekV32Indexer`` (and
    DeepSeek's own inference/model.py ``Indexer``) registers it: ``wq_b`` from the query latent to
    heads x head_dim, ``wk`` to one shared key of head_dim, a LayerNorm with bias on that key, and
    ``weights_proj`` giving one weight per head."""
    return Indexer(
        num_heads=heads,
        head_dim=head_dim,
        topk=topk,
        weights=(
            Weight(path="wq_b/weight", shape=(heads * head_dim, q_lora_rank)),
            Weight(path="wk/weight", shape=(head_dim, hidden)),
            Weight(path="k_norm/weight", shape=(head_dim,), role="norm"),
            Weight(path="k_norm/bias", shape=(head_dim,), role="norm"),
            Weight(path="weights_proj/weight", shape=(heads, hidden)),
        ),
    )


def _deepseek_v32(c: _Config, name: str) -> ModelSpec:
    """DeepSeek-V3.2(-Exp): transformers ``DeepseekV32Config`` / ``modeling_deepseek_v32.py``.

    DeepSeek-V3's MLA (always with a query latent: ``q_lora_rank`` cannot be null) plus the
    indexer in every layer (``index_n_heads``, ``index_head_dim``, ``index_topk``); the MoE of
    DeepSeek-V3 (router (experts, hidden) with a correction-bias buffer, one shared MLP of
    ``moe_intermediate_size * n_shared_experts``). Which layers are MoE: ``mlp_layer_types``
    ("dense" | "sparse") when given, else the first ``first_k_dense_replace`` are dense. A
    ``num_experts`` key overrides ``n_routed_experts`` (``__post_init__``).
    ``num_nextn_predict_layers`` MTP modules (not built by transformers) are counted apart.
    """
    hidden = c.get_int("hidden_size", default=7168)
    layers = c.get_int("num_hidden_layers", default=61, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=128)
    if "q_lora_rank" in c.data and c.data["q_lora_rank"] is None:
        raise c.fail(
            "q_lora_rank", "must be an integer: DeepSeek-V3.2's queries and indexer read the query latent"
        )
    q_lora = c.get_int("q_lora_rank", default=1536)
    _, act = c.gated("hidden_act", "silu")
    experts = c.get_int("num_experts", default=None)
    if experts is None:
        experts = c.get_int("n_routed_experts", default=256)
    top_k = c.get_int("num_experts_per_tok", default=8)
    _top_k(c, "num_experts_per_tok", top_k, "n_routed_experts", experts)
    moe_width = c.get_int("moe_intermediate_size", default=2048)
    shared = c.get_int("n_shared_experts", default=1, minimum=0)
    first_dense = c.get_int("first_k_dense_replace", default=3, minimum=0)
    types = _str_list(c, "mlp_layer_types", layers, ("dense", "sparse"))
    dense_layers = tuple(i for i, t in enumerate(types) if t == "dense") if types is not None else ()
    moe = MoE(
        num_experts=experts,
        top_k=top_k,
        expert=_mlp(moe_width, act),
        num_shared_experts=shared,
        shared_intermediate_size=moe_width * shared if shared else None,
        first_k_dense=first_dense if types is None else 0,
        dense_layers=dense_layers,
    )
    attention = MLA(
        num_heads=heads,
        q_lora_rank=q_lora,
        kv_lora_rank=c.get_int("kv_lora_rank", default=512),
        qk_nope_head_dim=c.get_int("qk_nope_head_dim", default=128),
        qk_rope_head_dim=c.get_int("qk_rope_head_dim", default=64),
        v_head_dim=c.get_int("v_head_dim", default=128),
        bias=c.get_bool("attention_bias", default=False),
        indexer=dsa_indexer(
            hidden,
            q_lora,
            c.get_int("index_n_heads", default=64),
            c.get_int("index_head_dim", default=128),
            c.get_int("index_topk", default=2048),
        ),
    )
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size", default=129280),
        hidden_size=hidden,
        num_layers=layers,
        attention=attention,
        mlp=_mlp(c.get_int("intermediate_size", default=18432), act),
        moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=163840),
        mtp_layers=c.get_int("num_nextn_predict_layers", default=0, minimum=0, maximum=_MAX_MTP),
    )


# --- LongCat-Flash (zero-computation experts, shortcut-connected MoE) ------------------------------


def _longcat_flash(c: _Config, name: str) -> ModelSpec:
    """LongCat-Flash: transformers ``LongcatFlashConfig`` / ``modeling_longcat_flash.py``.

    Each of ``num_layers`` decoder layers (``LongcatFlashDecoderLayer``) holds two MLA attentions
    (DeepSeek-V3's, with a query latent), two dense SwiGLU MLPs of ``ffn_hidden_size``, four RMSNorms
    and one MoE: a softmax router (``classifier``: (routed + zero experts, hidden), with a bias when
    ``router_bias``, and a correction-bias buffer) over ``n_routed_experts`` SwiGLU experts of
    ``expert_ffn_hidden_size`` and ``zero_expert_num`` identity experts. A ``num_hidden_layers``
    key sets ``num_layers`` to half of it (the config's property setter). Aliases from
    ``attribute_map``: intermediate_size, moe_intermediate_size, num_experts_per_tok,
    num_local_experts. transformers' extra gate_up_proj rows for the zero experts are not counted
    (see the module docstring); the MTP module (not built by transformers, and shaped unlike a main
    layer) is not counted.
    """
    hidden = c.get_int("hidden_size", default=6144)
    if c.data.get("num_hidden_layers") is not None:
        half = c.get_int("num_hidden_layers", maximum=2 * MAX_LAYERS) // 2
        if half < 1:
            raise c.fail(
                "num_hidden_layers", "must be at least 2 (two attention sublayers per decoder layer)"
            )
        layers = half
    else:
        layers = c.get_int("num_layers", default=28, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=64)
    nope = c.get_int("qk_nope_head_dim", default=128)
    rope = c.get_int("qk_rope_head_dim", default=64)
    qk_head_dim = c.get_int("qk_head_dim", default=None)
    if qk_head_dim is not None and qk_head_dim != nope + rope:
        raise c.fail(
            "qk_head_dim",
            f"must equal qk_nope_head_dim + qk_rope_head_dim ({nope} + {rope}), got {qk_head_dim}",
        )
    _, act = c.gated("hidden_act", "silu")
    experts = c.get_int("n_routed_experts", "num_local_experts", default=512)
    zero = c.get_int("zero_expert_num", default=256, minimum=0) or 0
    top_k = c.get_int("moe_topk", "num_experts_per_tok", default=12)
    if top_k > experts:
        raise c.fail(
            "moe_topk",
            f"top-k({top_k}) exceeds n_routed_experts({experts}) (trillion needs it within the FFN experts)",
        )
    moe = MoE(
        num_experts=experts,
        top_k=top_k,
        expert=_mlp(c.get_int("expert_ffn_hidden_size", "moe_intermediate_size", default=2048), act),
        router_bias=c.get_bool("router_bias", default=False),
        zero_experts=zero,
    )
    layer = Layer(attention=2, ffns=("dense", "dense", "moe"), norms=4)
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size", default=131072),
        hidden_size=hidden,
        num_layers=layers,
        attention=MLA(
            num_heads=heads,
            q_lora_rank=c.get_int("q_lora_rank", default=1536),
            kv_lora_rank=c.get_int("kv_lora_rank", default=512),
            qk_nope_head_dim=nope,
            qk_rope_head_dim=rope,
            v_head_dim=c.get_int("v_head_dim", default=128),
            bias=c.get_bool("attention_bias", default=False),
        ),
        mlp=_mlp(c.get_int("ffn_hidden_size", "intermediate_size", default=12288), act),
        moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        layers=(layer,) * layers,
        max_context=c.get_int("max_position_embeddings", default=131072),
    )


# --- Ling 2.0 / Ling-1T (BailingMoeV2; no transformers implementation) ------------------------------


def _bailing_moe(c: _Config, name: str) -> ModelSpec:
    """Ling 2.0 (Ling-mini/flash-2.0, Ling-1T): inclusionAI's ``BailingMoeV2Config`` and
    ``modeling_bailing_moe_v2.py`` (github.com/inclusionAI/Ling-V2, ``models/``, as shipped with the
    checkpoints; transformers has no ``bailing_moe``).

    ``BailingMoeV2Attention``: one fused ``query_key_value`` of (heads + 2 kv heads) x head_dim with a
    bias when ``use_qkv_bias``, per-head RMSNorms on q and k when ``use_qk_norm``, and ``dense`` (the
    output) with a bias when ``use_bias``; ``head_dim`` or hidden / heads; partial rotary has no
    parameters. Layers from ``first_k_dense_replace`` on are ``BailingMoeV2SparseMoeBlock``: a sigmoid
    router ``gate`` of (experts, hidden) whose ``expert_bias`` is a buffer, routed SwiGLU experts of
    ``moe_intermediate_size`` and one shared MLP of ``moe_intermediate_size * num_shared_experts``;
    the others a SwiGLU MLP of ``intermediate_size``. Ling 1.x checkpoints share the model type with
    another architecture (``BailingMoeForCausalLM``): ``architectures`` must name
    ``BailingMoeV2ForCausalLM`` when given. ``num_nextn_predict_layers`` MTP layers (which
    that code appends to ``model.layers``) are counted apart. This code has no
    ``moe_shared_expert_intermediate_size``; a config whose value for it differs from the shared
    width the code builds is refused.
    """
    archs = c.data.get("architectures")
    if archs is not None and (not isinstance(archs, list) or "BailingMoeV2ForCausalLM" not in archs):
        raise c.fail(
            "architectures",
            f"only BailingMoeV2ForCausalLM (Ling 2.0) is supported for bailing_moe, got {archs!r}"[:200],
        )
    hidden = c.get_int("hidden_size", default=2048)
    layers = c.get_int("num_hidden_layers", default=20, maximum=MAX_LAYERS)
    heads = c.get_int("num_attention_heads", default=16)
    kv = _kv_heads(c, heads, default=4)
    # BailingMoeV2Config: `head_dim or hidden_size // num_attention_heads`, head_dim defaulting to 128
    explicit_null = "head_dim" in c.data and c.data["head_dim"] is None
    head_dim = c.head_dim(hidden, heads, default=None if explicit_null else 128)
    _, act = c.gated("hidden_act", "silu")
    experts = c.get_int("num_experts", default=256)
    top_k = c.get_int("num_experts_per_tok", default=8)
    _top_k(c, "num_experts_per_tok", top_k, "num_experts", experts)
    moe_width = c.get_int("moe_intermediate_size", default=512)
    shared = c.get_int("num_shared_experts", default=1, minimum=0) or 0
    declared = c.get_int("moe_shared_expert_intermediate_size", default=None, minimum=0)
    if declared is not None and declared != moe_width * shared:
        raise c.fail(
            "moe_shared_expert_intermediate_size",
            f"{declared} differs from moe_intermediate_size x num_shared_experts ({moe_width} x {shared}), "
            "the shared width modeling_bailing_moe_v2.py builds",
        )
    qkv_bias = c.get_bool("use_qkv_bias", default=False)
    moe = MoE(
        num_experts=experts,
        top_k=top_k,
        expert=_mlp(moe_width, act),
        num_shared_experts=shared,
        shared_intermediate_size=moe_width * shared if shared else None,
        first_k_dense=c.get_int("first_k_dense_replace", default=1, minimum=0),
    )
    return ModelSpec(
        name=name,
        vocab_size=c.get_int("vocab_size", default=157184),
        hidden_size=hidden,
        num_layers=layers,
        attention=Attention(
            num_heads=heads,
            num_kv_heads=kv,
            head_dim=head_dim,
            q_bias=qkv_bias,
            k_bias=qkv_bias,
            v_bias=qkv_bias,
            o_bias=c.get_bool("use_bias", default=False),
            qk_norm="head" if c.get_bool("use_qk_norm", default=True) else "none",
        ),  # fmt: skip
        mlp=_mlp(c.get_int("intermediate_size", default=5120), act),
        moe=moe,
        tied_embeddings=c.get_bool("tie_word_embeddings", default=False),
        max_context=c.get_int("max_position_embeddings", default=32768),
        mtp_layers=c.get_int("num_nextn_predict_layers", default=0, minimum=0, maximum=_MAX_MTP),
    )


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "glm4_moe": _glm4_moe,
    "deepseek_v32": _deepseek_v32,
    "longcat_flash": _longcat_flash,
    "bailing_moe": _bailing_moe,
}
