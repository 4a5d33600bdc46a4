"""Forward FLOP of the 2025-2026 layer kinds against torch's FLOP counter on tiny real models.

The matmul part must be equal exactly: every matmul-weight module (``nn.Linear``, routers,
routed experts) summed over a forward pass of S tokens is trillion's matmul FLOP per token x S;
short causal convolutions equal trillion's ``conv/`` items. The recurrent state update is not the
counter's business here: transformers' CPU fallbacks run chunked algorithms whose matmuls depend
on the chunk size, so trillion counts the recurrence itself (documented constants, checked below
against an explicit step of each recurrence).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is a test extra: pip install -e '.[test]'")
transformers = pytest.importorskip("transformers", reason="transformers is a test extra")
pytestmark = pytest.mark.torch

from trillion.count.flop import RECURRENT_FLOP_PER_STATE, forward_flop  # noqa: E402
from trillion.io.hf_config import SUPPORTED_MODEL_TYPES, spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()

CASES = {
    "qwen3_next": {"model_type": "qwen3_next", "vocab_size": 200, "hidden_size": 32, "intermediate_size": 48,
                   "num_hidden_layers": 4, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
                   "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8,
                   "linear_value_head_dim": 8, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                   "shared_expert_intermediate_size": 24},
}  # fmt: skip
MATMUL_MODULES = (
    "Experts",
    "Router",
    "TopKRouter",
    "Gate",
)  # modules that own matmul weights besides nn.Linear


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


@pytest.mark.parametrize("name", sorted(CASES))
def test_matmul_and_convolution_flop_equal_torchs_counter(name):
    from torch.utils.flop_counter import FlopCounterMode

    if CASES[name]["model_type"] not in SUPPORTED_MODEL_TYPES:
        pytest.skip(f"{name} is not supported yet")
    cfg = CASES[name]
    seq_len = 12
    model = _model(cfg)
    ids = torch.randint(0, cfg["vocab_size"], (1, seq_len))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(ids)
    per_module = counter.get_flop_counts()  # keys: the class name, then the module path
    root = type(model).__name__
    matmul = 0
    for fqn, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) or type(module).__name__.endswith(MATMUL_MODULES):
            matmul += sum(per_module.get(f"{root}.{fqn}" if fqn else root, {}).values())
    # convolutions run as F.conv1d on the mixer's own weights (not through the Conv1d module)
    conv = sum(n for op, n in per_module["Global"].items() if "convolution" in str(op))
    spec = spec_from_hf_dict(cfg, name)
    flop = forward_flop(spec, seq_len)
    assert matmul == flop.get("matmul") * seq_len
    # the fallback convolves the sequence padded by kernel - 1 and drops the extra outputs: the
    # counter sees (S + K - 1) positions where trillion counts the S it keeps
    kernels = {
        layer.recurrent.conv_kernel
        for layer in spec.layers
        if layer.recurrent and layer.recurrent.conv_kernel
    }
    assert len(kernels) <= 1
    k = kernels.pop() if kernels else 1
    assert conv == flop.get("conv") * (seq_len + k - 1)


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
