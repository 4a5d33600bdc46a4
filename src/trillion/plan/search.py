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
    max_cp: int = 8,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """All structurally valid layouts (every axis but ZeRO stage and recompute) as parallel arrays,
    and the families structure excluded."""
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
    names = ("dp", "tp", "pp", "cp", "ep", "etp", "mbs", "vpp")
    out = dict(zip(names, np.array(rows, dtype=np.int64).T, strict=True))
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
    """Best `top` layouts by step time among those that fit; reasons for the rest.

    Every structural row (`candidate_arrays`) is crossed with the ZeRO stages and the recompute
    choices. Memory and step time are computed once per recompute choice on the structural rows as
    a column, with the stages as a row: only the state sharding (memory) and the FSDP exchange
    (step time) depend on the stage, so numpy broadcasts those and nothing else is repeated. The
    candidates are ordered recompute, structural row, stage; ties keep the earliest (stable)."""
    arrays, rejected = candidate_arrays(d, cluster, global_batch, max_cp=max_cp)
    if not arrays:
        return SearchResult(layouts=[], step_s=np.array([]), memory_bytes=np.array([]), rejected=rejected)
    limit = memory_limit_bytes or cluster.accelerator.memory_bytes
    rows, nz, nr = len(arrays["dp"]), len(zero_stages), len(recompute)
    n = rows * nz * nr
    axes = ("dp", "tp", "pp", "mbs", "cp", "ep", "etp", "vpp", "dualpipe")
    zeros = np.asarray(zero_stages, dtype=np.int64)[None, :]  # (1, nz) against (rows, 1)

    def column(sel: np.ndarray | slice) -> dict[str, Any]:
        return {k: arrays[k][sel][:, None] for k in axes}

    mem = np.empty((nr, rows, nz))
    for i, r in enumerate(recompute):  # recompute is a string axis: one vectorised call each
        mem[i] = np.broadcast_to(
            memory_per_device(
                d,
                seq_len=seq_len,
                global_batch=global_batch,
                **column(slice(None)),
                zero=zeros,
                recompute=r,
                precision=precision,
                attention_kernel=cal.attention_kernel,
                optimizer=optimizer,
            )["total"],
            (rows, nz),
        )
    fits = mem <= limit
    if not fits.any():
        ri, rj, _ = (int(x) for x in np.unravel_index(int(np.argmin(mem)), mem.shape))
        rejected["memory"] = (
            f"no layout fits: the leanest needs {mem.min() / 2**30:.1f} GiB per device, "
            f"{limit / 2**30:.1f} GiB available (dp={arrays['dp'][rj]}, tp={arrays['tp'][rj]}, "
            f"pp={arrays['pp'][rj]}, ep={arrays['ep'][rj]}, recompute={recompute[ri]})"
        )
        return SearchResult(
            layouts=[], step_s=np.array([]), memory_bytes=np.array([]), rejected=rejected, evaluated=n
        )
    rejected_mem = int((~fits).sum())
    if rejected_mem:
        rejected["memory"] = f"{rejected_mem} of {n} layouts exceed {limit / 2**30:.1f} GiB per device"
    steps = np.full((nr, rows, nz), np.inf)
    for i, r in enumerate(recompute):
        sel = fits[i].any(axis=1)  # structural rows with at least one stage that fits
        if sel.any():
            st: StepTime = step_time(
                d,
                cluster,
                seq_len=seq_len,
                global_batch=global_batch,
                **column(sel),
                zero=zeros,
                recompute=r,
                dtype=dtype,
                cal=cal,
                optimizer=optimizer,
            )
            steps[i, sel] = np.where(fits[i, sel], np.broadcast_to(st.step_s, (int(sel.sum()), nz)), np.inf)
    flat_steps, flat_mem = steps.ravel(), mem.ravel()
    k = min(top, int(fits.sum()))
    # the k fastest without sorting every candidate: all at or under the k-th time, then a stable
    # sort of those (the same order a stable argsort of everything gives)
    kth = np.partition(flat_steps, k - 1)[k - 1]
    near = np.flatnonzero(flat_steps <= kth)
    order = near[np.argsort(flat_steps[near], kind="stable")][:k]
    rec_i, row_i, zero_i = np.unravel_index(order, (nr, rows, nz))
    layouts = [
        Layout(
            dp=int(arrays["dp"][j]),
            tp=int(arrays["tp"][j]),
            pp=int(arrays["pp"][j]),
            cp=int(arrays["cp"][j]),
            ep=int(arrays["ep"][j]),
            etp=int(arrays["etp"][j]),
            mbs=int(arrays["mbs"][j]),
            vpp=int(arrays["vpp"][j]),
            dualpipe=bool(arrays["dualpipe"][j]),
            zero=int(zero_stages[z]),
            recompute=recompute[i],  # type: ignore[arg-type]
        )
        for i, j, z in zip(rec_i, row_i, zero_i, strict=True)
    ]
    return SearchResult(
        layouts=layouts,
        step_s=flat_steps[order],
        memory_bytes=flat_mem[order],
        rejected=rejected,
        evaluated=n,
    )
