"""Post-training weight quantisation of ladder models (round-to-nearest, symmetric, group-wise) and
its measured effect on validation loss and weight memory: real evidence beside the serving
planner's published table.

int8: per output channel (one scale per row); int4: groups of 32 input features along each row.
Matrices of the blocks (attention, FFN, experts) are quantised; embeddings, head and norms stay
in their training precision, as in `trillion.count.bytes`.
"""

from __future__ import annotations

from typing import Any

import torch

from trillion.count.bytes import weight_bytes
from trillion.nn.model import MoEBlock, build_model
from trillion.spec.model import ModelSpec

FORMATS = {"int8": (8, None), "int4": (4, 32)}  # bits, group size (None: per channel)


def quantize_tensor(w: torch.Tensor, bits: int, group: int | None) -> torch.Tensor:
    """Fake-quantised copy of a (..., out, in) weight: RTN to signed `bits` with absmax scales."""
    qmax = 2 ** (bits - 1) - 1
    shape = w.shape
    if group is None:
        g = w.reshape(-1, shape[-1])
    else:
        if shape[-1] % group:
            raise ValueError(f"input width {shape[-1]} is not a multiple of the group {group}")
        g = w.reshape(-1, group)
    scale = g.abs().amax(-1, keepdim=True).clamp_min(1e-12) / qmax
    return (torch.round(g / scale).clamp(-qmax - 1, qmax) * scale).reshape(shape)


def quantize_model(model: torch.nn.Module, fmt: str) -> int:
    """Quantise the block matrices of `model` in place; returns how many tensors were changed."""
    bits, group = FORMATS[fmt]
    n = 0
    with torch.no_grad():
        for layer in model.layers:  # type: ignore[union-attr]
            for mod in layer.modules():
                if isinstance(mod, torch.nn.Linear):
                    mod.weight.copy_(quantize_tensor(mod.weight, bits, group))
                    n += 1
                elif isinstance(mod, MoEBlock):
                    for p in (mod.gate_proj, mod.up_proj, mod.down_proj):
                        if p is not None:
                            p.copy_(quantize_tensor(p, bits, group))
                            n += 1
    return n


def quantization_experiment(spec: ModelSpec, state: dict[str, torch.Tensor], evaluate) -> dict[str, Any]:
    """Validation loss and weight bytes at bf16 (reference) and each format; `evaluate(model)`
    returns a validation loss on fixed batches."""
    out: dict[str, Any] = {}
    base = build_model(spec)
    base.load_state_dict(state)
    ref = evaluate(base)
    out["bf16"] = {"val_loss": ref, "weight_bytes": weight_bytes(spec, "bf16"), "delta_val_loss": 0.0}
    for fmt in FORMATS:
        m = build_model(spec)
        m.load_state_dict(state)
        quantize_model(m, fmt)
        loss = evaluate(m)
        out[fmt] = {"val_loss": loss, "weight_bytes": weight_bytes(spec, fmt), "delta_val_loss": loss - ref}
    return out
