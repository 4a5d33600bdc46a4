"""Scale against capability: published benchmark scores of base models against their training
compute, one like-for-like protocol per benchmark, fitted with a sigmoid in log compute.

    score = chance + (100 - chance) / (1 + exp(-(log10 C - c0) / w))

`c0` is the compute (log10 FLOP) of the half-way point, `w` the width in decades, so "a 10x in
compute" buys ``d score / d log10 C`` points at a given compute. Interval: P10-P90 over a
bootstrap of the models; error: in sample and leave-one-model-out (the honest one).

Training compute per model: the developer's published FLOP, else 6 N D from trillion's exact
count of the catalog architecture and the published token count (``6ND``, an estimate by
formula), else a third party's estimate (Epoch AI) with its basis; the kind is kept per point.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

CHANCE = {"MMLU": 25.0, "ARC-Challenge": 25.0, "HellaSwag": 25.0, "GSM8K": 0.0, "MATH": 0.0, "HumanEval": 0.0,
          "BBH": 0.0, "TriviaQA": 0.0}  # fmt: skip  # 4-way multiple choice: 25 %


@cache
def compute_of(model: str) -> tuple[float, str, str] | None:
    """(training FLOP, kind, basis) of a landscape model, or None when nothing is known."""
    from trillion.catalog import catalog, landscape
    from trillion.count.params import count_active_params
    from trillion.units import parse_count

    tc = landscape.train_compute(model)
    if tc and tc["kind"] == "published":
        return tc["train_flop"], "published", f"{tc['basis']} ({tc['source']})"
    e = landscape.entries().get(model)
    arch = catalog().get(e.architecture) if e and e.architecture else None
    if arch is not None and arch.status == "published" and arch.training.tokens:
        tokens = float(parse_count(arch.training.tokens, "tokens")[0])
        active = count_active_params(arch.spec).total
        return 6 * active * tokens, "estimated (6ND)", (
            f"6 x {active:,} active parameters (trillion's count of {arch.name}) x {arch.training.tokens} tokens "
            f"({arch.training.tokens_source or 'catalog'})")  # fmt: skip
    if tc:
        return tc["train_flop"], "estimated (third party)", f"{tc['basis']} ({tc['source']})"
    return None


def _curve(chance: float):
    def f(logc: np.ndarray, c0: float, w: float) -> np.ndarray:
        return chance + (100.0 - chance) / (1.0 + np.exp(-(logc - c0) / w))

    return f


def _fit(logc: np.ndarray, score: np.ndarray, chance: float) -> tuple[float, float]:
    (c0, w), _ = curve_fit(_curve(chance), logc, score, p0=(float(np.median(logc)), 1.0),
                           bounds=([18.0, 0.05], [32.0, 10.0]), maxfev=20000)  # fmt: skip
    return float(c0), float(w)


def points(benchmark: str, shots: str) -> list[dict[str, Any]]:
    """One point per base model: its score on `benchmark` at `shots` (the developer's own row
    first, else another lab's), with its training compute and how that is known."""
    from trillion.catalog import landscape

    best: dict[str, dict[str, Any]] = {}
    for r in landscape.results():
        if r["benchmark"] != benchmark or r["stage"] != "base" or r["shots"] != shots:
            continue
        old = best.get(r["model"])
        if old is None or (old["by"] != "D" and r["by"] == "D"):
            best[r["model"]] = r
    out = []
    for model, r in sorted(best.items()):
        c = compute_of(model)
        if c is not None:
            out.append({"model": model, "score": r["score"], "by": r["by"], "source": r["source"],
                        "train_flop": c[0], "compute_kind": c[1], "compute_basis": c[2]})  # fmt: skip
    return out


def fit_capability(benchmark: str = "MMLU", shots: str = "5", at_flop: tuple[float, ...] = (), boot: int = 300,
                   seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """The sigmoid fit of `points`, its bootstrap interval, leave-one-model-out error, and the
    predicted score (P10/P50/P90) at each of `at_flop`."""
    pts = points(benchmark, shots)
    chance = CHANCE.get(benchmark, 0.0)
    if len(pts) < 5:
        return {
            "benchmark": benchmark,
            "shots": shots,
            "points": pts,
            "error": f"{len(pts)} points: too few to fit",
        }
    logc = np.log10([p["train_flop"] for p in pts])
    score = np.array([p["score"] for p in pts])
    c0, w = _fit(logc, score, chance)
    f = _curve(chance)
    loo = []
    for i in range(len(pts)):
        m = np.arange(len(pts)) != i
        try:
            loo.append(abs(float(f(logc[i : i + 1], *_fit(logc[m], score[m], chance))[0]) - score[i]))
        except RuntimeError:
            continue
    rng = np.random.default_rng(seed)
    fits = []
    for _ in range(boot):
        idx = rng.integers(0, len(pts), len(pts))
        if len(set(idx.tolist())) < 4:
            continue
        try:
            fits.append(_fit(logc[idx], score[idx], chance))
        except RuntimeError:
            continue
    grid = np.linspace(logc.min() - 0.5, max(logc.max(), *(np.log10(at_flop) if at_flop else [0])) + 0.5, 60)
    band = np.array([f(grid, *p) for p in fits])

    def predict(flop: float) -> dict[str, float]:
        vals = np.array([f(np.array([np.log10(flop)]), *p)[0] for p in fits])
        return {"flop": flop, "p10": float(np.percentile(vals, 10)), "p50": float(f(np.array([np.log10(flop)]), c0, w)[0]),
                "p90": float(np.percentile(vals, 90))}  # fmt: skip

    slope = (100.0 - chance) / (4 * w)  # points per decade at the half-way point
    return {
        "benchmark": benchmark, "shots": shots, "stage": "base", "chance": chance, "points": pts,
        "c0_log10_flop": c0, "width_decades": w, "points_per_10x_at_midpoint": slope,
        "in_sample_abs_error_median": float(np.median(np.abs(f(logc, c0, w) - score))),
        "leave_one_out_abs_error_median": float(np.median(loo)) if loo else None,
        "curve": {"log10_flop": grid.tolist(), "p50": f(grid, c0, w).tolist(),
                  "p10": np.percentile(band, 10, axis=0).tolist(), "p90": np.percentile(band, 90, axis=0).tolist()},
        "predictions": [predict(x) for x in at_flop],
    }  # fmt: skip
