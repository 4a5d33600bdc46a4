"""The inverse plan: how many accelerators finish a run by a deadline, with the same bands.

`plan_for_deadline` plans the run (`trillion.plan.train.plan_training`, layout searched) on a grid
of cluster sizes, whole nodes of the given cluster, ``node x 2^k`` and ``node x 1.5 x 2^k`` (1,536,
3,072, 6,144 ... are common sizes), and answers the fewest devices whose *expected* wall-clock
(failures, restarts, checkpoints and the reality gap; P50) is inside the deadline, and the fewest
whose P90 is (finishing with 90% confidence, as far as the bands go).

The scan starts just below the devices the deadline needs at 100% of peak with no failures (no plan
can do better), doubles until the expected P50 fits, then tries the 1.5x point between the last two
sizes. It stops when doubling no longer shortens the speed-of-light time by `SATURATION` (the batch
cannot be split further, or communication has taken over) or at `MAX_SCAN_DEVICES`. A deadline
shorter than the fastest speed-of-light time found is refused: no cluster of this kind makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from trillion.count.flop import forward_flop
from trillion.errors import InputError
from trillion.plan.recipes import find_recipe
from trillion.plan.train import TrainPlan, plan_training
from trillion.spec.hardware import Cluster
from trillion.spec.model import ModelSpec

# the largest cluster the scan tries: 262,144 devices, about today's largest announced sites
# (xAI's Colossus, ~200k GPUs in 2025) rounded up to a power of two
MAX_SCAN_DEVICES = 2**18
# doubling the devices must cut the speed-of-light days by at least this share, twice running,
# or the scan stops (an assumption: past that, more devices buy almost nothing)
SATURATION = 0.05


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlinePlan:
    """The result of `plan_for_deadline`: the answer, the plan behind it and every size tried."""

    deadline_days: float
    devices_p50: int  # fewest devices expected (P50) to finish in time
    devices_p90: int | None  # fewest devices whose P90 finishes in time (None: none tried)
    plan: TrainPlan  # the plan on `devices_p50` devices
    tried: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deadline_days": self.deadline_days,
            "devices_p50": self.devices_p50,
            "devices_p90": self.devices_p90,
            "tried": self.tried,
            "rule": "fewest devices of the scanned grid (whole nodes x 2^k and 1.5 x 2^k) whose expected"
            " wall-clock P50 (P90) is inside the deadline",
        }


def _row(plan: TrainPlan) -> dict[str, Any]:
    row: dict[str, Any] = {"devices": plan.cluster.num_devices, "fits": plan.fits}
    if plan.fits:
        row |= {
            "layout": plan.layout.label() if plan.layout else None,
            "speed_of_light_days": plan.speed_of_light_days,
            "planned_days_p50": plan.planned_days["p50"],
            "expected_days": plan.wall_clock_days,
            "accelerator_hours_p50": plan.accelerator_hours["p50"],
        }
    return row


def plan_for_deadline(
    spec: ModelSpec, cluster: Cluster, deadline_s: float, *, tokens: int, seq_len: int = 4096, **kw: Any
) -> DeadlinePlan:
    """Fewest devices of `cluster`'s kind (its accelerator, node and network; its size ignored) that
    train `spec` on `tokens` tokens within `deadline_s` seconds; `kw` as `plan_training`."""
    if not 0 < deadline_s < float("inf"):
        raise InputError("--deadline", None, f"must be a positive time, got {deadline_s:g} s")
    node = cluster.devices_per_node
    peak = cluster.accelerator.peak(find_recipe(kw.get("precision", "bf16")).peak)
    train_flop = 3.0 * forward_flop(spec, seq_len).total * tokens
    floor = train_flop / (deadline_s * peak)  # devices at 100% of peak, nothing lost
    start = node
    while start * 2 <= max(floor, node) and start * 2 <= MAX_SCAN_DEVICES:
        start *= 2
    plans: dict[int, TrainPlan] = {}

    acc = cluster.accelerator.name
    generic = cluster.name == f"{cluster.num_devices}x{acc}"  # make_cluster's name, else a preset's

    def at(n: int) -> TrainPlan:
        if n not in plans:
            name = f"{n}x{acc}" if generic else f"{cluster.name} as {n:,} devices"
            sized = replace(cluster, name=name, num_devices=n).validate()
            plans[n] = plan_training(spec, sized, tokens=tokens, seq_len=seq_len, **kw)
        return plans[n]

    def inside(p: TrainPlan, q: str) -> bool:
        return p.fits and p.wall_clock_days[q] * 86400 <= deadline_s

    n, hit, stalls, best_sol, saturated = start, None, 0, float("inf"), False
    while n <= MAX_SCAN_DEVICES:
        p = at(n)
        if inside(p, "p50"):
            hit = n
            break
        if p.fits:
            stalls = stalls + 1 if p.speed_of_light_days > best_sol * (1 - SATURATION) else 0
            best_sol = min(best_sol, p.speed_of_light_days)
            if stalls >= 2:
                saturated = True
                break
        n *= 2
    fastest = min((p for p in plans.values() if p.fits), key=lambda p: p.speed_of_light_days, default=None)
    days = deadline_s / 86400
    if hit is None:
        if fastest is None:
            raise InputError(
                "--deadline",
                None,
                f"no cluster of {acc} up to {max(plans):,} devices fits the run in memory",
            )
        sol, m = fastest.speed_of_light_days, fastest.cluster.num_devices
        if days < sol:
            raise InputError(
                "--deadline",
                None,
                f"{days:.3g} days is shorter than the speed of light for this stack: {sol:.3g} days at best"
                f" ({m:,} x {acc}, no failures); "
                + (
                    "more devices stop helping past that"
                    if saturated
                    else f"the scan stops at {max(plans):,}"
                ),
            )
        soonest = min((p for p in plans.values() if p.fits), key=lambda p: p.wall_clock_days["p50"])
        raise InputError(
            "--deadline",
            None,
            f"{days:.3g} days is above the speed of light ({sol:.3g} days on {m:,} devices) but no plan is"
            f" expected to finish by then (soonest expected P50 {soonest.wall_clock_days['p50']:.3g} days, on"
            f" {soonest.cluster.num_devices:,}): failures, restarts and the reality gap take the rest",
        )
    half = hit // 2
    if half in plans and half * 3 % 2 == 0 and (half * 3 // 2) % node == 0:
        if inside(at(half * 3 // 2), "p50"):
            hit = half * 3 // 2
    # P90: the same grid upward from the answer, a few sizes at most
    p90 = None
    grid = sorted({*plans, *(hit * 2**k for k in range(4)), *(hit * 3 * 2**k // 2 for k in range(3))})
    for m in [g for g in grid if hit <= g <= MAX_SCAN_DEVICES and g % node == 0]:
        if inside(at(m), "p90"):
            p90 = m
            break
    tried = [_row(plans[k]) | {"answer": k == hit} for k in sorted(plans)]
    return DeadlinePlan(deadline_days=days, devices_p50=hit, devices_p90=p90, plan=plans[hit], tried=tried)
