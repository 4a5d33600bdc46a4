"""Forward FLOP of the 2025-2026 layer kinds against torch's FLOP counter on tiny real models.

One tiny transformers model per layer kind (gated DeltaNet, KDA, lightning, Mamba, Mamba-2, short
convolutions, sliding window, chunked attention, sinks, DSA's indexer, zero-computation experts):
- matmul: every matmul-weight module (``nn.Linear``, routers, routed experts) summed over a
  forward pass of S tokens is trillion's matmul FLOP per token x S (three stated corrections);
- attention scores: 2 x d_qk x the (query, key) pairs transformers' own masks keep;
- short causal convolutions equal trillion's ``conv/`` items.
The recurrent state update is not the counter's business: transformers' CPU fallbacks run chunked
algorithms whose matmuls depend on the chunk size, so trillion counts the recurrence itself
(documented constants, checked below against an explicit step of each recurrence).
"""

from __future__ import annotations

import json
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is a test extra: pip install -e '.[test]'")
transformers = pytest.importorskip("transformers", reason="transformers is a test extra")
pytestmark = pytest.mark.torch

from trillion.count.flop import RECURRENT_FLOP_PER_STATE, forward_flop  # noqa: E402
from trillion.count.params import count_params  # noqa: E402
from trillion.io.hf_config import spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()

CASES = {
    "qwen3_next (gated DeltaNet + gated attention)": {"model_type": "qwen3_next", "vocab_size": 200, "hidden_size": 32,
        "intermediate_size": 48, "num_hidden_layers": 4, "num_attention_heads": 2, "num_key_value_heads": 1,
        "head_dim": 16, "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8,
        "linear_value_head_dim": 8, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
        "shared_expert_intermediate_size": 24},
    "kimi_linear (KDA + MLA)": {"model_type": "kimi_linear", "vocab_size": 200, "pad_token_id": 0, "hidden_size": 32, "num_key_value_heads": 2,
        "num_hidden_layers": 4, "num_attention_heads": 2, "intermediate_size": 48, "moe_intermediate_size": 16,
        "kv_lora_rank": 8, "q_lora_rank": None, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
        "num_local_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1, "linear_num_heads": 2,
        "linear_head_dim": 8, "linear_conv_kernel_dim": 4, "first_k_dense_replace": 1,
        "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"]},
    "minimax (lightning + softmax)": {"model_type": "minimax", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 4,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 24,
        "num_local_experts": 4, "num_experts_per_tok": 2, "max_position_embeddings": 512,
        "layer_types": ["linear_attention", "full_attention", "linear_attention", "full_attention"]},
    "nemotron_h (Mamba-2 + attention + relu2)": {"model_type": "nemotron_h", "vocab_size": 200, "hidden_size": 32,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 48,
        "mamba_num_heads": 4, "mamba_head_dim": 8, "ssm_state_size": 8, "mamba_n_groups": 2, "mamba_d_conv": 4,
        "layers_block_type": ["mamba", "mlp", "attention", "mlp"]},
    "jamba (Mamba + attention + MoE)": {"model_type": "jamba", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 4,
        "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 40, "attn_layer_period": 2,
        "attn_layer_offset": 1, "expert_layer_period": 2, "expert_layer_offset": 0, "num_experts": 4,
        "num_experts_per_tok": 2, "mamba_d_state": 4, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": 4},
    "lfm2 (short convolutions)": {"model_type": "lfm2", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 4,
        "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 64, "conv_L_cache": 3,
        "full_attn_idxs": [1, 3]},
    "falcon_h1 (parallel attention + Mamba-2)": {"model_type": "falcon_h1", "vocab_size": 200, "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
        "intermediate_size": 48, "mamba_d_ssm": 32, "mamba_n_heads": 4, "mamba_d_head": 8, "mamba_n_groups": 1,
        "mamba_d_state": 8, "mamba_d_conv": 4},
    "granitemoehybrid (Mamba-2 + MoE)": {"model_type": "granitemoehybrid", "vocab_size": 200, "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16,
        "shared_intermediate_size": 24, "num_local_experts": 4, "num_experts_per_tok": 2, "mamba_expand": 2,
        "mamba_n_heads": 8, "mamba_d_head": 8, "mamba_n_groups": 1, "mamba_d_state": 8, "mamba_d_conv": 4,
        "layer_types": ["mamba", "attention"]},
    "gpt_oss (sinks, sliding window, biased experts)": {"model_type": "gpt_oss", "vocab_size": 200, "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "intermediate_size": 24, "num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": 4,
        "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 256},
    "llama4_text (chunked attention, NoPE, interleaved MoE)": {"model_type": "llama4_text", "vocab_size": 200,
        "hidden_size": 32, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "intermediate_size": 16, "intermediate_size_mlp": 48, "num_local_experts": 4, "num_experts_per_tok": 1,
        "interleave_moe_layer_step": 2, "no_rope_layer_interval": 4, "attention_chunk_size": 4,
        "max_position_embeddings": 256},
    "deepseek_v32 (MLA + DSA indexer)": {"model_type": "deepseek_v32", "vocab_size": 200, "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "intermediate_size": 48,
        "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1,
        "n_group": 1, "topk_group": 1, "q_lora_rank": 16, "kv_lora_rank": 8, "qk_nope_head_dim": 8,
        "qk_rope_head_dim": 4, "v_head_dim": 8, "index_n_heads": 2, "index_head_dim": 8, "index_topk": 4,
        "first_k_dense_replace": 1},
    "gemma3_text (5 local : 1 global)": {"model_type": "gemma3_text", "vocab_size": 200, "hidden_size": 32,
        "num_hidden_layers": 6, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
        "intermediate_size": 48, "sliding_window": 4, "pad_token_id": 0, "max_position_embeddings": 256},
    "longcat_flash (two attentions per layer, zero-computation experts)": {"model_type": "longcat_flash",
        "vocab_size": 200, "hidden_size": 32, "num_layers": 2, "num_attention_heads": 2, "q_lora_rank": 16,
        "kv_lora_rank": 8, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "head_dim": 4, "v_head_dim": 8, "ffn_hidden_size": 48,
        "expert_ffn_hidden_size": 16, "n_routed_experts": 4, "zero_expert_num": 2, "moe_topk": 2},
}  # fmt: skip

# modules that own matmul weights besides nn.Linear (KimiLinearForgetGate's name ends in "Gate" but it
# holds the KDA decay's element-wise parameters next to Linear children, counted through those)
MATMUL_MODULES = ("Experts", "Router", "TopKRouter", "Gate")
NOT_MATMUL_MODULES = ("ForgetGate",)


def _model(cfg: dict):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    torch.manual_seed(0)
    kwargs = {"attn_implementation": "eager"}
    try:
        return transformers.AutoModelForCausalLM.from_config(
            config, experts_implementation="eager", **kwargs
        ).eval()
    except TypeError:
        return transformers.AutoModelForCausalLM.from_config(config, **kwargs).eval()


def _is_matmul_module(module) -> bool:
    name = type(module).__name__
    if name.endswith(NOT_MATMUL_MODULES):
        return False
    return isinstance(module, torch.nn.Linear) or name.endswith(MATMUL_MODULES)


def _routed_picks(model, real_experts: int):
    """[picks of real experts, all picks] LongCat's routers make (read from their outputs), and
    the hook handles; indices from `real_experts` on are zero-computation experts."""
    picks = [0, 0]

    def hook(module, args, out):
        idx = out[2]
        picks[0] += int((idx < real_experts).sum())
        picks[1] += idx.numel()

    routers = [m for m in model.modules() if type(m).__name__ == "LongcatFlashTopkRouter"]
    return picks, [m.register_forward_hook(hook) for m in routers]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matmul_and_convolution_flop_equal_torchs_counter(name):
    """Every module owning a matmul weight, summed over a forward pass of S tokens, equals
    trillion's matmul FLOP x S. Three implementations need a stated correction:
    - Llama 4's eager experts multiply every token by every expert and zero the unrouted results
      with the router scores: the counter sees num_experts / top_k times the routed FLOP;
    - Jamba's Mamba applies dt_proj's weight with a bare matmul (outside the Linear module): that
      item is checked apart, as the mixer's own FLOP beyond its children;
    - LongCat's routing picks zero-computation experts at random on a random model: the counter's
      expert FLOP is the real picks x one expert's FLOP, while trillion's figure is the
      uniform-routing expectation (top_k x routed / (routed + zero) experts a token).
    """
    from torch.utils.flop_counter import FlopCounterMode

    cfg = CASES[name]
    model_type = cfg["model_type"]
    seq_len = 12
    model = _model(cfg)
    picks, handles = _routed_picks(model, cfg.get("n_routed_experts", 0))
    ids = torch.randint(0, cfg["vocab_size"], (1, seq_len))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(ids, use_cache=False)
    for h in handles:
        h.remove()
    per_module = counter.get_flop_counts()  # keys: the class name, then the module path
    root = type(model).__name__

    def flop_of(fqn: str) -> int:
        return sum(per_module.get(f"{root}.{fqn}" if fqn else root, {}).values())

    experts = other = 0
    for fqn, module in model.named_modules():
        if _is_matmul_module(module):
            if type(module).__name__.endswith("Experts"):
                experts += flop_of(fqn)
            else:
                other += flop_of(fqn)
    spec = spec_from_hf_dict(cfg, name)
    if model_type != "longcat_flash":  # (its zero-expert rows: tests/count/test_oracle_moe_sparse.py)
        assert count_params(spec).total == sum(p.numel() for p in model.parameters())
    flop = forward_flop(spec, seq_len)
    items = dict(flop.leaves)
    ours_experts = sum(v for k, v in items.items() if k.startswith("matmul/") and "/experts/" in k)
    ours_other = flop.get("matmul") - ours_experts
    if model_type == "llama4_text":
        experts = experts * cfg["num_experts_per_tok"] // cfg["num_local_experts"]
    if model_type == "jamba":
        dt = sum(v for k, v in items.items() if k.endswith("/dt_proj/weight"))
        ours_other -= dt
        mixers = [(f, m) for f, m in model.named_modules() if type(m).__name__ == "JambaMambaMixer"]

        def matmul_ops(fqn: str) -> int:
            ops = per_module.get(f"{root}.{fqn}", {})
            return sum(n for op, n in ops.items() if "convolution" not in str(op))

        beyond_children = sum(
            matmul_ops(f) - sum(matmul_ops(f"{f}.{c}") for c, _ in m.named_children()) for f, m in mixers
        )
        # the rest of the mixer's own matmuls is the scan's read-out y = C h: 2 x d_inner x d_state
        d_inner = cfg["mamba_expand"] * cfg["hidden_size"]
        readout = 2 * d_inner * cfg["mamba_d_state"] * len(mixers)
        assert beyond_children == (dt + readout) * seq_len
    if model_type == "longcat_flash":
        real, total = picks
        one_expert = 2 * 3 * cfg["hidden_size"] * cfg["expert_ffn_hidden_size"]
        assert experts == real * one_expert
        routed, zero, k = cfg["n_routed_experts"], cfg["zero_expert_num"], cfg["moe_topk"]
        per_layer_tokens = total // (cfg["num_layers"] * k)
        assert per_layer_tokens == seq_len
        expectation = Fraction(cfg["num_layers"] * k * one_expert * routed, routed + zero)
        # each expert tensor's active count is floored to whole parameters (2 FLOP each)
        assert 0 <= expectation - ours_experts <= 2 * 3 * cfg["num_layers"]
    else:
        assert experts == ours_experts * seq_len
    assert other == ours_other * seq_len
    # convolutions run as F.conv1d on the mixer's own weights (or Conv1d with padding K - 1): the
    # counter sees (S + K - 1) output positions where trillion counts the S it keeps
    conv = sum(n for op, n in per_module["Global"].items() if "convolution" in str(op))
    kernels = {
        layer.recurrent.conv_kernel
        for layer in spec.layers
        if layer.recurrent and layer.recurrent.conv_kernel
    }
    assert len(kernels) <= 1
    k = kernels.pop() if kernels else 1
    assert conv == flop.get("conv") * (seq_len + k - 1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_attention_keys_equal_transformers_masks(name):
    """Attention score FLOP at S tokens (window, chunk, DSA top-k, sinks, full) equals 2 x d_qk x
    the (query, key) pairs transformers' own masks leave non-zero, over every head and layer: the
    eager attention's softmax weights are exactly zero where its mask removes a key."""
    cfg = CASES[name]
    seq_len = 12
    model = _model(cfg)
    ids = torch.randint(0, cfg["vocab_size"], (1, seq_len))
    with torch.no_grad():
        out = model(ids, use_cache=False, output_attentions=True)
    spec = spec_from_hf_dict(cfg, name)
    layers = spec.layer_list()
    weights = list(out.attentions or ())
    if len(weights) == len(layers):  # one entry per layer: keep the softmax-attention layers'
        weights = [w for w, layer in zip(weights, layers, strict=True) if layer.attention]
    pairs = sum(int((w[..., :seq_len] != 0).sum()) for w in weights if w is not None)
    expected = forward_flop(spec, seq_len).get("attention/layers/scores") * seq_len
    assert expected == 2 * spec.attention.qk_head_dim * pairs
    assert expected > 0


def test_every_new_layer_kind_has_a_counter_case():
    kinds = set()
    for cfg in CASES.values():
        spec = spec_from_hf_dict(cfg, "case")
        for layer in spec.layer_list():
            if layer.recurrent:
                kinds.add(layer.recurrent.kind)
            if layer.window:
                kinds.add("sliding_window")
            if layer.chunk:
                kinds.add("chunked")
        if getattr(spec.attention, "sinks", False):
            kinds.add("sinks")
        if getattr(spec.attention, "indexer", None) is not None:
            kinds.add("dsa_indexer")
        if spec.moe is not None and spec.moe.zero_experts:
            kinds.add("zero_experts")
    assert kinds >= {
        "gated_deltanet", "kda", "lightning", "mamba", "mamba2", "short_conv",
        "sliding_window", "chunked", "sinks", "dsa_indexer", "zero_experts",
    }  # fmt: skip


def _delta_rule_step(S, k, v, q, beta, alpha):
    """One step of the gated delta rule (Yang et al. 2024, gated DeltaNet): S is d_v x d_k."""
    macs = 0
    pred = S @ k  # d_v x d_k . d_k
    macs += S.size
    S = alpha * S + beta * np.outer(v - alpha * pred, k)  # rank-one update
    macs += S.size
    out = S @ q
    macs += S.size
    return S, out, macs


def _decayed_linear_step(S, k, v, q, decay):
    """Lightning / decayed linear attention: S <- decay S + k^T v; o = q S (S is d_k x d_v)."""
    S = decay * S + np.outer(k, v)
    out = q @ S
    return S, out, 2 * S.size


def _ssm_step(h, x, B, C, a):
    """A selective state-space step (Mamba-2 per head): h <- a h + B x^T; y = C^T h (h: d_state x p)."""
    h = a * h + np.outer(B, x)
    y = C @ h
    return h, y, 2 * h.size


def test_recurrent_constants_match_an_explicit_step():
    rng = np.random.default_rng(0)
    dk, dv = 5, 7
    S = rng.normal(size=(dv, dk))
    _, _, macs = _delta_rule_step(S, rng.normal(size=dk), rng.normal(size=dv), rng.normal(size=dk), 0.5, 0.9)
    assert (
        2 * macs
        == RECURRENT_FLOP_PER_STATE["gated_deltanet"] * dk * dv
        == RECURRENT_FLOP_PER_STATE["kda"] * dk * dv
    )
    _, _, macs = _decayed_linear_step(
        np.zeros((dk, dv)), rng.normal(size=dk), rng.normal(size=dv), rng.normal(size=dk), 0.9
    )
    assert 2 * macs == RECURRENT_FLOP_PER_STATE["lightning"] * dk * dv
    n, p = 4, 6
    _, _, macs = _ssm_step(np.zeros((n, p)), rng.normal(size=p), rng.normal(size=n), rng.normal(size=n), 0.9)
    assert 2 * macs == RECURRENT_FLOP_PER_STATE["mamba2"] * n * p == RECURRENT_FLOP_PER_STATE["mamba"] * n * p
