"""Closing the ladder's loop without torch: fit laws on the measured runs, forecast at trillion
scale, and turn measured efficiency into a planner calibration file.

Fits use non-embedding parameters (Kaplan et al. 2020: embeddings distort small-model laws) and
the accounting's training FLOP. The compute trend L(C) = E + A (C / C_max)^-gamma is fitted on the
runs that beat every cheaper run (the compute frontier), with a bootstrap interval on gamma.
"""

from __future__ import annotations

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


def fit_ladder(runs: list[dict[str, Any]], bootstrap: int = 500, seed: int = 0) -> dict[str, Any]:
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
    out: dict[str, Any] = {
        "compute_power_law": {
            "alpha_c": -slope,
            "alpha_c_ci95": [float(-x) for x in np.percentile(slopes, [97.5, 2.5])],
            "form": "L = (C_c / C)^alpha_C on the compute frontier (Kaplan et al. 2020 eq. 1.3 form)",
        },  # fmt: skip
        "runs": len(done),
        "runs_excluded": stale,  # finished on other data or another code version: never mixed in
        "frontier_runs": len(front),
        "loss_falls_with_compute": bool(np.all(np.diff(loss[front]) < 0)) and len(front) >= 2,
        "compute_trend": {
            "E": float(np.exp(t[0])),
            "A": float(np.exp(t[1])),
            "gamma": float(t[2]),
            "flop_scale": float(c[pts].max()),
            "gamma_ci95": [float(x) for x in np.percentile(gammas, [2.5, 97.5])] if gammas else None,
        },  # fmt: skip
        "points": [
            {"flop": float(a), "val_loss": float(b), "params": float(p), "tokens": float(q)}
            for a, b, p, q in zip(c, loss, n, d, strict=True)
        ],  # fmt: skip
    }
    if len(done) >= 6:
        from trillion.scaling.fit import ChinchillaFit
        from trillion.scaling.forecast import forecast

        f = ChinchillaFit().fit(n, d, loss)
        f.bootstrap(min(bootstrap, 200))
        out["chinchilla"] = {
            k: v for k, v in f.to_dict().items() if k not in ("bootstrap_samples", "residuals_log")
        }
        out["chinchilla"]["note"] = (f"{len(done)} runs for 5 parameters: the fit is weakly identified; read the "
                                     "intervals, not the point values")  # fmt: skip
        out["forecast_1T_36T"] = forecast(f.to_dict(), params=1e12, tokens=36e12)
    return out


def ladder_calibration(runs: list[dict[str, Any]], path: str | Path) -> dict[str, Any]:
    """Write a planner calibration TOML from the ladder's measured efficiency.

    The shipped calibration is kept except ``eta_gemm``, set to the median measured MFU of the
    finished runs (model FLOP over the device's peak: catalog bf16 peak on GPUs, measured fp32
    matmul throughput on CPUs) — the efficiency this framework reached on this device.
    `trillion train --calibration FILE` then plans with it.
    """
    from dataclasses import asdict

    from trillion.plan.calibration import load_calibration

    mfus = [
        r["result"]["mfu"]
        for r in runs
        if r["status"] == "finished" and r["result"] and r["result"].get("mfu") and r.get("current", True)
    ]
    if not mfus:
        raise InputError("ladder", None, "no finished run with a measured MFU")
    base = asdict(load_calibration())
    device = runs[0]["provenance"]["device_name"] if runs[0].get("provenance") else "unknown"
    eta = float(min(1.0, max(1e-3, np.median(mfus))))
    base["eta_gemm"] = round(eta, 6)
    base["source"] = (
        f"fitted from {len(mfus)} trillion ladder runs on {device}: eta_gemm = median measured MFU"
    )
    lines = ["# Written by `trillion ladder fit --calibration`: planner efficiencies with eta_gemm measured."]
    for k, v in base.items():
        lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v!r}")
    write_file(path, "\n".join(lines) + "\n", "--calibration")
    return {"path": str(path), "eta_gemm": eta, "runs": len(mfus), "device": device}
