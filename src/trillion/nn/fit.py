"""Closing the ladder's loop without torch: fit laws on the measured runs, forecast at trillion
scale, and turn measured efficiency into a planner calibration file.

Fits use non-embedding parameters (Kaplan et al. 2020: embeddings distort small-model laws) and
the accounting's training FLOP. The compute trend L(C) = E + A (C / C_max)^-gamma is fitted on the
runs that beat every cheaper run (the compute frontier), with a bootstrap interval on gamma.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trillion.errors import InputError
from trillion.io.files import write_file


def _frontier(c: np.ndarray, loss: np.ndarray) -> np.ndarray:
    order = np.argsort(c)
    keep, best = [], np.inf
    for i in order:
        if loss[i] < best:
            keep.append(i)
            best = loss[i]
    return np.asarray(keep)


def _power_fit(c: np.ndarray, loss: np.ndarray) -> np.ndarray:
    from scipy.optimize import least_squares

    x = np.log(c / c.max())

    def r(t):
        e, a, g = t
        return np.log(np.exp(e) + np.exp(a) * np.exp(-g * x)) - np.log(loss)

    res = least_squares(
        r, [np.log(loss.min() * 0.5), np.log(loss.min() * 0.5), 0.2], bounds=([-10, -10, 0.0], [5, 5, 3.0])
    )
    return res.x


@dataclass(frozen=True, kw_only=True, slots=True)
class LadderFit:
    """The laws fitted on one ladder folder's current runs (`fit_ladder`)."""

    compute_power_law: dict[str, Any]  # alpha_c with its 95% interval, on the compute frontier
    runs: int
    runs_excluded: int  # finished on other data or another code version: never mixed in
    frontier_runs: int
    loss_falls_with_compute: bool
    compute_trend: dict[str, Any]  # L(C) = E + A (C / C_max)^-gamma, with gamma's interval
    points: list[dict[str, float]]
    chinchilla: dict[str, Any] | None = None  # six runs or more
    forecast_1T_36T: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v for k, v in out.items() if v is not None}


def fit_ladder(runs: list[dict[str, Any]], bootstrap: int = 500, seed: int = 0) -> LadderFit:
    """The compute trend with its exponent interval, a Chinchilla fit (six runs or more) and a
    forecast for a 1T-parameter model on 36T tokens with its extrapolation warning."""
    done = [r for r in runs if r["status"] == "finished" and r["result"] and r.get("current", True)]
    stale = sum(1 for r in runs if r["status"] == "finished" and not r.get("current", True))
    if len(done) < 3:
        more = f" ({stale} more were trained on other data or code and are not mixed in)" if stale else ""
        raise InputError("ladder", None, f"needs at least 3 finished runs to fit, has {len(done)}{more}")
    res = [r["result"] for r in done]
    c = np.array([x["train_flop"] for x in res], dtype=float)
    loss = np.array([x["val_loss"] for x in res], dtype=float)
    n = np.array([x["non_embedding_params"] for x in res], dtype=float)
    d = np.array([x["tokens"] for x in res], dtype=float)
    front = _frontier(c, loss)
    pts = front if len(front) >= 3 else np.argsort(c)
    t = _power_fit(c[pts], loss[pts])
    rng = np.random.default_rng(seed)
    gammas = []
    for _ in range(bootstrap):
        s = rng.integers(0, len(pts), len(pts))
        if len(set(s.tolist())) < 3:
            continue
        gammas.append(_power_fit(c[pts][s], loss[pts][s])[2])
    # Kaplan et al. 2020's L(C) = (C_c / C)^alpha_C on the frontier: two parameters, better posed on a few runs
    lc, ll = np.log(c[pts]), np.log(loss[pts])
    slope = float(np.polyfit(lc, ll, 1)[0])
    slopes = []
    for _ in range(bootstrap):
        s = rng.integers(0, len(pts), len(pts))
        if len(set(s.tolist())) >= 2:
            slopes.append(float(np.polyfit(lc[s], ll[s], 1)[0]))
    chinchilla = forecast_1t = None
    if len(done) >= 6:
        from trillion.scaling.fit import ChinchillaFit
        from trillion.scaling.forecast import forecast
        from trillion.scaling.runs import Runs

        f = ChinchillaFit().fit(Runs.from_arrays("ladder", params=n, tokens=d, loss=loss))
        f.bootstrap(min(bootstrap, 200))
        chinchilla = {k: v for k, v in f.to_dict().items() if k not in ("bootstrap_samples", "residuals_log")}
        chinchilla["note"] = (f"{len(done)} runs for 5 parameters: the fit is weakly identified; read the "
                              "intervals, not the point values")  # fmt: skip
        if f.identified_:
            forecast_1t = forecast(f.to_dict(), params=1e12, tokens=36e12).to_dict()
    return LadderFit(
        compute_power_law={
            "alpha_c": -slope,
            "alpha_c_ci95": [float(-x) for x in np.percentile(slopes, [97.5, 2.5])],
            "form": "L = (C_c / C)^alpha_C on the compute frontier (Kaplan et al. 2020 eq. 1.3 form)",
        },
        runs=len(done),
        runs_excluded=stale,
        frontier_runs=len(front),
        loss_falls_with_compute=bool(np.all(np.diff(loss[front]) < 0)) and len(front) >= 2,
        compute_trend={
            "E": float(np.exp(t[0])),
            "A": float(np.exp(t[1])),
            "gamma": float(t[2]),
            "flop_scale": float(c[pts].max()),
            "gamma_ci95": [float(x) for x in np.percentile(gammas, [2.5, 97.5])] if gammas else None,
        },
        points=[
            {"flop": float(a), "val_loss": float(b), "params": float(p), "tokens": float(q)}
            for a, b, p, q in zip(c, loss, n, d, strict=True)
        ],
        chinchilla=chinchilla,
        forecast_1T_36T=forecast_1t,
    )  # fmt: skip


ETA_BOUNDS = (1e-4, 1.0)


def _eta_for_run(run: dict[str, Any], base: Any) -> tuple[float, bool]:
    """The ``eta_gemm`` at which the planner's own step-time model predicts this run's measured
    seconds per step on its device (one device: no communication), with the shipped calibration's
    other constants (launch floor, HBM efficiency, GEMM overhead) left to count what they count.
    Returns (eta, stuck at a bound)."""
    from trillion.catalog.hardware import make_cluster
    from trillion.count.dims import model_dims
    from trillion.nn.ladder import family_spec
    from trillion.plan.perf import step_time
    from trillion.spec.hardware import Accelerator

    c, res = run["config"], run["result"]
    spec = family_spec(c["depth"], c["vocab"], c["family"])
    bandwidth = res.get("memory_bytes_per_s") or CPU_BANDWIDTH_ASSUMED
    acc = Accelerator(name="ladder-device", display_name=str(res.get("peak_source", "")), vendor="",
                      peak_flop_per_s={"bf16": float(res["peak_flop_per_s"])}, memory_bytes=2.0**40,
                      memory_bytes_per_s=float(bandwidth), tdp_w=None, scale_up_domain=1,
                      scale_up_bytes_per_s=1e9, scale_out_bytes_per_s=1e9)  # fmt: skip
    cluster = make_cluster(acc, 1)
    measured = float(res["time_s"]) / int(res["steps"])
    d = model_dims(spec)

    def predicted(eta: float) -> float:
        st = step_time(d, cluster, seq_len=c["seq_len"], global_batch=c["batch"], dp=1, tp=1, pp=1, mbs=c["batch"],
                       recompute="none", cal=base.with_(eta_gemm=eta))  # fmt: skip
        return float(np.asarray(st.step_s).reshape(-1)[0])

    lo, hi = ETA_BOUNDS
    if predicted(hi) >= measured:
        return hi, True
    if predicted(lo) <= measured:
        return lo, True
    for _ in range(60):  # bisection in log eta: predicted time falls as eta grows
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if predicted(mid) > measured else (lo, mid)
    return (lo * hi) ** 0.5, False


CPU_BANDWIDTH_ASSUMED = 20e9  # B/s for runs recorded before the bandwidth was measured: assumption


def ladder_calibration(runs: list[dict[str, Any]], path: str | Path) -> dict[str, Any]:
    """Write a planner calibration TOML from the ladder's measured step times.

    The shipped calibration is kept except ``eta_gemm``, which is solved per run so that the
    planner's own step-time model reproduces the measured seconds per step on the ladder's device
    (its measured peak and memory bandwidth, one device); the median over the current finished
    runs is written. (Setting eta_gemm to the end-to-end MFU would count the launch floor,
    element-wise and optimizer time twice: once inside the MFU, once in the model.) The file
    records the device and framework it was measured on. `trillion train --calibration FILE`
    then plans with it.
    """
    from trillion.plan.calibration import calibration_toml, load_calibration

    done = [
        r for r in runs
        if r["status"] == "finished" and r["result"] and r["result"].get("peak_flop_per_s") and r.get("current", True)
    ]  # fmt: skip
    done = [r for r in done if np.isfinite(float(r["result"]["peak_flop_per_s"]))]
    if not done:
        raise InputError("ladder", None, "no finished run with a measured device peak")
    cal = load_calibration()
    solved = [_eta_for_run(r, cal) for r in done]
    etas = [e for e, _ in solved]
    stuck = sum(1 for _, b in solved if b)
    device = done[0]["provenance"]["device_name"] if done[0].get("provenance") else "unknown"
    eta = float(np.median(etas))
    fitted = cal.with_(
        eta_gemm=round(eta, 6),
        device=device,
        source=f"fitted from {len(done)} trillion ladder runs on {device}: eta_gemm solved so the planner's step-time "
        f"model reproduces each run's measured seconds per step (median){'; ' + str(stuck) + ' at a bound' if stuck else ''}",
    )
    header = ["Written by `trillion ladder fit --calibration`: planner efficiencies with eta_gemm measured."]
    write_file(path, calibration_toml(fitted, header), "calibration")
    return {"path": str(path), "eta_gemm": eta, "runs": len(done), "device": device, "at_bound": stuck,
            "eta_gemm_per_run": etas}  # fmt: skip
