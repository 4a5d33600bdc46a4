"""A parallel layout for training, and the workload it runs.

Axes: ``dp`` data, ``tp`` tensor, ``pp`` pipeline, ``cp`` context (sequence split across devices
for attention), ``ep`` expert (MoE experts spread over devices) and ``etp`` expert tensor (each
expert's width split over devices): the expert grid ``etp * ep * edp`` is carved out of
``tp * dp * cp`` (Megatron-Core's MoE parallel folding), so ``etp * ep`` must divide it. World
size = dp * tp * pp * cp. ``mbs`` is the micro-batch size in sequences, ``vpp`` the virtual stages
per device of an interleaved schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trillion.errors import InputError
from trillion.spec.choices import RECOMPUTE, ZERO_STAGES, Recompute, Schedule


@dataclass(frozen=True, kw_only=True, slots=True)
class Layout:
    dp: int = 1
    tp: int = 1
    pp: int = 1
    cp: int = 1
    ep: int = 1
    etp: int = 1  # expert tensor parallel (Megatron-Core --expert-tensor-parallel-size)
    mbs: int = 1
    vpp: int = 1
    zero: int = 1  # 0 none, 1 optimizer states, 2 + gradients, 3 + parameters (FSDP)
    recompute: Recompute = "selective"
    sequence_parallel: bool = True
    # DeepSeek-V3's DualPipe (arXiv:2412.19437 §3.2.1): forward and backward chunks of two
    # micro-batches overlapped so the MoE all-to-all and pipeline sends hide under compute, a
    # bidirectional schedule with half 1F1B's fill and drain, two copies of each stage's weights
    dualpipe: bool = False

    @property
    def world_size(self) -> int:
        return self.dp * self.tp * self.pp * self.cp

    @property
    def schedule(self) -> Schedule:
        return "interleaved" if self.vpp > 1 else "1f1b"

    def step_kwargs(self, seq_len: int, global_batch: int) -> dict[str, Any]:
        """The keywords `trillion.plan.perf.step_time` and `trillion.plan.memory.memory_per_device`
        share for this layout (every axis but sequence parallelism, which only memory takes)."""
        return {
            "seq_len": seq_len,
            "global_batch": global_batch,
            "dp": self.dp,
            "tp": self.tp,
            "pp": self.pp,
            "mbs": self.mbs,
            "cp": self.cp,
            "ep": self.ep,
            "etp": self.etp,
            "vpp": self.vpp,
            "dualpipe": self.dualpipe,
            "zero": self.zero,
            "recompute": self.recompute,
        }

    def label(self) -> str:
        parts = [f"dp={self.dp}", f"tp={self.tp}", f"pp={self.pp}"]
        if self.cp > 1:
            parts.append(f"cp={self.cp}")
        if self.ep > 1:
            parts.append(f"ep={self.ep}")
        if self.etp > 1:
            parts.append(f"etp={self.etp}")
        if self.vpp > 1:
            parts.append(f"vpp={self.vpp}")
        if self.dualpipe:
            parts.append("dualpipe=1")
        parts += [f"mbs={self.mbs}", f"zero={self.zero}", f"recompute={self.recompute}"]
        return ",".join(parts)

    def validate_for(self, world_size: int, where: str = "layout") -> Layout:
        """Raise `InputError` with the arithmetic when the layout cannot run on `world_size`."""
        for axis in ("dp", "tp", "pp", "cp", "ep", "etp", "mbs", "vpp"):
            value = getattr(self, axis)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(where, axis, f"must be a positive integer, got {value!r}")
        if self.zero not in ZERO_STAGES:
            raise InputError(where, "zero", f"must be 0, 1, 2 or 3, got {self.zero!r}")
        if self.dualpipe and (self.pp < 2 or self.vpp > 1):
            raise InputError(
                where, "dualpipe", f"needs pp >= 2 and no interleaving (pp={self.pp}, vpp={self.vpp})"
            )
        if self.recompute not in RECOMPUTE:
            raise InputError(
                where, "recompute", f"must be one of {', '.join(RECOMPUTE)}, got {self.recompute!r}"
            )
        if self.world_size != world_size:
            raise InputError(
                where,
                None,
                f"dp({self.dp}) * tp({self.tp}) * pp({self.pp}) * cp({self.cp}) = {self.world_size}"
                f" != world_size({world_size})",
            )
        if (self.tp * self.dp * self.cp) % self.ep:
            raise InputError(
                where, "ep", f"ep({self.ep}) must divide tp({self.tp}) * dp({self.dp}) * cp({self.cp})"
            )
        if (self.tp * self.dp * self.cp) % (self.etp * self.ep):
            raise InputError(
                where,
                "etp",
                f"etp({self.etp}) * ep({self.ep}) must divide tp({self.tp}) * dp({self.dp}) * cp({self.cp})"
                " (the expert grid etp x ep x expert-dp folds onto the attention's tp x dp x cp)",
            )
        return self


def parse_layout(text: str, where: str = "layout") -> dict[str, int | str | bool]:
    """``"tp=8,pp=16,ep=64,dp=8,mbs=1"`` -> keyword arguments for `Layout` (values checked later)."""
    out: dict[str, int | str | bool] = {}
    fields = {
        "dp",
        "tp",
        "pp",
        "cp",
        "ep",
        "etp",
        "mbs",
        "vpp",
        "zero",
        "recompute",
        "sequence_parallel",
        "dualpipe",
    }
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise InputError(where, key or part, f"expected key=value with key in {sorted(fields)}")
        if key == "recompute":
            out[key] = value.strip()
        elif key in ("sequence_parallel", "dualpipe"):
            flag = value.strip().lower()
            if flag not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
                raise InputError(where, key, f"must be 1 or 0 (true/false), got {value!r}")
            out[key] = flag in ("1", "true", "yes", "on")
        else:
            digits = value.strip()
            lowest = 0 if key == "zero" else 1
            if not (digits.isascii() and digits.isdigit()) or len(digits) > 8 or int(digits) < lowest:
                kind = "0, 1, 2 or 3" if key == "zero" else "a positive integer"
                raise InputError(where, key, f"must be {kind}, got {value!r}")
            out[key] = int(digits)
    return out


def complete_layout(fields: dict[str, int | str | bool], world_size: int, where: str = "layout") -> Layout:
    """A `Layout` from the axes given (`parse_layout`'s output) on `world_size` devices: ``dp`` is
    whatever the given ``tp * pp * cp`` leave (``world // (tp * pp * cp)``) unless given; then
    validated against the world size."""
    kwargs = dict(fields)
    if "dp" not in kwargs:
        denom = int(kwargs.get("tp", 1)) * int(kwargs.get("pp", 1)) * int(kwargs.get("cp", 1))
        kwargs["dp"] = max(1, world_size // denom)
    return Layout(**kwargs).validate_for(world_size, where)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True, slots=True)
class Workload:
    """What one optimizer step processes: ``global_batch`` sequences of ``seq_len`` tokens."""

    seq_len: int
    global_batch: int
    dtype: str = "bf16"  # matmul datapath: bf16 or fp8

    @property
    def tokens_per_step(self) -> int:
        return self.seq_len * self.global_batch
