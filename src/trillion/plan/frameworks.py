"""Framework profiles: what a training stack overlaps and fuses, applied to a `Calibration`.

- ``megatron`` (Megatron-Core / NeMo / Megatron-Bridge): distributed optimizer (ZeRO-1), gradient
  reduction bucketed under the backward (``overlap_grad_reduce``), TP communication overlapped with
  GEMMs (userbuffers, ``tp_comm_overlap``), MoE all-to-all overlapped where the recipe enables it;
  Transformer Engine's fused kernels (element-wise factor 1) and its cuDNN flash attention.
- ``fsdp2`` (torchtitan, NeMo Automodel): per-layer FSDP2 sharding (ZeRO-3) with the next layer's
  all-gather prefetched under this layer's compute (always modelled for ZeRO-3), vanilla TP (no
  overlap), eager PyTorch element-wise kernels unless ``compiled`` (torch.compile fuses them),
  PyTorch's scaled_dot_product_attention (its flash kernel) for attention.
- ``deepspeed`` (Megatron-DeepSpeed, as in vTrain's measurements): nothing overlapped, the
  element-wise work as fitted on vTrain.

Every overlap, factor and attention efficiency here is a constant of the calibration file in use (its ``[framework.NAME]``
table); a calibration without one leaves the constants as they are (the vTrain fit's zeros).
"""

from __future__ import annotations

from trillion.errors import InputError
from trillion.plan.perf import Calibration
from trillion.spec.choices import FRAMEWORKS, check_choice

PROFILE_KEYS = ("tp_overlap", "dp_overlap", "ep_overlap", "elementwise_factor", "eta_attn")
DEFAULT_ZERO = {"megatron": 1, "fsdp2": 3, "deepspeed": 1}
# the ZeRO stages the search tries per stack, its default first (the search keeps the first of
# equally fast layouts): Megatron-Core's distributed optimizer or none; FSDP2 resharding after
# forward (3) or not (2, reshard_after_forward=False); DeepSpeed's stages 1 and 2 (its profile is
# vTrain's ZeRO-1 fit: nothing measured its ZeRO-3 prefetch, so stage 3 is planned when asked)
ZERO_SEARCHED = {"megatron": (1, 0), "fsdp2": (3, 2), "deepspeed": (1, 2)}


def for_framework(cal: Calibration, framework: str, *, compiled: bool = False) -> Calibration:
    """`cal` with the named framework's overlaps and element-wise factor (from the calibration's
    ``[framework.NAME]`` table); ``compiled`` (torch.compile) fuses element-wise work (factor 1)."""
    check_choice(framework, FRAMEWORKS, "framework")
    profile = dict(dict(cal.frameworks).get(framework, ()))
    if compiled:
        if framework != "fsdp2":
            raise InputError("compile", None, f"applies to the fsdp2 framework only, not {framework!r}")
        profile["elementwise_factor"] = 1.0
    return cal.with_(**profile, framework=framework)
