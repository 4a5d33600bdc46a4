"""Forecasts from a fitted Chinchilla-form law: loss with an interval, the compute-optimal split,
how far the forecast extrapolates, and a dense model proposal that `trillion train` can plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from trillion.errors import InputError
from trillion.scaling.laws import Chinchilla

EXTRAPOLATION_WARN_OOM = 1.0  # beyond one order of magnitude past the largest fitted run


def law_from_fit(fit: dict[str, Any]) -> Chinchilla:
    """The Chinchilla law a FIT.json describes (``trillion scaling fit --law chinchilla``)."""
    if fit.get("law", "chinchilla") != "chinchilla":
        raise InputError("fit", "law", f"forecasts need a chinchilla fit, got {fit.get('law')!r}")
    if fit.get("identified") is False:
        problems = fit.get("identification_problems") or ["see the fit's warning"]
        raise InputError("fit", "identified", "this fit's constants are not determined by its runs, so it "
                         f"cannot forecast: {'; '.join(map(str, problems))[:400]}")  # fmt: skip
    try:
        p = fit["params"]
        rng = {k: tuple(v) for k, v in fit.get("fitted_range", {}).items()}
        law = Chinchilla(E=float(p["E"]), A=float(p["A"]), B=float(p["B"]), alpha=float(p["alpha"]),
                         beta=float(p["beta"]), source="fit file", fitted_range=rng)  # fmt: skip
    except (KeyError, TypeError, ValueError) as e:
        raise InputError("fit", "params", f"missing or malformed ({e})") from None
    values = (law.E, law.A, law.B, law.alpha, law.beta)
    if not all(math.isfinite(v) and v > 0 for v in values) or law.alpha > 10 or law.beta > 10:
        raise InputError("fit", "params", "E, A, B, alpha and beta must be positive and finite (alpha, beta <= 10) "
                         "for a forecast")  # fmt: skip
    return law


def _samples(fit: dict[str, Any]) -> np.ndarray | None:
    s = fit.get("bootstrap_samples")
    if not s:
        return None
    try:
        arr = np.asarray(s, dtype=float)
    except (TypeError, ValueError):
        raise InputError("fit", "bootstrap_samples", "must be rows of (E, A, B, alpha, beta)") from None
    if arr.ndim != 2 or arr.shape[1] != 5 or not np.all(np.isfinite(arr)):
        raise InputError("fit", "bootstrap_samples", "must be rows of (E, A, B, alpha, beta)")
    return arr


def _oom(value: float, top: float | None) -> float:
    return max(0.0, math.log10(value / top)) if top else float("nan")


@dataclass(frozen=True, kw_only=True, slots=True)
class Forecast:
    """A loss forecast: at `flop` (N*, D*) or at given parameters and tokens, with the interval from
    the fit's bootstrap samples, the compute-optimal split, how far it extrapolates (orders of
    magnitude past the largest fitted run) and a dense model proposal."""

    flop: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float
    compute_optimal: dict[str, float]
    loss_interval: dict[str, float] | None
    extrapolation: dict[str, float]
    warning: str
    proposal: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if self.loss_interval is None:
            del out["loss_interval"]
        if not self.warning:
            del out["warning"]
        return out


def forecast(fit: dict[str, Any], *, flop: float | None = None, params: float | None = None,
             tokens: float | None = None) -> Forecast:  # fmt: skip
    """Loss at a FLOP budget (compute-optimal N*, D*) or at given parameters and tokens.

    Interval: the same point evaluated under every bootstrap parameter sample in the fit (P2.5,
    P10, P50, P90, P97.5); without samples, none is given. Extrapolation: orders of magnitude past
    the largest fitted parameters, tokens and compute (6 N D).
    """
    law = law_from_fit(fit)
    if flop is not None:
        if not flop > 0:
            raise InputError("flop", None, f"must be positive, got {flop}")
        n, d = (float(x) for x in law.compute_optimal(flop))
    else:
        if params is None or tokens is None or params <= 0 or tokens <= 0:
            raise InputError("forecast", None, "give --flop, or both --params and --tokens (positive)")
        n, d, flop = params, tokens, 6 * params * tokens
    n_opt, d_opt = (float(x) for x in law.compute_optimal(flop))
    interval = None
    samples = _samples(fit)
    if samples is not None:
        E, A, B, al, be = (samples[:, i] for i in range(5))
        losses = E + A / n**al + B / d**be
        p = np.percentile(losses, [2.5, 10, 50, 90, 97.5])
        interval = dict(zip(("p2.5", "p10", "p50", "p90", "p97.5"), map(float, p), strict=True))
    rng = law.fitted_range
    top_n = rng.get("params", (None, None))[1]
    top_d = rng.get("tokens", (None, None))[1]
    top_c = (
        rng.get("flop", (None, None))[1]
        if "flop" in rng
        else (6 * top_n * top_d if top_n and top_d else None)
    )
    ext = {"params_oom": _oom(n, top_n), "tokens_oom": _oom(d, top_d), "flop_oom": _oom(flop, top_c)}
    worst = max((v for v in ext.values() if v == v), default=0.0)
    warning = ""
    if worst > EXTRAPOLATION_WARN_OOM:
        warning = (
            f"extrapolates {worst:.1f} orders of magnitude beyond the largest fitted run: the interval covers "
            "parameter uncertainty only, not a change of regime (data, architecture, optimiser)"
        )
    return Forecast(
        flop=flop, params=n, tokens=d, tokens_per_param=d / n, loss=float(law.loss(n, d)),
        compute_optimal={"params": n_opt, "tokens": d_opt, "tokens_per_param": d_opt / n_opt,
                         "loss": float(law.loss(n_opt, d_opt))},
        loss_interval=interval, extrapolation=ext, warning=warning, proposal=propose_dense(n),
    )  # fmt: skip


def propose_dense(target_params: float, vocab: int = 128256) -> dict[str, Any]:
    """A Llama-style dense config.json with about `target_params` parameters: d_model ~ 128 x
    layers (Llama 3 405B: 126 layers of 16384), 128-wide heads, 8 KV heads, SwiGLU at 3.5 d."""
    if not target_params >= 1e6:
        raise InputError("proposal", "params", f"too small to propose a model: {target_params:.3g}")
    best = None
    for layers in range(2, 257):
        width = 128 * layers
        d = (
            max(1024, int(round(width / 1024)) * 1024)
            if width >= 1024
            else max(128, int(round(width / 128)) * 128)
        )
        ffn = int(round(3.5 * d / 256)) * 256
        kv = min(8, d // 128)  # heads = d / 128, a multiple of 8 from d = 1024 up
        per_layer = d * d * 2 + 2 * d * kv * 128 + 3 * d * ffn + 2 * d
        total = layers * per_layer + 2 * vocab * d + d
        err = abs(math.log(total / target_params))
        if best is None or err < best[0]:
            best = (err, layers, d, ffn, kv, total)
    assert best is not None
    _, layers, d, ffn, kv, total = best
    return {
        "model_type": "llama",
        "vocab_size": vocab,
        "hidden_size": d,
        "intermediate_size": ffn,
        "num_hidden_layers": layers,
        "num_attention_heads": d // 128,
        "num_key_value_heads": kv,
        "head_dim": 128,
        "max_position_embeddings": 8192,
        "tie_word_embeddings": False,
        "_approx_params": total,
        "_note": "proposed by trillion scaling forecast (Llama-3-style shape); plan it with `trillion train FILE`",
    }
