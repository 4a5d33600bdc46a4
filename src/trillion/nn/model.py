"""A decoder-only transformer built from a `ModelSpec`: the module the ladder trains.

Its parameters are exactly the tensors `trillion.count.params.tensors` enumerates (a test checks
the total), so the accounting and the trained model cannot drift apart. Supported: GQA/MQA/MHA
with any head_dim, q/k/v/o biases, per-head or full q/k norms, RMSNorm or LayerNorm, gated
(SwiGLU) or plain MLPs, MoE with a top-k softmax router, shared experts (optionally gated) and a
load-balancing loss (Switch Transformer, Fedus et al. 2022 eq. 4), rotary positions, tied or
untied output head. Other features raise `InputError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from trillion.errors import InputError
from trillion.spec.model import MLA, MLP, ModelSpec, MoE

ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"silu": F.silu, "gelu": F.gelu, "relu": F.relu}


def _check(spec: ModelSpec) -> None:
    why = None
    if isinstance(spec.attention, MLA):
        why = "MLA attention"
    elif spec.is_encoder_decoder:
        why = "encoder-decoder stacks"
    elif spec.positions not in ("rotary", "none"):
        why = f"{spec.positions} positions"
    elif spec.norms_per_layer != 2 or spec.embedding_norm or spec.sliding_window:
        why = "this norm layout or sliding-window attention"
    if why:
        raise InputError(
            spec.name,
            "architecture",
            f"trillion.nn does not build {why} (the ladder's family does not need it)",
        )


def _norm(spec: ModelSpec, width: int) -> nn.Module:
    if spec.norm == "rmsnorm":
        return nn.RMSNorm(width, eps=1e-6)
    return nn.LayerNorm(width, bias=spec.norm_bias)


class Rotary(nn.Module):
    def __init__(self, head_dim: int, theta: float = 10000.0):
        super().__init__()
        self.register_buffer(
            "inv_freq", 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, heads, seq, head_dim)
        t = torch.arange(x.shape[-2], device=x.device, dtype=torch.float32)
        inv_freq: torch.Tensor = self.inv_freq  # type: ignore[assignment]
        freqs = torch.outer(t, inv_freq)
        cos, sin = freqs.cos().to(x.dtype), freqs.sin().to(x.dtype)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, spec: ModelSpec, sdpa: bool = True):
        super().__init__()
        self.sdpa = sdpa
        a = spec.attention
        assert not isinstance(a, MLA)  # refused in _check
        h, hd = spec.hidden_size, a.head_dim
        self.heads, self.kv_heads, self.head_dim = a.num_heads, a.num_kv_heads, hd
        self.q_proj = nn.Linear(h, a.num_heads * hd, bias=a.q_bias)
        self.k_proj = nn.Linear(h, a.num_kv_heads * hd, bias=a.k_bias)
        self.v_proj = nn.Linear(h, a.num_kv_heads * hd, bias=a.v_bias)
        self.o_proj = nn.Linear(a.num_heads * hd, h, bias=a.o_bias)
        self.qk_norm = a.qk_norm
        if a.qk_norm == "head":
            self.q_norm, self.k_norm = _norm(spec, hd), _norm(spec, hd)
        elif a.qk_norm == "full":
            self.q_norm, self.k_norm = _norm(spec, a.num_heads * hd), _norm(spec, a.num_kv_heads * hd)
        self.rotary = Rotary(hd) if spec.positions == "rotary" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.qk_norm == "full":
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = v.view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.qk_norm == "head":
            q, k = self.q_norm(q), self.k_norm(k)
        if self.rotary is not None:
            q, k = self.rotary(q), self.rotary(k)
        if self.sdpa:
            out = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, enable_gqa=self.kv_heads != self.heads
            )
        else:  # explicit matmuls (what FLOP counters see): the full S x S scores, masked
            rep = self.heads // self.kv_heads
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
            mask = torch.ones(s, s, dtype=torch.bool, device=x.device).triu(1)
            out = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim))


class FeedForward(nn.Module):
    def __init__(self, hidden: int, mlp: MLP):
        super().__init__()
        w = mlp.intermediate_size
        self.act = ACT[mlp.activation]
        self.gate_proj = nn.Linear(hidden, w, bias=mlp.bias) if mlp.gated else None
        self.up_proj = nn.Linear(hidden, w, bias=mlp.bias)
        self.down_proj = nn.Linear(w, hidden, bias=mlp.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.gate_proj is not None:
            return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))
        return self.down_proj(self.act(self.up_proj(x)))


class MoEBlock(nn.Module):
    """Top-k routed experts (weights stacked as (E, out, in)) plus optional shared experts."""

    def __init__(self, hidden: int, moe: MoE):
        super().__init__()
        e, w = moe.num_experts, moe.expert.intermediate_size
        self.top_k, self.num_experts, self.gated = moe.top_k, e, moe.expert.gated
        if moe.expert.bias:
            raise InputError("moe", "bias", "biased experts are not built by trillion.nn")
        self.act = ACT[moe.expert.activation]
        self.router = nn.Linear(hidden, e, bias=moe.router_bias)
        scale = 1 / math.sqrt(hidden)
        self.gate_proj = nn.Parameter(torch.randn(e, w, hidden) * scale) if moe.expert.gated else None
        self.up_proj = nn.Parameter(torch.randn(e, w, hidden) * scale)
        self.down_proj = nn.Parameter(torch.randn(e, hidden, w) / math.sqrt(w))
        self.shared = FeedForward(hidden, moe.shared) if moe.shared is not None else None
        self.shared_gate = (
            nn.Linear(hidden, 1, bias=False) if (moe.shared is not None and moe.shared_gate) else None
        )
        self.aux_loss = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        t = x.reshape(-1, shape[-1])
        probs = self.router(t).float().softmax(-1)
        weight, idx = probs.topk(self.top_k, dim=-1)
        weight = (weight / weight.sum(-1, keepdim=True)).to(t.dtype)
        out = torch.zeros_like(t)
        for e in range(self.num_experts):
            rows, slot = (idx == e).nonzero(as_tuple=True)
            if rows.numel() == 0:
                continue
            xe = t[rows]
            up = xe @ self.up_proj[e].T
            h = self.act(xe @ self.gate_proj[e].T) * up if self.gate_proj is not None else self.act(up)
            out.index_add_(0, rows, (h @ self.down_proj[e].T) * weight[rows, slot, None])
        # Switch load balance: E * sum_i (fraction of tokens routed to i) * (mean router prob of i)
        frac = (
            torch.zeros(self.num_experts, device=t.device).index_add_(
                0, idx.flatten(), torch.ones(idx.numel(), device=t.device)
            )
            / idx.numel()
        )
        self.aux_loss = self.num_experts * (frac * probs.mean(0)).sum()
        if self.shared is not None:
            s = self.shared(t)
            if self.shared_gate is not None:
                s = torch.sigmoid(self.shared_gate(t)) * s
            out = out + s
        return out.view(shape)


class Block(nn.Module):
    def __init__(self, spec: ModelSpec, layer: int, sdpa: bool = True):
        super().__init__()
        h = spec.hidden_size
        self.norm1, self.norm2 = _norm(spec, h), _norm(spec, h)
        self.attention = Attention(spec, sdpa)
        moe = spec.moe
        if moe is not None and moe.is_moe_layer(layer):
            self.ffn: nn.Module = MoEBlock(h, moe)
        else:
            assert spec.mlp is not None
            self.ffn = FeedForward(h, spec.mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class Transformer(nn.Module):
    """Token ids (batch, seq) -> logits (batch, seq, vocab); ``aux_loss`` after a forward pass."""

    def __init__(self, spec: ModelSpec, sdpa: bool = True):
        super().__init__()
        _check(spec)
        self.spec = spec
        h = spec.hidden_size
        self.embed = nn.Embedding(spec.vocab_size, h)
        self.layers = nn.ModuleList(Block(spec, i, sdpa) for i in range(spec.num_layers))
        self.final_norm = _norm(spec, h) if spec.final_norm else nn.Identity()
        self.head = None if spec.tied_embeddings else nn.Linear(h, spec.vocab_size, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x)
        x = self.final_norm(x)
        return self.head(x) if self.head is not None else x @ self.embed.weight.T

    @property
    def aux_loss(self) -> torch.Tensor:
        terms = [m.aux_loss for m in self.modules() if isinstance(m, MoEBlock)]
        return torch.stack(terms).mean() if terms else torch.zeros(())


def build_model(spec: ModelSpec, sdpa: bool = True) -> Transformer:
    """The torch module for `spec` (raises `InputError` for unsupported features). ``sdpa=False``
    computes attention with explicit matmuls, as FLOP counters can see them."""
    return Transformer(spec, sdpa)
