"""Dense decoders of 2025 with per-layer sliding windows, QK-norms and post-norms: Gemma 3 (``gemma3_text``,
and the multimodal ``gemma3`` read through its ``text_config``), OLMo 3, SmolLM3, Seed-OSS, EXAONE 4 and
Apertus. Each builder reads the keys transformers 5.x's ``configuration_<type>.py`` declares, with its
defaults (including what ``__post_init__`` derives, e.g. ``layer_types``), and describes exactly the
parameters its ``modeling_<type>.py`` registers (checked against the real modules on the meta device).

Shared conventions of these six families (all ``<Type>Attention`` / ``<Type>MLP`` / ``<Type>DecoderLayer``):
q/k/v/o projections of ``head_dim`` per head; an MLP whose activation is ``ACT2FN[act]``, an
``nn.Module`` built once per layer, so learnable activations (xIELU's two constants, PReLU's slope) add
parameters to every layer; a final RMSNorm; a head tied to the embedding or not. Sliding windows only
change what a layer's attention sees (no parameters), and are carried per layer on `Layer.window`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trillion.errors import InputError
from trillion.io.hf_config.base import _MISSING, _Config
from trillion.spec.model import MAX_LAYERS, MLP, Activation, Attention, Layer, ModelSpec, QKNorm, Weight

# transformers.activations.ACT2CLS (5.x): the names ACT2FN accepts; only xielu and prelu hold parameters
_ACTIVATIONS = (
    "gelu", "gelu_10", "gelu_fast", "gelu_new", "gelu_python", "gelu_pytorch_tanh", "gelu_python_tanh",
    "gelu_accurate", "hardswish", "laplace", "leaky_relu", "linear", "mish", "quick_gelu", "relu", "relu2",
    "relu6", "sigmoid", "silu", "sqrtsoftplus", "swish", "tanh", "prelu", "xielu",
)  # fmt: skip
_ACTIVATION_WEIGHTS = {
    # XIELUActivation: alpha_p and alpha_n, one learnable scalar each (shape (1,)); beta and eps are buffers
    "xielu": (Weight(path="mlp/act_fn/alpha_p", shape=(1,), role="scalar"),
              Weight(path="mlp/act_fn/alpha_n", shape=(1,), role="scalar")),
    "prelu": (Weight(path="mlp/act_fn/weight", shape=(1,), role="scalar"),),  # nn.PReLU(): one shared slope
}  # fmt: skip
_LAYER_TYPES = ("full_attention", "sliding_attention")
_LEGACY_LAYER_TYPES = {"attention": "full_attention"}  # configuration_utils._LEGACY_LAYER_TYPE_REMAP


class _TextConfig(_Config):
    """The ``text_config`` of a multimodal config: errors name the key as ``text_config.<key>``."""

    def fail(self, key: str | None, message: str) -> InputError:
        return InputError(self.where, f"text_config.{key}" if key else "text_config", message)


def _int(
    c: _Config, key: str, default: Any = _MISSING, *, nullable: bool = False, maximum: int | None = None
) -> Any:
    """An integer key. An explicit null is None where the configuration declares the field optional
    (``nullable``), and refused where it declares a plain int (transformers' strict dataclass refuses it)."""
    if key in c.data and c.data[key] is None:
        if nullable:
            return None
        raise c.fail(key, "must be an integer, got null")
    if maximum is not None:
        return c.get_int(key, default=default, maximum=maximum)
    return c.get_int(key, default=default)


def _activation(c: _Config, key: str, default: str) -> tuple[Activation, tuple[Weight, ...]]:
    """(trillion's activation family, the parameters ``ACT2FN[act]`` registers in each MLP)."""
    act = c.get_str(key, default=default)
    if act not in _ACTIVATIONS:
        raise c.fail(
            key, f"unknown activation {act!r} (transformers' ACT2FN knows {', '.join(_ACTIVATIONS)})"
        )
    family: Activation = "silu" if act in ("silu", "swish") else "gelu" if "gelu" in act else "relu"
    return family, _ACTIVATION_WEIGHTS.get(act, ())


def _heads(c: _Config, *, heads_default: int, kv_default: int | None, kv_nullable: bool) -> tuple[int, int]:
    """(num_attention_heads, num_key_value_heads): a null kv count (where the field is optional) or an
    absent one whose default is None means all heads, as the configuration's ``__post_init__`` sets it."""
    heads = _int(c, "num_attention_heads", heads_default)
    kv = _int(c, "num_key_value_heads", kv_default, nullable=kv_nullable)
    if kv is None:
        kv = heads
    if kv > heads or heads % kv:
        absent = "" if "num_key_value_heads" in c.data else " (absent: transformers' default)"
        raise c.fail(
            "num_key_value_heads",
            f"num_attention_heads({heads}) is not a multiple of num_key_value_heads({kv}){absent}",
        )
    return heads, kv


def _head_dim(c: _Config, hidden: int, heads: int) -> int:
    """``getattr(config, "head_dim", hidden_size // num_attention_heads)`` (OLMo 3, SmolLM3, EXAONE 4,
    Apertus: not a declared field, an extra attribute when given): an explicit head_dim, else
    hidden / heads, which must divide."""
    _int(c, "head_dim", None)  # refuses an explicit null, which the modules cannot use
    return c.head_dim(hidden, heads)


def _layer_types(c: _Config, layers: int, default: list[str]) -> list[str]:
    """``layer_types`` as given (one full_attention / sliding_attention entry per layer, as transformers'
    ``validate_layer_type`` demands; the legacy "attention" reads as full_attention), or the family's."""
    value = c.data.get("layer_types")
    if value is None:
        return default
    if not isinstance(value, list) or len(value) != layers:
        raise c.fail("layer_types", f"must list one entry per layer ({layers}), got {value!r}"[:200])
    value = [_LEGACY_LAYER_TYPES.get(v, v) if isinstance(v, str) else v for v in value]
    bad = sorted({repr(v) for v in value if v not in _LAYER_TYPES})
    if bad:
        raise c.fail(
            "layer_types", f"unknown layer type(s) {', '.join(bad[:3])} (known: {', '.join(_LAYER_TYPES)})"
        )
    return value


def _window(c: _Config, default: int | None) -> int | None:
    """``sliding_window``: a positive size, or null for none (an optional field in every family here)."""
    return _int(c, "sliding_window", default, nullable=True)


def _spec(
    name: str,
    *,
    config: _Config,
    vocab: int,
    hidden: int,
    layers: int,
    attention: Attention,
    mlp: MLP,
    tied: bool,
    norms: int,
    windows: list[int | None],
    weights: tuple[Weight, ...],
    max_context: int | None,
) -> ModelSpec:
    """A ModelSpec: per-layer `Layer`s when some layer has a window or extra weights, else uniform. A
    window past ``max_position_embeddings`` can never bind; where one of the two is transformers'
    default (OLMo 3's and EXAONE 4's defaults are a 4096 window in a 2048 context) it is kept as the
    whole context, but a config.json stating both is refused by `ModelSpec.validate` (bad input)."""
    stated = "sliding_window" in config.data and "max_position_embeddings" in config.data
    if max_context is not None and not stated:
        windows = [min(w, max_context) if w is not None else None for w in windows]
    stack: tuple[Layer, ...] = ()
    if weights or any(windows):
        stack = tuple(
            Layer(attention=1, ffns=("dense",), window=w, norms=norms, weights=weights) for w in windows
        )
    return ModelSpec(
        name=name, vocab_size=vocab, hidden_size=hidden, num_layers=layers, attention=attention, mlp=mlp,
        tied_embeddings=tied, norms_per_layer=norms, layers=stack, max_context=max_context,
    )  # fmt: skip


def _attention(
    heads: int, kv: int, head_dim: int, *, qkv_bias: bool, o_bias: bool, qk_norm: QKNorm
) -> Attention:
    return Attention(
        num_heads=heads, num_kv_heads=kv, head_dim=head_dim,
        q_bias=qkv_bias, k_bias=qkv_bias, v_bias=qkv_bias, o_bias=o_bias, qk_norm=qk_norm,
    )  # fmt: skip


# --- Gemma 3 -----------------------------------------------------------------------------------


def _gemma3_text(c: _Config, name: str) -> ModelSpec:
    """Gemma 3's language model (Gemma3TextConfig; Gemma3ForCausalLM). Every layer: q/k/v/o (biases
    with ``attention_bias``), RMSNorms over ``head_dim`` on q and k, four hidden-size RMSNorms (pre and
    post attention, pre and post feed-forward; Gemma's ``1 + w`` RMSNorm has one vector like any other),
    a GeGLU MLP of ``hidden_activation``. Layers are local (``sliding_window``) or global by
    ``layer_types``, else every ``sliding_window_pattern``-th layer (default 6: five local, one global) is
    global. ``use_bidirectional_attention`` makes the window ``sliding_window // 2 + 1``. Head tied by
    default."""
    hidden = _int(c, "hidden_size", 2304)
    layers = _int(c, "num_hidden_layers", 26, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=8, kv_default=4, kv_nullable=False)
    if hidden % heads:  # Gemma3TextConfig.validate_architecture
        raise c.fail(
            "num_attention_heads", f"hidden_size({hidden}) is not a multiple of num_attention_heads({heads})"
        )
    head_dim = _int(c, "head_dim", 256)
    window = _window(c, 4096)
    if c.get_bool("use_bidirectional_attention", default=False):
        if window is None:
            raise c.fail(
                "sliding_window", "use_bidirectional_attention needs a sliding_window (it halves it)"
            )
        window = window // 2 + 1
    if c.data.get("layer_types") is None:  # Gemma3TextConfig.__post_init__ (a kwarg kept from older configs)
        pattern = _int(c, "sliding_window_pattern", 6)
        types = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(layers)]
    else:
        types = _layer_types(c, layers, [])
    act, weights = _activation(c, "hidden_activation", "gelu_pytorch_tanh")
    bias = c.get_bool("attention_bias", default=False)
    mlp = MLP(intermediate_size=_int(c, "intermediate_size", 9216), gated=True, activation=act)
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 262208), hidden=hidden, layers=layers,
        attention=_attention(heads, kv, head_dim, qkv_bias=bias, o_bias=bias, qk_norm="head"), mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=True), norms=4,
        windows=[window if t == "sliding_attention" else None for t in types], weights=weights,
        max_context=_int(c, "max_position_embeddings", 131072),
    )  # fmt: skip


def _gemma3(c: _Config, name: str) -> ModelSpec:
    """Multimodal Gemma 3 (Gemma3Config): transformers' AutoModelForCausalLM builds
    Gemma3ForConditionalGeneration, a SigLIP vision tower and projector beside the language model. The
    language model alone is counted: ``text_config`` (absent: Gemma3TextConfig's defaults) read as
    ``gemma3_text``, with the head tied or not by the top-level ``tie_word_embeddings`` (default true),
    which is the one Gemma3ForConditionalGeneration's tying reads. The vision tower is not counted.

    Without a ``text_config``, the top level's own keys are read as the text model's (transformers would
    ignore a top-level ``hidden_size`` and build the default text model; with no such keys the two agree)."""
    text = c.data.get("text_config")
    if text is None:
        text = {k: v for k, v in c.data.items() if k not in ("model_type", "vision_config")}
    if not isinstance(text, dict):
        raise c.fail("text_config", f"must be an object, got {text!r}"[:200])
    inner_type = text.get("model_type", "gemma3_text")
    if inner_type != "gemma3_text":
        raise c.fail("text_config", f"model_type must be 'gemma3_text', got {inner_type!r}")
    tied = c.get_bool("tie_word_embeddings", default=True)
    return _gemma3_text(_TextConfig({**text, "tie_word_embeddings": tied}, c.where), name)


# --- OLMo 3 ------------------------------------------------------------------------------------


def _olmo3(c: _Config, name: str) -> ModelSpec:
    """OLMo 3 (Olmo3Config; Olmo3ForCausalLM): OLMo 2's post-norm layer (RMSNorms after attention and
    after the MLP, none before: 2 per layer) with RMSNorms on q and k over all heads (q: heads x head_dim,
    k: kv_heads x head_dim), a SwiGLU MLP without biases, q/k/v/o biases with ``attention_bias``. Layers
    are local or global by ``layer_types``, else three local then one global ((i + 1) % 4 == 0)."""
    hidden = _int(c, "hidden_size", 4096)
    layers = _int(c, "num_hidden_layers", 32, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=32, kv_default=None, kv_nullable=True)
    window = _window(c, 4096)
    default = ["sliding_attention" if (i + 1) % 4 else "full_attention" for i in range(layers)]
    types = _layer_types(c, layers, default)
    act, weights = _activation(c, "hidden_act", "silu")
    bias = c.get_bool("attention_bias", default=False)
    attention = _attention(heads, kv, _head_dim(c, hidden, heads), qkv_bias=bias, o_bias=bias, qk_norm="full")
    mlp = MLP(intermediate_size=_int(c, "intermediate_size", 11008), gated=True, activation=act)
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 50304), hidden=hidden, layers=layers, attention=attention, mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=False), norms=2,
        windows=[window if t == "sliding_attention" else None for t in types], weights=weights,
        max_context=_int(c, "max_position_embeddings", 2048),
    )  # fmt: skip


# --- SmolLM3 -----------------------------------------------------------------------------------


def _smollm3(c: _Config, name: str) -> ModelSpec:
    """SmolLM3 (SmolLM3Config; SmolLM3ForCausalLM): a Llama layer (pre-norms, 2 per layer; q/k/v/o biases
    with ``attention_bias``; SwiGLU with ``mlp_bias``). ``no_rope_layers`` (NoPE every
    ``no_rope_layer_interval``-th layer) only skips the rotary embedding: no parameters. It still decides
    the default ``layer_types``: with ``use_sliding_window`` and a ``sliding_window``, the NoPE layers are
    the local ones; the window applies only while ``use_sliding_window`` is true. Head tied by default."""
    hidden = _int(c, "hidden_size", 2048)
    layers = _int(c, "num_hidden_layers", 36, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=16, kv_default=4, kv_nullable=True)
    window = _window(c, None)
    use_window = c.get_bool("use_sliding_window", default=False)
    if c.data.get("no_rope_layers") is not None:
        no_rope = c.get_int_list("no_rope_layers")
        if len(no_rope) != layers:
            raise c.fail("no_rope_layers", f"must list one entry per layer ({layers}), got {len(no_rope)}")
    else:
        interval = _int(c, "no_rope_layer_interval", 4)
        no_rope = tuple(int((i + 1) % interval != 0) for i in range(layers))
    default = [
        "sliding_attention" if use_window and window is not None and not no_rope[i] else "full_attention"
        for i in range(layers)
    ]
    types = _layer_types(c, layers, default)
    act, weights = _activation(c, "hidden_act", "silu")
    bias = c.get_bool("attention_bias", default=False)
    attention = _attention(heads, kv, _head_dim(c, hidden, heads), qkv_bias=bias, o_bias=bias, qk_norm="none")
    mlp_bias = c.get_bool("mlp_bias", default=False)
    mlp = MLP(
        intermediate_size=_int(c, "intermediate_size", 11008), gated=True, activation=act, bias=mlp_bias
    )
    windows = [window if use_window and t == "sliding_attention" else None for t in types]
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 128256), hidden=hidden, layers=layers, attention=attention, mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=True), norms=2, windows=windows, weights=weights,
        max_context=_int(c, "max_position_embeddings", 32768),
    )  # fmt: skip


# --- Seed-OSS ----------------------------------------------------------------------------------


def _seed_oss(c: _Config, name: str) -> ModelSpec:
    """Seed-OSS (SeedOssConfig; SeedOssForCausalLM): a Llama layer (pre-norms, 2 per layer) whose q/k/v
    carry biases with ``attention_bias`` (default true) and o with ``attention_out_bias`` (default false);
    SwiGLU with ``mlp_bias``; ``head_dim`` defaults to 128 (null: hidden / heads). No sliding window."""
    hidden = _int(c, "hidden_size", 4096)
    layers = _int(c, "num_hidden_layers", 64, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=80, kv_default=8, kv_nullable=True)
    head_dim = _int(c, "head_dim", 128, nullable=True) or c.head_dim(hidden, heads)  # null: hidden / heads
    act, weights = _activation(c, "hidden_act", "silu")
    qkv_bias, o_bias = (
        c.get_bool("attention_bias", default=True),
        c.get_bool("attention_out_bias", default=False),
    )
    attention = _attention(heads, kv, head_dim, qkv_bias=qkv_bias, o_bias=o_bias, qk_norm="none")
    mlp_bias = c.get_bool("mlp_bias", default=False)
    mlp = MLP(
        intermediate_size=_int(c, "intermediate_size", 27648), gated=True, activation=act, bias=mlp_bias
    )
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 155136), hidden=hidden, layers=layers, attention=attention, mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=False), norms=2, windows=[None] * layers,
        weights=weights,
        max_context=_int(c, "max_position_embeddings", 524288),
    )  # fmt: skip


# --- EXAONE 4 ----------------------------------------------------------------------------------


def _exaone4_types(c: _Config, layers: int, window: int | None) -> list[str]:
    """Exaone4Config.__post_init__: without ``layer_types``, an int ``sliding_window_pattern`` p makes every
    p-th layer global ((i + 1) % p == 0) and the rest local. A string pattern is the documented form
    ("LLLG": L local, G global, repeating from layer 0), which transformers 5.x itself cannot read without
    ``layer_types``; with no ``sliding_window`` every layer attends globally."""
    if window is None:
        return _layer_types(c, layers, ["full_attention"] * layers)
    if c.data.get("layer_types") is not None:
        return _layer_types(c, layers, [])
    pattern = c.data.get("sliding_window_pattern", 4)
    if isinstance(pattern, str):
        bad = sorted(set(pattern) - {"L", "G"})
        if not pattern or bad:
            raise c.fail(
                "sliding_window_pattern", f"a pattern string is of L (local) and G (global), got {pattern!r}"
            )
        return [
            "sliding_attention" if pattern[i % len(pattern)] == "L" else "full_attention"
            for i in range(layers)
        ]
    p = _int(c, "sliding_window_pattern", 4)
    return ["sliding_attention" if (i + 1) % p else "full_attention" for i in range(layers)]


def _exaone4(c: _Config, name: str) -> ModelSpec:
    """EXAONE 4 (Exaone4Config; Exaone4ForCausalLM): no biases anywhere; RMSNorms on q and k over
    ``head_dim``; post-norms only (after attention and after the MLP: 2 per layer); a SwiGLU MLP.
    Local layers use ``sliding_window`` (global ones are NoPE, no parameter effect)."""
    hidden = _int(c, "hidden_size", 4096)
    layers = _int(c, "num_hidden_layers", 32, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=32, kv_default=32, kv_nullable=False)
    window = _window(c, 4096)
    types = _exaone4_types(c, layers, window)
    act, weights = _activation(c, "hidden_act", "silu")
    attention = _attention(
        heads, kv, _head_dim(c, hidden, heads), qkv_bias=False, o_bias=False, qk_norm="head"
    )
    mlp = MLP(intermediate_size=_int(c, "intermediate_size", 16384), gated=True, activation=act)
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 102400), hidden=hidden, layers=layers, attention=attention, mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=False), norms=2,
        windows=[window if t == "sliding_attention" else None for t in types], weights=weights,
        max_context=_int(c, "max_position_embeddings", 2048),
    )  # fmt: skip


# --- Apertus -----------------------------------------------------------------------------------


def _apertus(c: _Config, name: str) -> ModelSpec:
    """Apertus (ApertusConfig; ApertusForCausalLM): pre-norms (attention_layernorm, feedforward_layernorm:
    2 per layer), RMSNorms on q and k over ``head_dim``, q/k/v/o biases with ``attention_bias``, and a
    plain (not gated) MLP, up then down without biases, whose activation is xIELU by default: its two
    learnable constants (alpha_p, alpha_n, shape (1,)) are parameters of every layer, declared as
    `Layer.weights`. trillion labels xIELU's family "relu" (its positive branch is quadratic, like a
    squared ReLU); the label has no parameter or FLOP effect."""
    hidden = _int(c, "hidden_size", 4096)
    layers = _int(c, "num_hidden_layers", 32, maximum=MAX_LAYERS)
    heads, kv = _heads(c, heads_default=32, kv_default=None, kv_nullable=True)
    act, weights = _activation(c, "hidden_act", "xielu")
    bias = c.get_bool("attention_bias", default=False)
    attention = _attention(heads, kv, _head_dim(c, hidden, heads), qkv_bias=bias, o_bias=bias, qk_norm="head")
    mlp = MLP(intermediate_size=_int(c, "intermediate_size", 14336), gated=False, activation=act)
    return _spec(
        name, config=c, vocab=_int(c, "vocab_size", 131072), hidden=hidden, layers=layers, attention=attention, mlp=mlp,
        tied=c.get_bool("tie_word_embeddings", default=False), norms=2, windows=[None] * layers,
        weights=weights,
        max_context=_int(c, "max_position_embeddings", 65536),
    )  # fmt: skip


BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {
    "gemma3_text": _gemma3_text,
    "gemma3": _gemma3,
    "olmo3": _olmo3,
    "smollm3": _smollm3,
    "seed_oss": _seed_oss,
    "exaone4": _exaone4,
    "apertus": _apertus,
}
