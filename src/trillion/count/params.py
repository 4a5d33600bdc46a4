"""Exact parameter accounting: every weight tensor of a `ModelSpec`, grouped into a breakdown tree.

`tensors(spec)` lists the tensors as a state dict would (aggregated over layers of the same
structure); `count_params` and `count_active_params` sum them into `Breakdown` trees.

Conventions
- Counted: every trainable tensor the Hugging Face implementation registers as a parameter
  (weights, biases, norm scales, learned position tables, T5's relative-position bias).
- Not counted: buffers (rotary frequency tables; DeepSeek-V3's ``e_score_correction_bias``,
  updated by a rule rather than by gradients and registered as a buffer by transformers) and
  multi-token-prediction modules (DeepSeek-V3 publishes 671B without its 14B MTP module).
- A tied output head adds nothing; an untied one is ``embedding/output``.
- Active per token (MoE): every tensor counts fully except routed experts, of which ``top_k`` of
  ``num_experts`` count; the router, shared experts, attention and embeddings count fully.
  This is the convention of the Mixtral, DeepSeek and Qwen reports (e.g. DeepSeek-V3: 37B of
  671B).
- Embedding parameters are the token table, position tables and an untied output head
  (Kaplan et al. 2020 exclude "vocabulary and positional embeddings" from N); non-embedding is
  the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from math import prod
from typing import Literal

from trillion.count.breakdown import Breakdown
from trillion.spec.model import MLA, MLP, Attention, Layer, ModelSpec, MoE

Role = Literal["embedding", "linear", "expert", "router", "norm", "bias", "output", "conv", "scalar"]


@dataclass(frozen=True, slots=True)
class Tensor:
    """One weight tensor held ``copies`` times (once per layer of a group).

    ``shape`` is one copy's shape, with the input features last for matrices (as torch's
    ``nn.Linear.weight``); routed-expert tensors lead with the expert axis, and
    ``active_fraction`` is then (top_k, num_experts).
    """

    path: str
    shape: tuple[int, ...]
    role: Role
    copies: int = 1
    active_fraction: tuple[int, int] | None = None

    @property
    def numel(self) -> int:
        """Elements over all copies."""
        return prod(self.shape) * self.copies

    @property
    def active_numel(self) -> int:
        """Elements used by one token: routed experts scaled by top_k / routing slots (exact when the
        slots are the experts; with zero-computation experts, the uniform-routing expectation
        ``numel * top_k / (experts + zero experts)``, floored)."""
        if self.active_fraction is None:
            return self.numel
        k, slots = self.active_fraction
        if self.shape[0] == slots:
            return prod(self.shape[1:]) * k * self.copies
        return self.numel * k // slots

    @property
    def is_matmul(self) -> bool:
        """A weight that multiplies activations (so costs 2 FLOP per active element per token)."""
        return self.role in ("linear", "expert", "router", "output")


def _linear(path: str, out: int, inp: int, bias: bool, copies: int) -> Iterator[Tensor]:
    yield Tensor(f"{path}/weight", (out, inp), "linear", copies)
    if bias:
        yield Tensor(f"{path}/bias", (out,), "bias", copies)


def _norm(path: str, size: int, spec: ModelSpec, copies: int) -> Iterator[Tensor]:
    yield Tensor(f"{path}/weight", (size,), "norm", copies)
    if spec.norm == "layernorm" and spec.norm_bias:
        yield Tensor(f"{path}/bias", (size,), "norm", copies)


def _attention(path: str, spec: ModelSpec, copies: int) -> Iterator[Tensor]:
    a, h = spec.attention, spec.hidden_size
    if isinstance(a, Attention):
        gate = 2 if a.output_gate else 1  # Qwen3-Next: q_proj also emits the output gate
        yield from _linear(f"{path}/q_proj", gate * a.num_heads * a.head_dim, h, a.q_bias, copies)
        yield from _linear(f"{path}/k_proj", a.num_kv_heads * a.head_dim, h, a.k_bias, copies)
        yield from _linear(f"{path}/v_proj", a.num_kv_heads * a.head_dim, h, a.v_bias, copies)
        yield from _linear(f"{path}/o_proj", h, a.num_heads * a.head_dim, a.o_bias, copies)
        if spec.positions == "relative_xl":  # Transformer-XL: W_R, u and v per layer
            yield from _linear(f"{path}/r_proj", a.num_heads * a.head_dim, h, False, copies)
            yield Tensor(f"{path}/r_biases", (2, a.num_heads * a.head_dim), "bias", copies)
        if a.qk_norm == "head":
            yield from _norm(f"{path}/q_norm", a.head_dim, spec, copies)
            yield from _norm(f"{path}/k_norm", a.head_dim, spec, copies)
        elif a.qk_norm == "full":
            yield from _norm(f"{path}/q_norm", a.num_heads * a.head_dim, spec, copies)
            yield from _norm(f"{path}/k_norm", a.num_kv_heads * a.head_dim, spec, copies)
        if a.sinks:  # gpt-oss: one learned sink logit per head
            yield Tensor(f"{path}/sinks", (a.num_heads,), "scalar", copies)
        return
    assert isinstance(a, MLA)
    q_out = a.num_heads * a.qk_head_dim
    if a.q_lora_rank is None:
        yield from _linear(f"{path}/q_proj", q_out, h, False, copies)
    else:
        yield from _linear(f"{path}/q_a_proj", a.q_lora_rank, h, a.bias, copies)
        yield Tensor(f"{path}/q_a_norm/weight", (a.q_lora_rank,), "norm", copies)
        yield from _linear(f"{path}/q_b_proj", q_out, a.q_lora_rank, False, copies)
    yield from _linear(f"{path}/kv_a_proj", a.kv_lora_rank + a.qk_rope_head_dim, h, a.bias, copies)
    yield Tensor(f"{path}/kv_a_norm/weight", (a.kv_lora_rank,), "norm", copies)
    yield from _linear(
        f"{path}/kv_b_proj",
        a.num_heads * (a.qk_nope_head_dim + a.v_head_dim),
        a.kv_lora_rank,
        False,
        copies,
    )
    yield from _linear(f"{path}/o_proj", h, a.num_heads * a.v_head_dim, a.bias, copies)
    if a.indexer is not None:
        yield from _weights(f"{path}/indexer", a.indexer.weights, copies)


_WEIGHT_ROLE: dict[str, Role] = {
    "linear": "linear",
    "norm": "norm",
    "bias": "bias",
    "conv": "conv",
    "scalar": "scalar",
}


def _weights(path: str, weights, copies: int) -> Iterator[Tensor]:
    """Declared weights (`trillion.spec.model.Weight`) as tensors under `path`."""
    for w in weights:
        yield Tensor(f"{path}/{w.path}", w.shape, _WEIGHT_ROLE[w.role], copies)


def _mlp(path: str, mlp: MLP, h: int, copies: int) -> Iterator[Tensor]:
    i = mlp.intermediate_size
    if mlp.gated:
        yield from _linear(f"{path}/gate_proj", i, h, mlp.bias, copies)
    yield from _linear(f"{path}/up_proj", i, h, mlp.bias, copies)
    yield from _linear(f"{path}/down_proj", h, i, mlp.bias, copies)


def _moe(path: str, moe: MoE, h: int, copies: int) -> Iterator[Tensor]:
    e, i = moe.num_experts, moe.expert.intermediate_size
    slots = e + moe.zero_experts  # the router also scores zero-computation experts (LongCat-Flash)
    yield Tensor(f"{path}/router/weight", (slots, h), "router", copies)
    if moe.router_bias:
        yield Tensor(f"{path}/router/bias", (slots,), "bias", copies)
    frac = (moe.top_k, slots)
    if moe.expert.gated:
        yield Tensor(f"{path}/experts/gate_proj", (e, i, h), "expert", copies, frac)
    yield Tensor(f"{path}/experts/up_proj", (e, i, h), "expert", copies, frac)
    yield Tensor(f"{path}/experts/down_proj", (e, h, i), "expert", copies, frac)
    if moe.expert.bias:
        width_in = 2 * i if moe.expert.gated else i  # gate and up biases, or up alone
        yield Tensor(f"{path}/experts/bias_in", (e, width_in), "bias", copies, frac)
        yield Tensor(f"{path}/experts/bias_out", (e, h), "bias", copies, frac)
    shared = moe.shared
    if shared is not None:
        yield from _mlp(f"{path}/shared", shared, h, copies)
        if moe.shared_gate:
            yield from _linear(f"{path}/shared_gate", 1, h, False, copies)


def _stack(prefix: str, spec: ModelSpec, num_layers: int, cross: bool) -> Iterator[Tensor]:
    """The tensors of `num_layers` layers, grouping dense-FFN and MoE-FFN layers."""
    moe_layers = sum(1 for i in range(num_layers) if spec.moe and spec.moe.is_moe_layer(i))
    dense_layers = num_layers - moe_layers
    yield from _attention(f"{prefix}/attention", spec, num_layers)
    if cross:
        yield from _attention(f"{prefix}/cross_attention", spec, num_layers)
    norms = spec.norms_per_layer + (1 if cross else 0)
    if norms:
        yield from _norm(f"{prefix}/norms", spec.hidden_size, spec, num_layers * norms)
    if dense_layers:
        assert spec.mlp is not None  # validate() guarantees it
        yield from _mlp(f"{prefix}/mlp", spec.mlp, spec.hidden_size, dense_layers)
    if moe_layers:
        assert spec.moe is not None
        yield from _moe(f"{prefix}/moe", spec.moe, spec.hidden_size, moe_layers)


def _layer(prefix: str, spec: ModelSpec, layer: Layer, copies: int) -> Iterator[Tensor]:
    """The tensors of `copies` identical layers of a heterogeneous stack."""
    if layer.attention:
        yield from _attention(f"{prefix}/attention", spec, copies * layer.attention)
    if layer.recurrent is not None:
        yield from _weights(f"{prefix}/{layer.recurrent.kind}", layer.recurrent.weights, copies)
    if layer.norms:
        yield from _norm(f"{prefix}/norms", spec.hidden_size, spec, copies * layer.norms)
    dense, moe = layer.ffns.count("dense"), layer.ffns.count("moe")
    if dense:
        assert spec.mlp is not None  # validate() guarantees it
        yield from _mlp(f"{prefix}/mlp", spec.mlp, spec.hidden_size, copies * dense)
    if moe:
        assert spec.moe is not None
        yield from _moe(f"{prefix}/moe", spec.moe, spec.hidden_size, copies * moe)
    yield from _weights(f"{prefix}/other", layer.weights, copies)


def _merged(items: Iterator[Tensor]) -> list[Tensor]:
    """Tensors with the same path, shape and role folded into one with the summed copies."""
    out: dict[tuple, Tensor] = {}
    for t in items:
        key = (t.path, t.shape, t.role, t.active_fraction)
        if key in out:
            t = Tensor(t.path, t.shape, t.role, out[key].copies + t.copies, t.active_fraction)
        out[key] = t
    paths = [k[0] for k in out]
    clash = {p for p in paths if paths.count(p) > 1}
    assert not clash, f"two shapes share the path(s) {sorted(clash)}"
    return list(out.values())


def _layers(prefix: str, spec: ModelSpec) -> list[Tensor]:
    groups: dict[Layer, int] = {}
    for layer in spec.layers:
        groups[layer] = groups.get(layer, 0) + 1
    return _merged(t for layer, n in groups.items() for t in _layer(prefix, spec, layer, n))


@lru_cache(maxsize=64)  # specs are frozen; count() asks for the same list a dozen times
def tensors(spec: ModelSpec) -> tuple[Tensor, ...]:
    """Every weight tensor of `spec`, aggregated over layers of the same shape."""
    h = spec.hidden_size
    out: list[Tensor] = [Tensor("embedding/tokens", (spec.vocab_size, h), "embedding")]
    if spec.positions == "learned":
        assert spec.num_position_embeddings is not None
        out.append(Tensor("embedding/positions", (spec.num_position_embeddings, h), "embedding"))
    if spec.embedding_norm:
        out.extend(_norm("embedding_norm", h, spec, 1))
    stacks = [("layers", spec.num_layers, spec.is_encoder_decoder)]
    if spec.is_encoder_decoder:
        stacks.insert(0, ("encoder_layers", spec.num_encoder_layers, False))
    for prefix, n, cross in stacks:
        if spec.positions == "relative":
            assert spec.relative_attention_buckets is not None
            shape = (spec.relative_attention_buckets, spec.attention.num_heads)
            out.append(Tensor(f"{prefix}/relative_bias", shape, "embedding"))
        out.extend(_layers(prefix, spec) if spec.layers else _stack(prefix, spec, n, cross))
        if spec.final_norm:
            out.extend(_norm(f"{prefix}/final_norm", h, spec, 1))
    if not spec.tied_embeddings:
        out.append(Tensor("embedding/output", (spec.vocab_size, h), "output"))
    return tuple(out)


def mtp_tensors(spec: ModelSpec) -> tuple[Tensor, ...]:
    """Multi-token-prediction modules (DeepSeek-V3 §2.2): each is one more decoder layer shaped like
    the last, a projection of [embedding; hidden] (2h -> h) and two norms; the embedding and output
    head are shared with the main model and not counted again. Not part of `tensors`."""
    if not spec.mtp_layers:
        return ()
    h, n = spec.hidden_size, spec.mtp_layers
    last = spec.layer_list()[-1]
    out = list(_layer("mtp/layers", spec, last, n))
    out.append(Tensor("mtp/eh_proj/weight", (h, 2 * h), "linear", n))
    out.extend(_norm("mtp/norms", h, spec, 3 * n))  # enorm, hnorm and the shared head's norm
    return tuple(out)


def count_params(spec: ModelSpec) -> Breakdown:
    """Total parameters (a count), as a breakdown tree over tensor paths."""
    return Breakdown.from_items((t.path, t.numel) for t in tensors(spec))


def count_active_params(spec: ModelSpec) -> Breakdown:
    """Parameters one token uses (a count): routed experts at top_k of num_experts."""
    return Breakdown.from_items((t.path, t.active_numel) for t in tensors(spec))


def embedding_params(spec: ModelSpec) -> int:
    """Token and position tables plus an untied output head (Kaplan et al. 2020's exclusion)."""
    return sum(t.numel for t in tensors(spec) if t.role in ("embedding", "output"))


def input_embedding_params(spec: ModelSpec) -> int:
    """Token and position tables only (a count; a tied head shares the token table)."""
    return sum(t.numel for t in tensors(spec) if t.role == "embedding")
