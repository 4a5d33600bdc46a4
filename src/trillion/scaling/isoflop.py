"""Chinchilla's approach 2 (isoFLOP profiles) and the two-step downstream prediction.

IsoFLOP: runs are grouped by training compute (same FLOP within ``rel_tol``); each group with at
least three model sizes gets a parabola in log N, whose vertex is that budget's optimal size;
N_opt(C) = k C^a is then fitted across groups (Hoffmann et al. 2022 Sec 3.2).

Downstream (two steps, as Llama 3's Sec 5 forecasts): task loss against compute as a power law
plus floor, then accuracy against task loss as a sigmoid; chained to predict accuracy at a budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from trillion.errors import InputError
from trillion.scaling.runs import Runs


@dataclass(frozen=True, kw_only=True, slots=True)
class IsoFLOP:
    """IsoFLOP profiles: one vertex per compute budget with three or more sizes, and, with two or
    more vertices, N_opt(C) = k C^a (``params_opt_exponent`` a; D_opt then goes as C^(1-a))."""

    profiles: list[dict[str, float]]
    params_opt_exponent: float | None = None
    tokens_opt_exponent: float | None = None
    params_opt_coefficient: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profiles": self.profiles}
        if self.params_opt_exponent is not None:
            out.update(params_opt_exponent=self.params_opt_exponent, tokens_opt_exponent=self.tokens_opt_exponent,
                       params_opt_coefficient=self.params_opt_coefficient)  # fmt: skip
        return out


def isoflop_profiles(runs: Runs, rel_tol: float = 0.05) -> IsoFLOP:
    """Per-budget parabola vertices and the fitted exponent a of N_opt = k C^a."""
    n, c, lo = runs["params"], runs["flop"], runs["loss"]
    order = np.argsort(c)
    groups: list[list[int]] = []
    for i in order:
        if groups and abs(c[i] / c[groups[-1][0]] - 1) <= rel_tol:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    vertices = []
    for g in groups:
        if len({round(float(np.log(n[i])), 6) for i in g}) < 3:
            continue
        x, y = np.log(n[g]), lo[g]
        k2, k1, k0 = np.polyfit(x, y, 2)
        if k2 <= 0:
            continue  # no interior minimum
        xv = -k1 / (2 * k2)
        vertices.append({"flop": float(np.median(c[g])), "params_opt": float(np.exp(xv)),
                         "loss_opt": float(k0 - k1 * k1 / (4 * k2)), "runs": len(g)})  # fmt: skip
    if len(vertices) < 2:
        return IsoFLOP(profiles=vertices)
    a, logk = np.polyfit(
        np.log([v["flop"] for v in vertices]), np.log([v["params_opt"] for v in vertices]), 1
    )
    return IsoFLOP(profiles=vertices, params_opt_exponent=float(a), tokens_opt_exponent=float(1 - a),
                   params_opt_coefficient=float(np.exp(logk)))  # fmt: skip


@dataclass
class DownstreamFit:
    """Two-step downstream prediction: task loss L(C) = E + A C^-alpha, then accuracy
    acc(L) = floor + (ceiling - floor) / (1 + exp(k (L - L0)))."""

    needs: ClassVar[tuple[str, ...]] = ("flop", "task_loss", "accuracy")
    floor: float = 0.25  # chance accuracy (4-way multiple choice by default)
    step1_: dict[str, float] = field(default_factory=dict)
    step2_: dict[str, float] = field(default_factory=dict)

    def fit(self, runs: Runs) -> DownstreamFit:
        from scipy.optimize import least_squares

        c, tl, acc = runs["flop"], runs["task_loss"], runs["accuracy"]
        if len(c) < 5:
            raise InputError("runs", None, f"needs at least 5 runs for the two-step fit, got {len(c)}")
        if np.any(acc < 0) or np.any(acc > 1):
            raise InputError("runs", "accuracy", "must be a fraction between 0 and 1")
        lc = np.log(c / c.max())

        def r1(t):
            e, a, al = t
            return np.log(np.exp(e) + np.exp(a) * np.exp(-al * lc)) - np.log(tl)

        s1 = least_squares(
            r1, [np.log(tl.min() / 2), np.log(tl.max() / 2), 0.1], bounds=([-10, -10, 0], [5, 10, 3])
        )
        self.step1_ = {"E": float(np.exp(s1.x[0])), "A": float(np.exp(s1.x[1])), "alpha": float(s1.x[2]),
                       "flop_scale": float(c.max())}  # fmt: skip

        def r2(t):
            ceil, k, l0 = t
            return self.floor + (ceil - self.floor) / (1 + np.exp(k * (tl - l0))) - acc

        s2 = least_squares(r2, [max(acc.max(), self.floor + 0.01), 5.0, float(np.median(tl))],
                           bounds=([self.floor, 0.0, 0.0], [1.0, 100.0, 20.0]))  # fmt: skip
        self.step2_ = {
            "ceiling": float(s2.x[0]),
            "k": float(s2.x[1]),
            "L0": float(s2.x[2]),
            "floor": self.floor,
        }
        self.params_ = {"task_loss": self.step1_, "accuracy": self.step2_}
        self.converged_ = bool(s1.success and s2.success)
        return self

    def task_loss(self, flop):
        s = self.step1_
        return s["E"] + s["A"] * (np.asarray(flop, dtype=float) / s["flop_scale"]) ** (-s["alpha"])

    def accuracy(self, flop):
        s = self.step2_
        return s["floor"] + (s["ceiling"] - s["floor"]) / (
            1 + np.exp(s["k"] * (self.task_loss(flop) - s["L0"]))
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": "downstream",
            "task_loss": self.step1_,
            "accuracy": self.step2_,
            "converged": self.converged_,
        }
