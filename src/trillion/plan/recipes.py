"""Mixed-precision training recipes: which peak their GEMMs run at, what quantising costs, and
which hardware runs them.

Every recipe keeps the attention core, norms, non-linearities, the embedding and the output head
in 16-bit (Transformer Engine, torchao and the NVFP4 paper all do), and fp32 master weights.

- ``bf16`` / ``fp16``: the 16-bit datapath, no casts.
- ``fp8``: Hopper-style FP8 (E4M3 forward, per-tensor scales: delayed or current scaling), GEMMs
  at the dense fp8 peak. Each quantised tensor is read once in bf16 and written twice (the cast
  and its transpose: Hopper's FP8 GEMMs take TN operands only, Transformer Engine's fused
  cast-transpose).
- ``mxfp8``: OCP microscaling FP8 (32-element blocks, one E8M0 scale each: 1 + 1/32 bytes an
  element), Blackwell only; the scales run along the GEMM's reduction dimension, so every tensor is
  quantised row-wise and column-wise (two copies), as Transformer Engine's MXFP8 recipe does.
- ``nvfp4``: NVIDIA's NVFP4 (E2M1 elements, 16-element blocks with an E4M3 scale: 0.5 + 1/16
  bytes an element) at the fp4 peak, Blackwell only, after "Pretraining Large Language Models with
  NVFP4" (NVIDIA, arXiv:2509.25149): Fprop, Dgrad and Wgrad GEMMs in NVFP4, a Random Hadamard
  transform on Wgrad's inputs (a 16x16 matmul per block, one more read and write), stochastic
  rounding of gradients, and selective high-precision layers, about 15% of the linear layers left
  in BF16 (the share is this module's approximation of the paper's recipe, which keeps a few
  blocks at the end of the 12B model in BF16).
"""

from __future__ import annotations

from dataclasses import dataclass

from trillion.errors import InputError
from trillion.spec.hardware import Accelerator


@dataclass(frozen=True, kw_only=True, slots=True)
class Recipe:
    name: str
    peak: str  # the accelerator's peak table key its GEMMs run at
    element_bytes: float  # a quantised element with its share of the scales
    copies: int  # quantised copies written per tensor (row- and column-wise, or cast + transpose)
    extra_passes: float = 0.0  # more bf16 read+write passes per quantised gradient (NVFP4's Hadamard)
    high_precision_share: float = 0.0  # share of linear-layer FLOP left at the 16-bit peak
    block_scaled: bool = False  # needs hardware block scaling (Blackwell's fifth-generation tensor cores)

    @property
    def quantised(self) -> bool:
        return self.copies > 0

    def cast_bytes_per_element(self) -> float:
        """HBM bytes to quantise one bf16 element: read 2, write each copy, extra passes."""
        return 2.0 + self.copies * self.element_bytes + self.extra_passes * 4.0 if self.quantised else 0.0


RECIPES = {
    "bf16": Recipe(name="bf16", peak="bf16", element_bytes=2.0, copies=0),
    "fp16": Recipe(name="fp16", peak="fp16", element_bytes=2.0, copies=0),
    "fp8": Recipe(name="fp8", peak="fp8", element_bytes=1.0, copies=2),
    "mxfp8": Recipe(name="mxfp8", peak="fp8", element_bytes=1 + 1 / 32, copies=2, block_scaled=True),
    "nvfp4": Recipe(
        name="nvfp4",
        peak="fp4",
        element_bytes=0.5 + 1 / 16,
        copies=2,
        extra_passes=0.5,  # the Hadamard transform on Wgrad's inputs: half the quantised tensors
        high_precision_share=0.15,
        block_scaled=True,
    ),
}


def find_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise InputError("precision", None, f"must be one of {', '.join(RECIPES)}, got {name!r}") from None


def check_recipe(recipe: Recipe, acc: Accelerator) -> None:
    """`InputError` naming --precision when `acc` cannot run `recipe`, listing what it runs."""
    runs = [r.name for r in RECIPES.values() if _runs(r, acc)]
    if not _runs(recipe, acc):
        why = (
            "block-scaled formats need hardware block scaling (NVIDIA Blackwell)"
            if recipe.block_scaled and recipe.peak in acc.peak_flop_per_s
            else f"no published dense {recipe.peak} peak"
        )
        raise InputError(
            "precision",
            None,
            f"{acc.name} cannot train in {recipe.name} ({why}); precisions it runs: "
            + (", ".join(runs) or "none"),
        )


def _runs(recipe: Recipe, acc: Accelerator) -> bool:
    if recipe.peak not in acc.peak_flop_per_s:
        return False
    return not recipe.block_scaled or recipe.name in acc.block_scaled
