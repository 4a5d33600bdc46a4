"""The closed sets of choices a plan is made of, each written once: a `Literal` for the type checker
and the tuple of its values for validation and search."""

from __future__ import annotations

from typing import Literal, get_args

# activation recomputation: "selective" the attention core (Korthikanti et al. 2022); "light" the norms,
# MLA up-projections and MoE activation (Megatron-Core's recompute modules layernorm, mla_up_proj,
# moe_act; DeepSeek-V3 §3.2.3); "full" each layer from its input
Recompute = Literal["none", "selective", "light", "full"]
RECOMPUTE: tuple[str, ...] = get_args(Recompute)
AttentionKernel = Literal["flash", "unfused"]  # fused causal-skipping kernel, or scores through memory
ATTENTION_KERNELS: tuple[str, ...] = get_args(AttentionKernel)
# mixed-precision recipes (trillion.plan.recipes)
TrainPrecision = Literal["bf16", "fp16", "fp8", "mxfp8", "nvfp4"]
TRAIN_PRECISIONS: tuple[str, ...] = get_args(TrainPrecision)
Schedule = Literal["1f1b", "interleaved"]
Framework = Literal["megatron", "fsdp2", "deepspeed"]  # training stacks (trillion.plan.frameworks)
FRAMEWORKS: tuple[str, ...] = get_args(Framework)
DEFAULT_FRAMEWORK: Framework = "deepspeed"  # the planner's default: the conservative, nothing-overlapped fit
ZERO_STAGES = (0, 1, 2, 3)  # 0 none, 1 optimizer states, 2 + gradients, 3 + parameters (FSDP)


def check_choice(value: object, choices: tuple, where: str) -> None:
    """`InputError` naming `where` unless `value` is one of `choices`."""
    if value not in choices:
        from trillion.errors import InputError

        shown = ", ".join(map(str, choices))
        raise InputError(where, None, f"must be one of {shown}, got {value!r}")
