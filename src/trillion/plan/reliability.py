"""A run at scale as it really goes: interruptions, restarts and checkpoints, and the goodput
(share of wall-clock spent on steps that count) they leave.

Model (Young 1974; Daly 2006, first order): a job on ``N`` devices is interrupted at rate
``lambda * N`` per hour (mean time between interruptions ``M = 1 / (lambda N)``); it writes a
checkpoint of the model states every ``tau`` seconds, each write stalling the job ``delta =
checkpoint bytes / storage bandwidth``; an interruption costs a restart ``R`` (detect, reschedule,
reload) plus the work since the last checkpoint, on average half a segment. The time spent per
useful segment ``tau`` is ``(tau + delta) * (1 + (R + (tau + delta) / 2) / M)``, so

    goodput = tau / ((tau + delta) * (1 + (R + (tau + delta) / 2) / M))

and without a given interval the planner takes Young's optimum ``tau = sqrt(2 delta M)``.
Goodput never rises with the cluster (M falls as 1/N) and does not depend on the run's length
(a steady state: every hour of a run is as exposed as any other).

Sources and assumptions (each carried into the plan's assumptions):
- interruption rate: Llama 3 (Dubey et al. 2024, §3.3.4, Table 5): 466 job interruptions (419
  unexpected, 47 planned) in a 54-day snapshot on 16,384 H100s, 2.19e-5 per GPU-hour; ~78% of the
  unexpected ones hardware. The lognormal spread around it (P10-P90 half to twice) is this
  module's assumption: younger fleets and stacks fail more often (OPT-175B's logbook).
- restart: mode 11 minutes, the median automatic-retry interval of a 63-node B200 production
  cluster (SKT / Upstage / Lablup / NVIDIA Korea / VAST Data technical report, 2026); the 5-30 min
  bounds are this module's assumption.
- storage: 122 MB/s of checkpoint write bandwidth per device, Llama 3's Tectonic (§3.3.1: 2 TB/s
  sustained for 16,384 GPUs); the job's bandwidth grows with its devices (each rank writes its
  shard).
- checkpoint size: every parameter's weight plus its optimizer state, master copy included
  (`trillion.plan.memory.STATE_BYTES`, `trillion.plan.optimizers.state_bytes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trillion.dist import SAMPLES, Dist
from trillion.errors import InputError

LLAMA3_INTERRUPTIONS = 466  # Llama 3 §3.3.4: 419 unexpected + 47 planned, in 54 days
LLAMA3_GPUS = 16_384
LLAMA3_DAYS = 54
LLAMA3_RATE_PER_DEVICE_H = LLAMA3_INTERRUPTIONS / (LLAMA3_GPUS * LLAMA3_DAYS * 24)
# the rate's spread: lognormal, P90 = 2x the median and P10 = half (an assumption: younger fleets
# and stacks fail more often, OPT-175B's logbook; mature ones less)
RATE_SPREAD = 2.0
RATE_SOURCE = (
    "interruptions per device-hour: median Llama 3 §3.3.4 (466 in 54 days on 16,384 H100 = 2.19e-5),"
    " lognormal with P10-P90 at 0.5-2x (an assumption)"
)
RESTART_S = Dist(
    5 * 60.0,
    11 * 60.0,
    30 * 60.0,
    "restart (detect, reschedule, reload) seconds: mode 11 min, a 2026 B200 production cluster's median"
    " automatic retry; 5-30 min bounds an assumption",
)
STORAGE_BYTES_PER_S_PER_DEVICE = 2e12 / 16_384  # Llama 3 §3.3.1: Tectonic, 2 TB/s sustained


@dataclass(frozen=True, kw_only=True, slots=True)
class Reliability:
    """How a cluster fails and recovers; the defaults are the module's sourced figures."""

    rate_per_device_h: float = LLAMA3_RATE_PER_DEVICE_H  # median interruptions per device-hour
    rate_spread: float = RATE_SPREAD  # P90 / P50 of the lognormal rate
    restart_s: Dist = RESTART_S
    storage_bytes_per_s_per_device: float = STORAGE_BYTES_PER_S_PER_DEVICE
    checkpoint_interval_s: float | None = None  # None: Young's optimum

    def __post_init__(self) -> None:
        if not self.rate_per_device_h >= 0:
            raise InputError("failure_rate", None, f"must not be negative, got {self.rate_per_device_h:g}")
        if not self.rate_spread >= 1:
            raise InputError("failure_rate", None, f"spread must be at least 1, got {self.rate_spread:g}")
        if self.restart_s.low < 0:
            raise InputError("restart_time", None, f"must not be negative, got {self.restart_s.low:g} s")
        if not self.storage_bytes_per_s_per_device > 0:
            raise InputError("storage_bandwidth", None, "must be positive")
        if self.checkpoint_interval_s is not None and not self.checkpoint_interval_s > 0:
            raise InputError(
                "checkpoint_interval", None, f"must be positive, got {self.checkpoint_interval_s:g} s"
            )


# The reality gap: published / planned accelerator-hours of whole runs, what the step-time and
# reliability models still miss (stragglers, ramp-up, evaluation, restarts beyond the model, loss
# spikes, unpublished schedule). Lognormal: the median ratio and the sd of its log over the 7 runs
# of benchmarks/published_runs.py that ../shared/data/published_runs.csv holds (LLaMA-1 65B,
# Llama 2 7/13/70B, Llama 3.1 8/70/405B), each planned without the gap; DeepSeek-V3 (not in the
# file) is validation only. That script reports the leave-one-out figures (each run predicted with
# the gap of the other calibration runs), and tests/plan/test_reliability.py recomputes these two.
REALITY_GAP = (1.0948, 0.0891)
REALITY_GAP_SOURCE = (
    "reality gap: published / planned hours of 7 published runs (benchmarks/published_runs.py),"
    " median x1.095, log sd 0.089"
)


def reality_gap(rng: np.random.Generator, n: int = SAMPLES) -> np.ndarray:
    """Seeded draws of the factor from planned to expected hours (`REALITY_GAP`)."""
    median, sd = REALITY_GAP
    return median * np.exp(sd * rng.standard_normal(n))


def run_goodput(
    devices: int,
    checkpoint_bytes: float,
    rel: Reliability,
    rng: np.random.Generator,
    n: int = SAMPLES,
) -> dict[str, np.ndarray]:
    """Seeded draws of goodput (0-1] for a job on `devices` devices whose checkpoint is
    `checkpoint_bytes`, with what produced them: mean time between interruptions (s), the
    checkpoint interval and write stall (s), and the interruption rate per device-hour."""
    sigma = np.log(rel.rate_spread) / 1.2815515655446004  # P90 / P50 of a lognormal
    rate = rel.rate_per_device_h * np.exp(sigma * rng.standard_normal(n))
    restart = rel.restart_s.sample(rng, n)
    mtbi_s = np.where(rate > 0, 3600.0 / np.maximum(rate * devices, 1e-300), np.inf)
    delta = checkpoint_bytes / (rel.storage_bytes_per_s_per_device * devices) * np.ones(n)
    if rel.checkpoint_interval_s is None:
        tau = np.sqrt(2.0 * delta * mtbi_s)  # Young 1974
        tau = np.where(np.isfinite(tau), tau, 86400.0)  # failure-free: one checkpoint a day
    else:
        tau = np.full(n, rel.checkpoint_interval_s)
    seg = tau + delta
    lost = np.where(np.isfinite(mtbi_s), (restart + seg / 2) / mtbi_s, 0.0)
    goodput = tau / (seg * (1.0 + lost))
    return {
        "goodput": goodput,
        "mtbi_s": mtbi_s,
        "interval_s": tau,
        "checkpoint_write_s": delta,
        "rate_per_device_h": rate,
    }


def interruptions(devices: int, wall_s: np.ndarray, rate_per_device_h: np.ndarray) -> np.ndarray:
    """Expected interruptions of a job on `devices` devices over `wall_s` seconds."""
    return rate_per_device_h * devices * wall_s / 3600.0
