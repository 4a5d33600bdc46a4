"""Electrical power of a training or serving system, per accelerator, as a function of activity.

Model (IT power, before PUE), per device at activity ``a`` in [0, 1] (the fraction of time the
device runs kernels at training intensity; 0 is idle):

    P(a) = P_idle + (P_full - P_idle) * a,    split into accelerator, host share and network.

Where a vendor publishes the node's maximum power (DGX), ``P_full`` is the nameplate share per
device times the fraction of nameplate measured in training (76-82%: Latif et al. 2025), and
``P_idle`` is the accelerator's idle draw plus an idle host. Where only measured runs exist (Google
TPUs: host power unpublished), ``P_full`` is inverted from the measured system power of the
catalog's runs on that chip at the default activity, and the idle floor is the chip's measured
minimum over its maximum. Devices with neither get a host share spanning the DGX nameplates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trillion.catalog.hardware import IDLE_OF_TDP
from trillion.dist import SAMPLES, Dist
from trillion.errors import InputError
from trillion.footprint import data
from trillion.spec.hardware import Accelerator

ACTIVITY_DEFAULT = Dist.uniform(
    0.8,
    1.0,
    "assumption (trillion): share of wall-clock time at training intensity when only hardware, count"
    " and duration are known (restarts, evaluation and data stalls below 1)",
)
NAMEPLATE_LOAD = Dist.uniform(
    0.78,
    0.86,
    "Latif et al. 2025 (IEEE Access 13:61740): an 8xH100 HGX node peaked at 8.4 of its 10.2 kW (82%)"
    " in training (taken as full activity, +-4%); arXiv 2506.14551: compute-intensive training"
    " averaged 76% of the rating (an average over phases, i.e. activity below 1)",
)
HOST_IDLE_OF_MAX = Dist.uniform(
    0.3, 0.5, "assumption (trillion): an idle host (CPUs, DRAM, NICs, fans) draws 30-50% of its share"
)
HOST_OF_TDP = Dist.uniform(
    0.458,
    1.03,
    "(node max - devices x TDP) / (devices x TDP) of DGX-1 V100 (0.46), DGX H100 (0.82), DGX A100 (1.03)",
)
NETWORK_OF_IT = Dist.uniform(
    0.01,
    0.03,
    "Jouppi et al. 2023 (TPU v4): optical circuit switches under 3% of system power; assumed for"
    " switch fabrics beyond the node (host NICs are in the node power)",
)


@dataclass(frozen=True, slots=True)
class PowerSamples:
    """Samples of IT power per device (W) at the sampled activity, split by part."""

    accelerator_w: np.ndarray
    host_w: np.ndarray
    network_w: np.ndarray
    basis: str

    @property
    def total_w(self) -> np.ndarray:
        return self.accelerator_w + self.host_w + self.network_w


def _assume(out: list[dict[str, str]], name: str, value: str, source: str) -> None:
    out.append({"name": name, "value": value, "source": source})


def power_samples(
    acc: Accelerator,
    activity: np.ndarray,
    rng: np.random.Generator,
    *,
    exclude_runs: tuple[str, ...] = (),
    given_w: Dist | None = None,
    accelerator_w: np.ndarray | None = None,
    assumptions: list[dict[str, str]] | None = None,
) -> PowerSamples:
    """IT power per device at `activity` (an array of samples), with its assumptions appended.

    `given_w` replaces the model by a system power per device the user (or a paper's accounting
    convention, e.g. Llama's 700 W per H100) states. `exclude_runs` leaves measured runs out of the
    TPU inversion (leave-one-out validation). `accelerator_w` (samples) replaces the accelerator
    part of a nameplate platform by a measured or modelled accelerator power (serving), keeping
    the host share and network at the same activity.
    """
    out = assumptions if assumptions is not None else []
    n = activity.shape[0]
    zero = np.zeros(n)
    if given_w is not None:
        _assume(out, "system power per device", given_w.label("W"), given_w.source)
        return PowerSamples(given_w.sample(rng, n), zero, zero, "given")
    node = data.node_power(acc.name)
    tdp = acc.tdp_w
    runs = data.measured_runs(acc.name, exclude_runs)
    if node and node["node_max_w"]:
        per_device = float(node["node_max_w"]) / int(node["devices_per_node"])
        if tdp is None:
            raise InputError(acc.name, "tdp", "needed with a node power but not in the catalog")
        host_max: float | np.ndarray = per_device - tdp
        _assume(out, "node maximum power per device", f"{per_device:.0f} W", node["node_source"])
        basis = "node nameplate"
    elif runs:
        return _from_runs(acc, runs, activity, rng, out)
    elif tdp is not None:
        ratio = HOST_OF_TDP.sample(rng, n)
        host_max = ratio * tdp
        _assume(out, "host power per device (of TDP)", HOST_OF_TDP.label(), HOST_OF_TDP.source)
        basis = "TDP with a host share spanning DGX nameplates"
    else:
        raise InputError(
            acc.name, "power", "no TDP, node power or measured runs in the catalog: pass --power W"
        )
    load = NAMEPLATE_LOAD.sample(rng, n)
    _assume(
        out, "share of nameplate drawn at full training load", NAMEPLATE_LOAD.label(), NAMEPLATE_LOAD.source
    )
    if node and node["idle_w"]:
        acc_idle = np.full(n, float(node["idle_w"]))
        _assume(out, "accelerator idle power", f"{float(node['idle_w']):g} W", node["idle_source"])
    else:
        acc_idle = IDLE_OF_TDP.sample(rng, n) * tdp
        _assume(out, "accelerator idle power (of TDP)", IDLE_OF_TDP.label(), IDLE_OF_TDP.source)
    host_idle = HOST_IDLE_OF_MAX.sample(rng, n) * host_max
    _assume(out, "host idle power (of its maximum)", HOST_IDLE_OF_MAX.label(), HOST_IDLE_OF_MAX.source)
    acc_w = acc_idle + (load * tdp - acc_idle) * activity
    if accelerator_w is not None:
        acc_w = np.asarray(accelerator_w, dtype=float) * np.ones(n)
        _assume(
            out,
            "accelerator power",
            f"{float(np.median(acc_w)):.0f} W (median)",
            "given by the caller (serving model)",
        )
    host_w = host_idle + (load * host_max - host_idle) * activity
    net = NETWORK_OF_IT.sample(rng, n)
    _assume(out, "network switches (of node IT power)", NETWORK_OF_IT.label(), NETWORK_OF_IT.source)
    return PowerSamples(acc_w, host_w, net * (acc_w + host_w), basis)


def _from_runs(
    acc: Accelerator,
    runs: list[dict[str, str]],
    activity: np.ndarray,
    rng: np.random.Generator,
    out: list[dict[str, str]],
) -> PowerSamples:
    """System power from runs measured on this chip: P(a) = P_full * (f0 + (1 - f0) * a), with
    ``P_full`` inverted from each run at that run's own activity (from its MFU)."""
    node = data.node_power(acc.name)
    if acc.tdp_w is None or not node or not node["idle_w"]:
        raise InputError(acc.name, "idle_w", "measured runs need the chip's idle and maximum power")
    f0 = float(node["idle_w"]) / acc.tdp_w
    eta = gemm_efficiency(acc)
    full = []
    for r in runs:
        a_r = (
            float(mfu_activity(float(r["mfu"]), eta, COMM_ACTIVITY.median))
            if r["mfu"]
            else ACTIVITY_DEFAULT.median
        )
        full.append(float(r["system_w_per_device"]) / (f0 + (1 - f0) * a_r))
    names = ", ".join(f"{r['run']} {float(r['system_w_per_device']):g} W at MFU {r['mfu']}" for r in runs)
    _assume(
        out,
        "system power per device at full activity (incl. host)",
        f"{min(full):.0f}-{max(full):.0f} W (each run equally likely)"
        if len(full) > 1
        else f"{full[0]:.0f} W",
        f"inverted from measured runs on {acc.name} at each run's activity: {names} (measured_power.csv)",
    )
    _assume(out, "idle floor (of full)", f"{f0:.2f}", node["idle_source"])
    p_full = rng.choice(np.asarray(full), activity.shape[0])
    system = p_full * (f0 + (1 - f0) * activity)
    zero = np.zeros(activity.shape[0])
    return PowerSamples(system, zero, zero, "measured system power (accelerator and host together)")


def gemm_efficiency(acc: Accelerator) -> float:
    """Fraction of dense peak the device's GEMMs reach: the planner's calibrated ``eta_gemm``
    carried to `acc` (trillion.plan.calibration)."""
    from trillion.catalog.hardware import accelerators
    from trillion.plan.calibration import REFERENCE_DEVICE, for_device, load_calibration

    dtype = "bf16" if "bf16" in acc.peak_flop_per_s else next(iter(acc.peak_flop_per_s))
    return for_device(load_calibration(), acc, accelerators()[REFERENCE_DEVICE], dtype).eta_gemm


def mfu_activity(mfu: float | np.ndarray, eta: float, comm: float | np.ndarray) -> np.ndarray:
    """Activity of a run with model FLOP utilisation `mfu`: compute share ``min(1, mfu / eta)``
    at full intensity, the rest at `comm` (collectives, memory-bound kernels, stalls)."""
    compute = np.minimum(1.0, np.asarray(mfu) / eta)
    return compute + comm * (1 - compute)


COMM_ACTIVITY = Dist.uniform(
    0.4,
    0.8,
    "assumption (trillion): during exposed collectives an accelerator draws 40-80% of its dynamic"
    " training power (links, HBM and a few SMs busy); pipeline bubbles are idle",
)
LOST_ACTIVITY = Dist.uniform(
    0.3,
    0.7,
    "assumption (trillion): time lost to failures is part idle (restarts) and part repeated steps",
)


def default_activity(rng: np.random.Generator, n: int = SAMPLES) -> np.ndarray:
    return ACTIVITY_DEFAULT.sample(rng, n)


def activity_from_mfu(
    acc: Accelerator, mfu: float, rng: np.random.Generator, assumptions: list[dict[str, str]]
) -> np.ndarray:
    """Activity samples of a run whose achieved MFU is known (published FLOP over time)."""
    eta = gemm_efficiency(acc)
    _assume(
        assumptions,
        "achieved MFU",
        f"{mfu:.3f}",
        "given (published training FLOP over devices x time x peak)",
    )
    _assume(
        assumptions, "GEMM efficiency (compute share = MFU / this)", f"{eta:.3f}", "trillion.plan calibration"
    )
    _assume(assumptions, "activity outside compute", COMM_ACTIVITY.label(), COMM_ACTIVITY.source)
    return mfu_activity(mfu, eta, COMM_ACTIVITY.sample(rng, SAMPLES))


def plan_activity(
    phases: dict[str, float],
    goodput: np.ndarray,
    rng: np.random.Generator,
    assumptions: list[dict[str, str]],
) -> np.ndarray:
    """Activity samples of a planned run: per step ``compute + c * communication`` (bubbles idle),
    over wall-clock ``goodput * step + (1 - goodput) * lost``."""
    n = goodput.shape[0]
    c = COMM_ACTIVITY.sample(rng, n)
    lost = LOST_ACTIVITY.sample(rng, n)
    step = phases["compute"] + c * phases["communication"]
    shares = ", ".join(f"{k} {v:.1%}" for k, v in phases.items())
    _assume(assumptions, "step phases (from the plan)", shares, "trillion.plan step-time model")
    _assume(assumptions, "activity during exposed communication", COMM_ACTIVITY.label(), COMM_ACTIVITY.source)
    _assume(assumptions, "activity during time lost to failures", LOST_ACTIVITY.label(), LOST_ACTIVITY.source)
    return goodput * step + (1 - goodput) * lost
