"""trillion.nn builds exactly what the accounting counts, and FLOP counters agree with it."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from trillion.count.flop import forward_flop
from trillion.count.params import count_params
from trillion.errors import InputError
from trillion.nn.ladder import family_spec
from trillion.nn.model import build_model
from trillion.spec.model import MLP, Attention, ModelSpec, MoE

SPECS = [
    family_spec(1, 257),
    family_spec(3, 257),
    family_spec(2, 257, "moe"),
    ModelSpec(name="qwen3ish", vocab_size=300, hidden_size=96, num_layers=2, tied_embeddings=True,
              attention=Attention(num_heads=6, num_kv_heads=2, head_dim=24, qk_norm="head", q_bias=True, k_bias=True,
                                  v_bias=True),
              mlp=MLP(intermediate_size=160, gated=True)),
    ModelSpec(name="gptish", vocab_size=128, hidden_size=64, num_layers=2, norm="layernorm", norm_bias=True,
              attention=Attention(num_heads=4, num_kv_heads=4, head_dim=16, o_bias=True, qk_norm="full"),
              mlp=MLP(intermediate_size=256, gated=False, activation="gelu", bias=True)),
    ModelSpec(name="qwen2moeish", vocab_size=128, hidden_size=64, num_layers=3,
              attention=Attention(num_heads=4, num_kv_heads=2, head_dim=16),
              mlp=MLP(intermediate_size=128, gated=True),
              moe=MoE(num_experts=6, top_k=2, expert=MLP(intermediate_size=32, gated=True), num_shared_experts=1,
                      shared_intermediate_size=48, shared_gate=True, router_bias=True, first_k_dense=1)),
]  # fmt: skip


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_parameters_equal_the_accounting(spec):
    spec.validate()
    model = build_model(spec)
    assert sum(p.numel() for p in model.parameters()) == count_params(spec).total


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_flop_counter_equals_forward_flop(spec):
    model = build_model(spec, sdpa=False)  # explicit attention matmuls: the full S x S convention
    x = torch.randint(0, spec.vocab_size, (2, 24))
    with FlopCounterMode(display=False) as counter:
        model(x)
    assert counter.get_total_flops() == forward_flop(spec, 24, "full").total * x.numel()


def test_sdpa_and_explicit_attention_agree():
    spec = family_spec(2, 257)
    torch.manual_seed(0)
    a = build_model(spec)
    b = build_model(spec, sdpa=False)
    b.load_state_dict(a.state_dict())
    x = torch.randint(0, 257, (2, 16))
    assert torch.allclose(a(x), b(x), atol=1e-5)


def test_causal_and_moe_aux_loss():
    spec = family_spec(1, 257, "moe")
    m = build_model(spec)
    x = torch.randint(0, 257, (1, 10))
    y = x.clone()
    y[0, -1] = (y[0, -1] + 1) % 257  # changing the last token cannot change earlier logits
    assert torch.allclose(m(x)[0, :-1], m(y)[0, :-1], atol=1e-6)
    assert 0.9 < float(m.aux_loss.detach()) < 4.0  # E * sum f_i P_i is 1 when balanced


def test_unsupported_architecture_is_refused():
    from trillion import load_model

    with pytest.raises(InputError, match="MLA"):
        build_model(load_model("deepseek-v3"))
