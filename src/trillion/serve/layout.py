"""How one serving replica is laid out over its devices: tensor, pipeline, attention data and
expert parallelism, as vLLM, SGLang and DeepSeek's inference system run them.

A replica is ``dp * tp * pp`` devices. Each pipeline stage holds ``1/pp`` of the layers. Inside a
stage, attention (and the dense layers) runs in ``dp`` groups of ``tp`` tensor-parallel ranks:
each group serves its own sequences, so its KV cache is not copied across groups ("DP attention",
SGLang's ``--enable-dp-attention``; DeepSeek's decode runs tp = 1 with dp = ep). The routed experts
are spread over all ``dp * tp`` devices of the stage: ``ep`` expert-parallel ranks, each holding
``E / ep`` experts, tensor-split ``dp * tp / ep`` ways (ep = 1: every expert tensor-parallel, the
vLLM default). With ep > 1 each MoE layer dispatches tokens to their experts' ranks and combines
the results (an all-to-all) instead of an all-reduce. ``redundant`` extra copies of the busiest
experts (DeepSeek's EPLB) make the expert count divisible by ep and cost their memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from trillion.errors import InputError

AXES = ("tp", "pp", "dp", "ep")
KEYS = (*AXES, "redundant")
MAX_AXIS = 4096


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeLayout:
    """Parallel degrees of one replica (see the module docstring)."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    redundant: int = 0  # extra expert copies per MoE layer (DeepSeek's EPLB: 32 in decode)

    @property
    def devices(self) -> int:
        return self.dp * self.tp * self.pp

    @property
    def stage_devices(self) -> int:
        """Devices of one pipeline stage (the experts of its layers are spread over them)."""
        return self.dp * self.tp

    def label(self) -> str:
        return ",".join(f"{a}={getattr(self, a)}" for a in KEYS if a in AXES or self.redundant)

    def to_dict(self) -> dict[str, int]:
        return {a: getattr(self, a) for a in KEYS}

    def validate(self, num_experts: int, where: str = "--layout") -> ServeLayout:
        """`InputError` naming the axis when the layout cannot serve a model with `num_experts`
        routed experts per MoE layer (0 for a dense model)."""
        for a in AXES:
            v = getattr(self, a)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_AXIS:
                raise InputError(where, a, f"must be an integer from 1 to {MAX_AXIS}, got {v!r}")
        if self.devices > MAX_AXIS:
            raise InputError(
                where, None, f"dp * tp * pp = {self.devices:,} devices; a replica has at most {MAX_AXIS}"
            )
        r = self.redundant
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r <= max(num_experts, 0):
            raise InputError(where, "redundant", f"must be 0 to the {num_experts} routed experts, got {r!r}")
        if self.ep > 1 and not num_experts:
            raise InputError(where, "ep", f"ep={self.ep} needs routed experts; this model is dense")
        if num_experts and (num_experts + r) % self.ep:
            extra = f" + {r} redundant" if r else ""
            raise InputError(
                where, "ep", f"ep={self.ep} does not divide the {num_experts}{extra} routed experts"
            )
        if self.stage_devices % self.ep:
            raise InputError(where, "ep", f"ep={self.ep} must divide dp * tp = {self.stage_devices}")
        return self


def parse_serve_layout(text: str, where: str = "--layout") -> ServeLayout:
    """``"tp=1,dp=8,ep=8"`` -> `ServeLayout` (axes not given are 1; checked by `validate`)."""
    values: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        key, sep, value = part.partition("=")
        key, digits = key.strip(), value.strip()
        if not sep or key not in KEYS:
            raise InputError(
                where, key[:20] or part[:20], f"expected key=value with key in {', '.join(KEYS)}"
            )
        if key in values:
            raise InputError(where, key, "given twice")
        low = 0 if key == "redundant" else 1
        if (
            not (digits.isascii() and digits.isdigit())
            or len(digits) > 5
            or not low <= int(digits) <= MAX_AXIS
        ):
            raise InputError(where, key, f"must be an integer from {low} to {MAX_AXIS}, got {digits[:20]!r}")
        values[key] = int(digits)
    if not values:
        raise InputError(
            where, None, f"give axes as key=value, e.g. tp=8 or dp=8,ep=8; got {str(text)[:40]!r}"
        )
    return ServeLayout(**values)
