"""Optimizer state per parameter: what each optimizer keeps beyond the weights and gradients.

Every recipe in `trillion.plan.memory` keeps fp32 master weights (4 bytes per parameter) beside
the low-precision weights; the optimizer adds its moments. A moment element is as wide as the
recipe holds it (fp32, 4 bytes; bf16, 2 bytes, in DeepSeek-V3's fp8 recipe) unless the optimizer
quantises it (8-bit Adam). ZeRO-1 and above shard all of it over the data-parallel group.

The optimizer step reads and writes every state once (memory-bound): master weights and moments
read and written, gradients read, the low-precision copy written; `step_traffic_bytes` is that
per parameter (AdamW in a bf16 recipe: 2 x 4 + 2 x 8 + 4 + 2 + 2 = 32 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from trillion.errors import InputError

MASTER_BYTES = 4.0  # fp32 master copy of every parameter (all recipes)
# width of one moment element by mixed-precision recipe (trillion.plan.memory): fp32, except
# DeepSeek-V3's fp8 recipe, which keeps AdamW's moments in bf16 (DeepSeek-V3 report §3.3)
RECIPE_MOMENT_BYTES = {"bf16": 4.0, "fp16": 4.0, "fp8": 2.0, "mxfp8": 4.0, "nvfp4": 4.0}


@dataclass(frozen=True, slots=True)
class Optimizer:
    name: str
    moments: int  # state tensors per parameter beyond the master weights
    moment_bytes: float | None  # bytes per moment element; None: the recipe's width
    source: str


OPTIMIZERS = {
    o.name: o
    for o in (
        Optimizer(
            "adamw", 2, None, "Loshchilov & Hutter 2019 (AdamW): first and second moments per parameter"
        ),
        Optimizer(
            "muon",
            1,
            None,
            "Jordan et al. 2024 (Muon); Liu et al. 2025 'Muon is Scalable for LLM Training' (Moonshot): one"
            " momentum buffer per matrix parameter (Kimi K2 trained with MuonClip); its Newton-Schulz iterations,"
            " about 5 x rows / batch tokens of the training FLOP, are not counted",
        ),
        Optimizer(
            "adafactor",
            0,
            None,
            "Shazeer & Stern 2018 (Adafactor) without momentum (beta1 = 0): the second moment factored into row"
            " and column sums, O(rows + cols) per matrix, counted as 0 per parameter",
        ),
        Optimizer(
            "adam8bit",
            2,
            1.0,
            "Dettmers et al. 2022 (8-bit optimizers via block-wise quantization): both Adam moments in 8 bits;"
            " one fp32 scale per 2,048-element block (0.2%) not counted",
        ),
    )
}


def find_optimizer(name: str) -> Optimizer:
    if name not in OPTIMIZERS:
        raise InputError("optimizer", None, f"must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name]


def state_bytes(optimizer: str, precision: str) -> float:
    """Bytes per parameter of optimizer state under `precision`'s recipe: fp32 master weights
    plus the moments."""
    o = find_optimizer(optimizer)
    width = o.moment_bytes if o.moment_bytes is not None else RECIPE_MOMENT_BYTES[precision]
    return MASTER_BYTES + o.moments * width


def step_traffic_bytes(optimizer: str, precision: str) -> float:
    """HBM bytes moved per parameter by one optimizer step (see the module doc)."""
    moments = state_bytes(optimizer, precision) - MASTER_BYTES
    return 2 * MASTER_BYTES + 2 * moments + 4 + 2 + 2
