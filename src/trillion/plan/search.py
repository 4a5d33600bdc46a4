"""Layout search: enumerate every valid layout as arrays, prune on memory, rank on step time.

Axes searched: tp (powers of two within the scale-up domain and dividing the heads), pp (dividing
the world size, at least two layers per stage; stages may be uneven), cp, ep (dividing the experts
and tp*dp*cp: MoE parallel folding), etp (expert tensor parallel: powers of two up to 8 within the
scale-up domain, dividing the expert width, etp*ep dividing tp*dp*cp), mbs, ZeRO stage, recompute,
interleaving and (MoE) DualPipe. Constraints: dp*tp*pp*cp = world size; the global batch
divides into dp*mbs micro-batches; pp <= layers. Everything is computed on numpy arrays in one
pass, so the search costs milliseconds to a second even for trillion-parameter MoEs on 16k devices.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trillion.count.dims import ModelDims
from trillion.plan.memory import memory_per_device
from trillion.plan.perf import Calibration, StepTime, step_time
from trillion.spec.choices import RECOMPUTE
from trillion.spec.hardware import Cluster
from trillion.spec.layout import Layout


def _pow2_upto(n: int) -> list[int]:
    out, v = [], 1
    while v <= n:
        out.append(v)
        v *= 2
    return out


def _divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0]


@dataclass(frozen=True, kw_only=True, slots=True)
class SearchResult:
    """Ranked feasible layouts (best first) and, per rejected family, why."""

    layouts: list[Layout]
    step_s: np.ndarray
    memory_bytes: np.ndarray
    rejected: dict[str, str] = field(default_factory=dict)
    evaluated: int = 0


def candidate_arrays(
    d: ModelDims,
    cluster: Cluster,
    global_batch: int,
    *,
    zero_stages=(1,),
    recompute=RECOMPUTE,
    max_cp: int = 8,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """All structurally valid layouts as parallel arrays, and the families structure excluded."""
    world = cluster.num_devices
    rejected: dict[str, str] = {}
    tps = [t for t in _pow2_upto(min(cluster.scale_up_domain, d.heads)) if d.heads % t == 0]
    # uneven stages are allowed (Megatron's first/last-stage layer counts): pp up to half the layers
    pps = [p for p in _divisors(world) if p == 1 or 2 * p <= d.num_layers]
    cps = [c for c in _pow2_upto(max_cp)]
    eps = [e for e in _divisors(d.num_experts)] if d.num_experts else [1]
    etps = (
        [t for t in _pow2_upto(min(cluster.scale_up_domain, 8)) if d.expert_width % t == 0]
        if d.num_moe_layers
        else [1]
    )
    rows = []
    for tp, pp, cp in itertools.product(tps, pps, cps):
        if world % (tp * pp * cp):
            continue
        dp = world // (tp * pp * cp)
        for ep, etp in itertools.product(eps, etps):
            if (tp * dp * cp) % (ep * etp):
                continue
            for mbs in (1, 2, 4, 8):
                if global_batch % (dp * mbs):
                    continue
                # interleaved 1F1B (vpp 2) or, for MoE stacks, DualPipe (flag -1 in the vpp column)
                schedules = ((1, 2) + ((-1,) if d.num_moe_layers else ())) if pp > 1 else (1,)
                for vpp in schedules:
                    if vpp > 1 and d.num_layers % (pp * vpp):
                        continue
                    rows.append((dp, tp, pp, cp, ep, etp, mbs, vpp))
    if not rows:
        rejected["all layouts"] = (
            f"no dp*tp*pp*cp = {world} with tp in {tps} (scale-up domain {cluster.scale_up_domain}, "
            f"{d.heads} heads) divides the global batch of {global_batch} sequences into micro-batches"
        )
        return {}, rejected
    # every structural row crossed with the ZeRO stages, in blocks of one recompute choice each (a
    # contiguous slice per choice); within a block a row's stages stay together in the order given,
    # so a stable sort keeps the first of equally fast stages
    base = np.array(rows, dtype=np.int64)
    nz, nr = len(zero_stages), len(recompute)
    a = np.tile(np.repeat(base, nz, axis=0), (nr, 1)).T
    names = ("dp", "tp", "pp", "cp", "ep", "etp", "mbs", "vpp")
    out = dict(zip(names, a, strict=True))
    out["zero"] = np.tile(np.asarray(zero_stages, dtype=np.int64), len(rows) * nr)
    out["recompute_idx"] = np.repeat(np.arange(nr, dtype=np.int64), len(rows) * nz)
    out["dualpipe"] = out["vpp"] < 0
    out["vpp"] = np.abs(out["vpp"])
    return out, rejected


def search(
    d: ModelDims,
    cluster: Cluster,
    *,
    seq_len: int,
    global_batch: int,
    cal: Calibration,
    precision: str = "bf16",
    dtype: str = "bf16",
    zero_stages=(1,),
    recompute=RECOMPUTE,
    top: int = 5,
    max_cp: int = 8,
    memory_limit_bytes: float | None = None,
    optimizer: str = "adamw",
) -> SearchResult:
    """Best `top` layouts by step time among those that fit; reasons for the rest."""
    arrays, rejected = candidate_arrays(
        d, cluster, global_batch, zero_stages=zero_stages, recompute=recompute, max_cp=max_cp
    )
    if not arrays:
        return SearchResult(layouts=[], step_s=np.array([]), memory_bytes=np.array([]), rejected=rejected)
    limit = memory_limit_bytes or cluster.accelerator.memory_bytes
    n = len(arrays["dp"])
    rec = np.array(recompute)[arrays["recompute_idx"]]
    mem = np.empty(n)
    axes = ("dp", "tp", "pp", "mbs", "cp", "ep", "etp", "vpp", "zero", "dualpipe")

    def layouts_of(sel: np.ndarray | slice) -> dict[str, Any]:
        return {k: arrays[k][sel] for k in axes}

    block = n // len(recompute)  # one contiguous block per recompute choice (candidate_arrays)
    for i, r in enumerate(recompute):  # recompute is a string axis: one vectorised call each
        sel = slice(i * block, (i + 1) * block)
        if block:
            mem[sel] = memory_per_device(
                d,
                seq_len=seq_len,
                global_batch=global_batch,
                **layouts_of(sel),
                recompute=r,
                precision=precision,
                attention_kernel=cal.attention_kernel,
                optimizer=optimizer,
            )["total"]
    fits = mem <= limit
    if not fits.any():
        i = int(np.argmin(mem))
        rejected["memory"] = (
            f"no layout fits: the leanest needs {mem[i] / 2**30:.1f} GiB per device, "
            f"{limit / 2**30:.1f} GiB available (dp={arrays['dp'][i]}, tp={arrays['tp'][i]}, "
            f"pp={arrays['pp'][i]}, ep={arrays['ep'][i]}, recompute={rec[i]})"
        )
        return SearchResult(
            layouts=[], step_s=np.array([]), memory_bytes=np.array([]), rejected=rejected, evaluated=n
        )
    rejected_mem = int((~fits).sum())
    if rejected_mem:
        rejected["memory"] = f"{rejected_mem} of {n} layouts exceed {limit / 2**30:.1f} GiB per device"
    steps = np.full(n, np.inf)
    for i, r in enumerate(recompute):
        sel = (arrays["recompute_idx"] == i) & fits
        if sel.any():
            st: StepTime = step_time(
                d,
                cluster,
                seq_len=seq_len,
                global_batch=global_batch,
                **layouts_of(sel),
                recompute=r,
                dtype=dtype,
                cal=cal,
                optimizer=optimizer,
            )
            steps[sel] = st.step_s
    order = np.argsort(steps, kind="stable")[: min(top, int(fits.sum()))]  # ties: the earlier axis value
    layouts = [
        Layout(
            dp=int(arrays["dp"][i]),
            tp=int(arrays["tp"][i]),
            pp=int(arrays["pp"][i]),
            cp=int(arrays["cp"][i]),
            ep=int(arrays["ep"][i]),
            etp=int(arrays["etp"][i]),
            mbs=int(arrays["mbs"][i]),
            vpp=int(arrays["vpp"][i]),
            dualpipe=bool(arrays["dualpipe"][i]),
            zero=int(arrays["zero"][i]),
            recompute=str(rec[i]),  # type: ignore[arg-type]
        )
        for i in order
    ]
    return SearchResult(
        layouts=layouts, step_s=steps[order], memory_bytes=mem[order], rejected=rejected, evaluated=n
    )
