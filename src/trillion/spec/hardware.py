"""Accelerators and clusters as frozen data, in base units (FLOP/s, byte, byte/s, W).

Peaks are dense (never the "with sparsity" datasheet figure) and per dtype; a dtype the device
does not support is absent, never zero. Interconnect bandwidths are per device and per direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trillion.errors import InputError

MAX_DEVICES = 2**21  # bounded work: about 2 million accelerators, ten times today's largest clusters


@dataclass(frozen=True, kw_only=True, slots=True)
class Accelerator:
    """One accelerator (a GPU, a TPU chip, a Gaudi card).

    ``scale_up_domain`` is how many devices share the fast fabric (NVLink/NVSwitch, xGMI, ICI);
    ``scale_up_bytes_per_s`` is per device per direction on it; ``scale_out_bytes_per_s`` the
    typical per-device network bandwidth beyond it. ``measured_flop_per_s`` is the maximum
    achievable matmul throughput measured by others (MAMF), where published.
    """

    name: str
    display_name: str
    vendor: str
    peak_flop_per_s: dict[str, float]
    memory_bytes: float
    memory_bytes_per_s: float
    tdp_w: float | None
    scale_up_domain: int
    scale_up_bytes_per_s: float | None
    scale_out_bytes_per_s: float | None
    measured_flop_per_s: dict[str, float] = field(default_factory=dict)
    block_scaled: tuple[str, ...] = ()  # block-scaled training formats its tensor cores run (mxfp8, nvfp4)
    source: str = ""
    unverified: str = ""

    def peak(self, dtype: str) -> float:
        """Dense peak FLOP/s for `dtype`; `InputError` when the device has no such datapath."""
        try:
            return self.peak_flop_per_s[dtype]
        except KeyError:
            have = ", ".join(sorted(self.peak_flop_per_s))
            raise InputError(self.name, "peak", f"no published dense {dtype} peak (has: {have})") from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (base units, as the fields)."""
        return {k: getattr(self, k) for k in ("name", "display_name", "peak_flop_per_s", "memory_bytes",
                "memory_bytes_per_s", "tdp_w", "scale_up_domain", "scale_up_bytes_per_s", "scale_out_bytes_per_s",
                "block_scaled", "source", "unverified")}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class Cluster:
    """Devices of one kind, nodes of ``devices_per_node``, two network tiers.

    Tier 1 (scale-up) spans ``scale_up_domain`` devices at ``scale_up_bytes_per_s``; tier 2
    (scale-out) connects domains at ``scale_out_bytes_per_s`` per device.
    """

    name: str
    accelerator: Accelerator
    num_devices: int
    devices_per_node: int
    scale_up_domain: int
    scale_up_bytes_per_s: float
    scale_out_bytes_per_s: float
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "accelerator": self.accelerator.name, "num_devices": self.num_devices,
                "scale_up_bytes_per_s": self.scale_up_bytes_per_s, "scale_out_bytes_per_s": self.scale_out_bytes_per_s,
                "source": self.source}  # fmt: skip

    def validate(self) -> Cluster:
        for key in ("num_devices", "devices_per_node", "scale_up_domain"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InputError(self.name, key, f"must be a positive integer, got {value!r}")
        if self.num_devices > MAX_DEVICES:
            raise InputError(
                "gpus",
                None,
                f"{self.num_devices:,} devices is over the {MAX_DEVICES:,} this planner accepts",
            )
        for key in ("scale_up_bytes_per_s", "scale_out_bytes_per_s"):
            if not getattr(self, key) > 0:
                raise InputError(self.name, key, f"must be positive, got {getattr(self, key)!r}")
        return self
