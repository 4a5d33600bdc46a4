"""Bytes of weights per storage format, and KV-cache bytes per token, as exact integers.

Sub-byte formats store bits per element; bytes are ``ceil(total_bits / 8)`` on totals, never per
element (``4 // 8 == 0`` is the classic calculator bug).

Weight formats (`WEIGHT_FORMATS`): full-precision formats (fp32, bf16, fp16) store every tensor in
that format. Quantised formats store the matrices of the transformer blocks (attention, dense FFN,
experts) quantised and keep embeddings, the output head, the router, norms and biases in bf16 -
the default of GPTQ, AWQ, bitsandbytes and DeepSeek-V3's FP8 checkpoint. Scales and zero points
are counted per group of ``group_size`` consecutive input features of each output row (a partial
last group counts as a whole group).

KV cache per token (`kv_cache_bytes_per_token`): GQA/MHA/MQA store a key and a value of
``num_kv_heads * head_dim`` per layer; MLA caches the compressed latent ``kv_lora_rank`` plus the
shared RoPE key ``qk_rope_head_dim`` per layer (DeepSeek-V2 §2.1.2, Table 1). Encoder-decoder
models: the decoder's self-attention only. Sliding-window layers hold at most ``window`` tokens and
chunked ones one chunk: the per-token figure is for contexts within every window, `kv_cache_bytes`
applies the caps at a given context. Linear-attention and SSM layers keep a fixed-size state per
sequence instead (`state_bytes_per_sequence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, prod

from trillion.count.params import Tensor, tensors
from trillion.spec.model import MLA, ModelSpec


@dataclass(frozen=True, kw_only=True, slots=True)
class WeightFormat:
    """How one weight element is stored: ``bits`` per element plus per-group scale/zero bits."""

    name: str
    bits: int
    quantised: bool
    group_size: int | None = None
    block_rows: int | None = None
    scale_bits: int = 0
    zero_bits: int = 0
    extra_bits_per_group: float = 0.0
    source: str = ""

    @property
    def bits_per_weight(self) -> float:
        """Mean stored bits per quantised element, scales included (for display)."""
        if not self.quantised or not self.group_size:
            return float(self.bits)
        per_group = self.scale_bits + self.zero_bits + self.extra_bits_per_group
        return self.bits + per_group / (self.group_size * (self.block_rows or 1))


KEEP_BITS = 16  # bf16 for what quantised formats leave unquantised (embeddings, head, norms)

WEIGHT_FORMATS: dict[str, WeightFormat] = {
    f.name: f
    for f in (
        WeightFormat(name="fp32", bits=32, quantised=False),
        WeightFormat(name="bf16", bits=16, quantised=False),
        WeightFormat(name="fp16", bits=16, quantised=False),
        WeightFormat(
            name="fp8",
            bits=8,
            quantised=True,
            group_size=128,
            block_rows=128,
            scale_bits=32,
            source="DeepSeek-V3 report §3.3.2: FP8 e4m3 weights with one fp32 scale per 128x128 "
            "block (128 input features x 128 output rows)",
        ),
        WeightFormat(
            name="int8",
            bits=8,
            quantised=True,
            group_size=None,
            scale_bits=16,
            source="LLM.int8() / SmoothQuant W8: one fp16 scale per output channel (row)",
        ),
        WeightFormat(
            name="int4",
            bits=4,
            quantised=True,
            group_size=128,
            scale_bits=16,
            zero_bits=4,
            source="GPTQ / AWQ W4 g128: fp16 scale and packed 4-bit zero point per 128 weights",
        ),
        WeightFormat(
            name="fp4",
            bits=4,
            quantised=True,
            group_size=16,
            scale_bits=8,
            source="NVIDIA NVFP4: e2m1 values, one fp8 (e4m3) scale per 16 (plus one fp32 per "
            "tensor, negligible and not counted)",
        ),
        WeightFormat(
            name="mxfp4",
            bits=4,
            quantised=True,
            group_size=32,
            scale_bits=8,
            source="OCP Microscaling MXFP4: e2m1 values, one e8m0 scale per 32",
        ),
        WeightFormat(
            name="nf4",
            bits=4,
            quantised=True,
            group_size=64,
            scale_bits=8,
            extra_bits_per_group=32 / 256,
            source="QLoRA (Dettmers et al. 2023) §3 double quantisation: an 8-bit absmax per 64 "
            "weights plus one fp32 per 256 absmax blocks = 8/64 + 32/(64*256) bits per weight",
        ),
    )
}


def tensor_bits(t: Tensor, fmt: WeightFormat) -> Fraction | int:
    """Stored bits of one tensor (all copies) in format `fmt`."""
    if not fmt.quantised:
        return t.numel * fmt.bits
    if t.role not in ("linear", "expert"):
        return t.numel * KEEP_BITS
    out_features, in_features = t.shape[-2], t.shape[-1]
    matrices = prod(t.shape[:-2]) * t.copies
    col_groups = ceil(in_features / (fmt.group_size or in_features))
    row_groups = ceil(out_features / fmt.block_rows) if fmt.block_rows else out_features
    groups = matrices * row_groups * col_groups
    per_group = fmt.scale_bits + fmt.zero_bits + Fraction(fmt.extra_bits_per_group)  # exact
    return t.numel * fmt.bits + groups * per_group


def weight_bytes(spec: ModelSpec, fmt: str | WeightFormat) -> int:
    """Bytes to store all weights of `spec` in `fmt` (a name from `WEIGHT_FORMATS`)."""
    if isinstance(fmt, str):
        fmt = WEIGHT_FORMATS[fmt]
    bits = sum(tensor_bits(t, fmt) for t in tensors(spec))
    return ceil(bits / 8)


KV_FORMATS: dict[str, int] = {"bf16": 16, "fp16": 16, "fp8": 8, "fp32": 32}


def kv_elements_per_mixer(spec: ModelSpec) -> int:
    """Cached elements per token of one attention mixer (K and V heads, or MLA's latent and RoPE key)."""
    a = spec.attention
    if isinstance(a, MLA):
        return a.kv_lora_rank + a.qk_rope_head_dim
    return 2 * a.num_kv_heads * a.head_dim


def kv_cache_elements_per_token(spec: ModelSpec) -> int:
    """Cached elements per token over all (decoder self-attention) mixers, for a context within
    every sliding window and chunk (linear-attention and SSM layers cache no tokens)."""
    mixers = sum(layer.attention for layer in spec.layer_list())
    return kv_elements_per_mixer(spec) * mixers


def kv_cache_bytes_per_token(spec: ModelSpec, fmt: str = "bf16") -> int:
    """KV-cache bytes for one token of context (all layers) at `fmt` (bf16, fp16, fp8, fp32)."""
    return ceil(kv_cache_elements_per_token(spec) * KV_FORMATS[fmt] / 8)


def kv_cache_tokens(spec: ModelSpec, context: int) -> int:
    """Tokens cached over all attention mixers at a `context`-token sequence: a sliding-window layer
    keeps its last `window`, a chunked layer at most one chunk, a full layer all of them (layer-
    tokens: multiply by the elements of one layer's token)."""
    total = 0
    for layer in spec.layer_list():
        cap = layer.window or layer.chunk
        total += layer.attention * (min(context, cap) if cap else context)
    return total


def kv_cache_bytes(spec: ModelSpec, context: int, fmt: str = "bf16") -> int:
    """KV-cache bytes of one sequence of `context` tokens, windows and chunks capped."""
    return ceil(kv_elements_per_mixer(spec) * kv_cache_tokens(spec, context) * KV_FORMATS[fmt] / 8)


def state_bytes_per_sequence(spec: ModelSpec, fmt: str = "bf16") -> int:
    """Recurrent state of one sequence (linear-attention and SSM matrices plus convolution windows)
    over all layers, stored at `fmt` (vLLM keeps these states in the model dtype by default)."""
    elements = sum(layer.recurrent.state_elements for layer in spec.layers if layer.recurrent is not None)
    return ceil(elements * KV_FORMATS[fmt] / 8)


def sequence_bytes(spec: ModelSpec, context: int, fmt: str = "bf16") -> int:
    """Everything one sequence of `context` tokens keeps while generating: KV cache plus state."""
    return kv_cache_bytes(spec, context, fmt) + state_bytes_per_sequence(spec, fmt)
