"""Emergent abilities, measured two ways: the same models scored by exact match (all answer
tokens right) and by smooth metrics (per-token accuracy, answer loss), and a pre-training loss
threshold that predicts the exact-match jump.

Two readings are tested on the ladder's scores (`trillion.nn.emergence`):

- **Metric choice** (Schaeffer et al. 2023, arXiv:2304.15004): if per-token accuracy ``p`` rises
  smoothly, exact match over ``k`` answer tokens is about ``p ** k``, a curve that stays near zero
  and then shoots up. `analyse` reports observed exact match beside ``p ** k``.
- **Loss threshold** (Du et al. 2024, arXiv:2403.15796): the ability appears once the validation
  loss passes below a threshold, whatever the model size. `analyse` fits
  ``EM = 1 / (1 + exp((L - L*) / s))`` on (validation loss, exact match) and checks it leave-one-
  depth-out: fitted without a model size, does the threshold predict that size's exact match?

Sharpness: the share of a metric's whole rise (its running best, first to last run by compute)
taken in its largest single step between neighbouring compute budgets; 1/(n-1) is perfectly
even, 1 all at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from trillion.errors import InputError

METRICS = ("exact_match", "token_accuracy", "answer_loss")


def _threshold_curve(loss: np.ndarray, l_star: float, scale: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp((loss - l_star) / scale))


def fit_threshold(loss: np.ndarray, em: np.ndarray) -> tuple[float, float]:
    """(L*, s) of ``EM = 1 / (1 + exp((L - L*) / s))`` by least squares; L* in the loss's units."""
    p0 = (float(np.min(loss)), 0.05)
    (l_star, scale), _ = curve_fit(
        _threshold_curve, loss, em, p0=p0, bounds=([0.0, 1e-3], [10.0, 2.0]), maxfev=20000
    )
    return float(l_star), float(scale)


def sharpness(values: np.ndarray) -> float | None:
    """Largest neighbour-to-neighbour step of the running best (the envelope: noise between runs
    of different sizes does not count as a step) over its whole rise; None if it never moves."""
    if len(values) < 3:
        return None
    rising = values[-1] >= values[0]
    env = np.maximum.accumulate(values) if rising else np.minimum.accumulate(values)
    rise = abs(env[-1] - env[0])
    if rise < 1e-12:
        return None
    return float(np.max(np.abs(np.diff(env))) / rise)


def analyse(runs: list[dict[str, Any]], answer_tokens: float) -> dict[str, Any]:
    """The two readings on the ladder's scored runs (each with ``train_flop``, ``val_loss``,
    ``depth`` and the `METRICS`). `answer_tokens`: mean tokens per answer (the ``k`` of p^k)."""
    if len(runs) < 4:
        raise InputError("emergence", "runs", f"needs at least 4 scored runs, got {len(runs)}")
    runs = sorted(runs, key=lambda r: r["train_flop"])
    em = np.array([r["exact_match"] for r in runs])
    acc = np.array([r["token_accuracy"] for r in runs])
    loss = np.array([r["val_loss"] for r in runs])
    predicted = acc**answer_tokens
    out: dict[str, Any] = {
        "answer_tokens": answer_tokens,
        "runs": [
            {**r, "exact_match_from_token_accuracy": float(p)} for r, p in zip(runs, predicted, strict=True)
        ],
        "sharpness": {m: sharpness(np.array([r[m] for r in runs])) for m in METRICS},
        "p_to_the_k_abs_error_median": float(np.median(np.abs(predicted - em))),
    }
    try:
        l_star, scale = fit_threshold(loss, em)
    except (RuntimeError, ValueError) as e:
        out["threshold"] = {"error": f"no fit: {e}"}
        return out
    held = []
    for depth in sorted({r["depth"] for r in runs}):
        mask = np.array([r["depth"] != depth for r in runs])
        if mask.sum() < 3 or (~mask).sum() < 1:
            continue
        try:
            ls, sc = fit_threshold(loss[mask], em[mask])
        except (RuntimeError, ValueError):
            continue
        pred = _threshold_curve(loss[~mask], ls, sc)
        held.append({"depth": depth, "l_star": ls, "abs_error": np.abs(pred - em[~mask]).tolist()})
    errors = [e for h in held for e in h["abs_error"]]
    within = bool(loss.min() <= l_star <= loss.max())
    out["threshold"] = {
        "l_star_nats_per_token": l_star,
        "within_data": within,
        "note": ""
        if within
        else (
            f"L* lies outside the runs' losses ({loss.min():.3f}-{loss.max():.3f}): the jump is not reached on this "
            "ladder and L* is an extrapolation of its foot, not a measured threshold"
        ),
        "scale": scale,
        "in_sample_abs_error_median": float(np.median(np.abs(_threshold_curve(loss, l_star, scale) - em))),
        "leave_one_depth_out": held,
        "leave_one_depth_out_abs_error_median": float(np.median(errors)) if errors else None,
    }
    return out


def published_series(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Per (task, family): the models by size with their exact match and edit distance (the
    published per-scale table ``catalog/compare/emergence_published.csv``)."""
    series: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        s = series.setdefault((r["task"], r["family"]), {})
        m = s.setdefault(r["model"], {"model": r["model"], "params": int(r["params"])})
        m[r["metric"]] = float(r["mean"])
        m["source"] = r["source"].split(", run_id")[0]
    out = []
    for (task, family), models in sorted(series.items()):
        ms = sorted(models.values(), key=lambda m: m["params"])
        if len(ms) >= 2:
            out.append({"task": task, "family": family, "models": ms})
    return out
