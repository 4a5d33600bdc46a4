"""Huber-on-log-loss fits of the other laws: Kaplan's L(N, D), Muennighoff's data-constrained law
and Krajewski's fine-grained MoE form. Same objective and conventions as `ChinchillaFit`; small
parameter counts, so a modest start grid with numerical gradients (L-BFGS-B) suffices, and the
convergence flag compares the reported fit with the best start.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trillion.errors import InputError
from trillion.scaling.fit import SEARCH_ROWS, ChinchillaFit, check_bootstrap, huber, identification_problems
from trillion.scaling.runs import Runs

EXPONENTS = ("alpha", "beta", "alpha_n", "alpha_d", "gamma")  # must be > 0 for loss to fall with scale
POLISH = 3  # best starts refitted on every run when the search used a subset

Predict = Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]


def _kaplan(t, c):
    lnc, ldc, an, ad = t
    return ad * np.logaddexp((an / ad) * (lnc - np.log(c["params"])), ldc - np.log(c["tokens"]))


def _data_constrained(t, c):
    e, a, b, al, be, lrd, lrn = t
    A, B, E, rd_s, rn_s = np.exp(a), np.exp(b), np.exp(e), np.exp(lrd), np.exp(lrn)
    n, d, u = c["params"], c["tokens"], c["unique_tokens"]
    G = ((al * A) / (be * B)) ** (1 / (al + be))
    rd = np.maximum(d / u - 1, 0)
    un = np.minimum(n, (u * G) ** (be / al) * G)
    rn = np.maximum(n / un - 1, 0)
    n_eff = un + un * rn_s * (1 - np.exp(-rn / rn_s))
    d_eff = u + u * rd_s * (1 - np.exp(-rd / rd_s))
    return np.log(E + A / n_eff**al + B / d_eff**be)


def _moe(t, c):
    lc, la, al, lb, be, lg, ga = t
    n, d, g = c["params"], c["tokens"], c["granularity"]
    return np.log(np.exp(lc) + (np.exp(lg) / g**ga + np.exp(la)) / n**al + np.exp(lb) / d**be)


@dataclass(frozen=True)
class LawSpec:
    names: tuple[str, ...]
    needs: tuple[str, ...]
    predict: Predict
    grid: tuple[tuple[float, ...], ...]
    report: Callable[[np.ndarray], dict[str, float]]
    source: str


LAWS: dict[str, LawSpec] = {
    "kaplan": LawSpec(
        ("log_Nc", "log_Dc", "alpha_n", "alpha_d"), ("params", "tokens", "loss"), _kaplan,
        ((25.0, 30.0, 35.0), (20.0, 25.0, 30.0), (0.05, 0.1, 0.3), (0.05, 0.1, 0.3)),
        lambda t: {"Nc": float(np.exp(t[0])), "Dc": float(np.exp(t[1])), "alpha_n": float(t[2]), "alpha_d": float(t[3])},
        "Kaplan et al. 2020 eq. 1.5: L = [(Nc/N)^(aN/aD) + Dc/D]^aD",
    ),
    "data-constrained": LawSpec(
        ("e", "a", "b", "alpha", "beta", "log_rd_star", "log_rn_star"), ("params", "tokens", "unique_tokens", "loss"),
        _data_constrained,
        ((0.5,), (6.0,), (7.0,), (0.3,), (0.3,), (np.log(5.0), np.log(15.0), np.log(40.0)), (np.log(2.0), np.log(5.0), np.log(15.0))),
        lambda t: {"E": float(np.exp(t[0])), "A": float(np.exp(t[1])), "B": float(np.exp(t[2])), "alpha": float(t[3]),
                   "beta": float(t[4]), "rd_star": float(np.exp(t[5])), "rn_star": float(np.exp(t[6]))},
        "Muennighoff et al. 2023 data-constrained law (R_D*, R_N*: decay of repeated tokens / excess parameters)",
    ),
    "moe": LawSpec(
        ("log_c", "log_a", "alpha", "log_b", "beta", "log_g", "gamma"), ("params", "tokens", "granularity", "loss"), _moe,
        ((np.log(0.5), np.log(1.5)), (1.0, 4.0), (0.1, 0.3), (1.0, 4.0), (0.1, 0.3), (0.0, 2.0), (0.3, 0.6)),
        lambda t: {"c": float(np.exp(t[0])), "a": float(np.exp(t[1])), "alpha": float(t[2]), "b": float(np.exp(t[3])),
                   "beta": float(t[4]), "g": float(np.exp(t[5])), "gamma": float(t[6])},
        "Krajewski et al. 2024 fine-grained MoE form: L = c + (g/G^gamma + a)/N^alpha + b/D^beta (N active params)",
    ),
}  # fmt: skip


def law_spec(law: str) -> LawSpec:
    if law not in LAWS:
        raise InputError("law", None, f"must be one of chinchilla, {', '.join(LAWS)}, got {law!r}")
    return LAWS[law]


def estimator(law: str, **kwargs: Any) -> ChinchillaFit | LawFit:
    """The estimator of `law` (chinchilla, kaplan, data-constrained, moe) with its options."""
    if law == "chinchilla":
        return ChinchillaFit(**kwargs)
    law_spec(law)
    return LawFit(law=law, **{k: v for k, v in kwargs.items() if k in ("delta", "random_state")})


def needs(law: str) -> tuple[str, ...]:
    """The run columns `law` reads (the CLI asks the file for these)."""
    return ChinchillaFit.needs if law == "chinchilla" else law_spec(law).needs


@dataclass
class LawFit:
    """Fit one of `LAWS` by summed Huber loss on log loss (see `ChinchillaFit` for the conventions)."""

    law: str = "kaplan"
    delta: float = 1e-3
    rtol: float = 1e-3
    random_state: int = 0

    def _objective(self, t, cols, log_l, w):
        with np.errstate(all="ignore"):
            r = self.spec.predict(t, cols) - log_l
        if not np.all(np.isfinite(r)):
            return 1e6
        return float((huber(r, self.delta) * w).sum())

    @property
    def needs(self) -> tuple[str, ...]:
        """The run columns this law reads."""
        return law_spec(self.law).needs

    def fit(self, runs: Runs) -> LawFit:
        from scipy.optimize import minimize

        self.spec = law_spec(self.law)
        for k in self.spec.needs:
            if k not in runs.columns:
                raise InputError("runs", k, f"the {self.law} law needs this column")
        cols = {k: runs[k] for k in self.spec.needs}
        n = len(cols["loss"])
        if n < len(self.spec.names) + 1:
            raise InputError(
                "runs",
                None,
                f"needs at least {len(self.spec.names) + 1} runs for {len(self.spec.names)} parameters, got {n}",
            )
        self._cols = cols
        log_l = np.log(cols["loss"])
        w = np.ones(n)
        # bounded work: over SEARCH_ROWS runs, every start is run on a fixed random subset and the
        # best few are polished on all runs (as ChinchillaFit)
        sub_cols, sub_l, sub_w = cols, log_l, w
        if n > SEARCH_ROWS:
            idx = np.sort(np.random.default_rng(0).choice(n, SEARCH_ROWS, replace=False))
            sub_cols, sub_l, sub_w = {k: v[idx] for k, v in cols.items()}, log_l[idx], w[idx]
        opts = {"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000}
        results = []
        for x0 in itertools.product(*self.spec.grid):
            res = minimize(self._objective, np.asarray(x0), args=(sub_cols, sub_l, sub_w), method="L-BFGS-B",
                           options=opts)  # fmt: skip
            results.append((float(res.fun), res.x))
        results.sort(key=lambda r: r[0])
        self.n_starts_ = len(results)
        if n > SEARCH_ROWS:
            polished = [minimize(self._objective, x, args=(cols, log_l, w), method="L-BFGS-B", options=opts)
                        for _, x in results[:POLISH]]  # fmt: skip
            results = sorted(((float(r.fun), r.x) for r in polished), key=lambda r: r[0])
        self.objective_, self.theta_ = results[0]
        self.best_objective_ = self.objective_
        self.params_ = self.spec.report(self.theta_)
        exponents = {k: v for k, v in self.params_.items() if k in EXPONENTS}
        self.problems_ = identification_problems(np.log(cols["params"]), np.log(cols["tokens"]), exponents)
        self.identified_ = not self.problems_
        self.converged_ = self.identified_  # the best start's minimum; not a fit when unidentified
        self.warning_ = "not identified: " + "; ".join(self.problems_) if self.problems_ else ""
        self.residuals_ = (self.spec.predict(self.theta_, cols) - log_l).tolist()
        return self

    def bootstrap(self, n_boot: int = 200) -> dict[str, list[float]]:
        """Parameter samples from `n_boot` resampled refits (bounded work: `check_bootstrap`)."""
        from scipy.optimize import minimize

        check_bootstrap(n_boot, len(self._cols["loss"]))
        rng = np.random.default_rng(self.random_state)
        log_l = np.log(self._cols["loss"])
        size = len(log_l)
        rows = []
        for _ in range(n_boot):
            w = np.bincount(rng.integers(0, size, size), minlength=size).astype(float)
            res = minimize(self._objective, self.theta_, args=(self._cols, log_l, w), method="L-BFGS-B",
                           options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000})  # fmt: skip
            rows.append(list(self.spec.report(res.x).values()))
        arr = np.asarray(rows)
        lo, hi = np.percentile(arr, [2.5, 97.5], axis=0)
        self.ci95_ = {k: [float(a), float(b)] for k, a, b in zip(self.params_, lo, hi, strict=True)}
        return self.ci95_

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"law": self.law, "params": self.params_, "objective": self.objective_,
                               "converged": self.converged_, "identified": self.identified_,
                               "identification_problems": self.problems_, "starts": self.n_starts_,
                               "huber_delta": self.delta, "form": self.spec.source,
                               "residuals_log": self.residuals_}  # fmt: skip
        if self.warning_:
            out["warning"] = self.warning_
        if hasattr(self, "ci95_"):
            out["ci95"] = self.ci95_
        return out
