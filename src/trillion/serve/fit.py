"""What it takes to make a model fit given hardware: devices needed per weight precision, which
precisions fit the devices one has, the most accurate one that does, and the published evidence
of what each precision costs in quality."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trillion.count.dims import serve_dims
from trillion.serve.perf import load_serve_calibration
from trillion.serve.plan import (
    DEVICE_COUNTS,
    PRECISIONS,
    memory_per_device,
    min_devices,
    quality_rows,
    sequence_bytes_per_device,
    split,
)
from trillion.spec.hardware import Accelerator
from trillion.spec.model import ModelSpec


def _quality_summary(weights: str) -> str:
    if weights == "bf16":
        return "reference"
    rows = quality_rows(weights)
    if not rows:
        return "no published result shipped"
    units = {"perplexity (lower is better)": "ppl", "accuracy points": "pts", "% of baseline accuracy": "%"}
    r = rows[0]
    more = f" +{len(rows) - 1} more" if len(rows) > 1 else ""
    return f"{r['delta']} {units.get(r['unit'], r['unit'])} ({r['model']}){more}"


@dataclass(frozen=True, kw_only=True, slots=True)
class FitOptions:
    """`fit_options`'s answer: per precision (most accurate first) the devices needed, whether the
    given count suffices and how many sequences then fit; a one-line verdict."""

    model: str
    accelerator: str
    devices: int
    context: int
    kv: str
    options: list[dict[str, Any]]
    verdict: str
    assumptions: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def fit_options(
    spec: ModelSpec, acc: Accelerator, count: int, *, kv: str = "bf16", context: int = 4096
) -> FitOptions:
    """Per precision (most accurate first): devices needed, whether `count` devices suffice, and
    how many `context`-token sequences then fit; plus a one-line verdict."""
    cal = load_serve_calibration().for_device(acc.name)
    options: list[dict[str, Any]] = []
    for w in PRECISIONS:
        d = serve_dims(spec, w, kv)
        need = min_devices(d, acc, context, cal)
        fits = need is not None and need <= count and count in DEVICE_COUNTS
        conc = 0
        if fits:
            lay = split(acc, count)
            mem = memory_per_device(d, acc, lay, cal)
            conc = int(mem.kv_capacity // sequence_bytes_per_device(d, lay, context))
        options.append(
            {
                "weights": w,
                "weight_bytes": d.weight_bytes,
                "devices_needed": need,
                "fits": fits,
                "max_concurrency": conc,
                "quality": _quality_summary(w),
            }
        )
    best = next((o for o in options if o["fits"]), None)
    if best:
        verdict = (
            f"Fits: {best['weights']} weights on {count} x {acc.name} ({best['max_concurrency']:,} sequences of "
            f"{context} tokens); it is the most accurate precision that fits."
        )
    else:
        fewest = min(
            (o for o in options if o["devices_needed"]), key=lambda o: o["devices_needed"], default=None
        )
        if fewest is None:
            verdict = f"Does not fit: not even {DEVICE_COUNTS[-1]} x {acc.name} at fp4 hold it with one {context}-token sequence."
        else:
            verdict = (
                f"Does not fit on {count} x {acc.name}: the leanest option is {fewest['weights']} on "
                f"{fewest['devices_needed']} devices ({fewest['weight_bytes'] / 2**30:,.0f} GiB of weights against "
                f"{count * acc.memory_bytes / 2**30:,.0f} GiB of HBM)."
            )
    return FitOptions(
        model=spec.name, accelerator=acc.name, devices=count, context=context, kv=kv, options=options, verdict=verdict,
        assumptions=[
            f"usable HBM {cal.gpu_memory_utilization:.0%}; runtime overhead {cal.runtime_overhead_bytes / 2**30:.1f} GiB "
            "per device; tensor parallel within 8 devices, pipeline beyond; device counts are powers of two"
        ],
    )  # fmt: skip
