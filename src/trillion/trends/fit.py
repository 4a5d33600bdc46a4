"""Log-linear trends with their uncertainty: ``log10 y = a + b (t - t0) + sum c_k x_k`` by ordinary
least squares, where t is the decimal year and x_k optional covariates (a capability score, so a
price or a compute falls "at fixed capability").

Intervals are the textbook ones for a linear model with Gaussian residuals (Student-t with n - p
degrees of freedom): the slope's confidence interval gives the doubling (or halving) time's, and
the prediction interval for a new point (parameter uncertainty plus residual scatter) gives the
P10-P90 band a point of that date should fall in. A prediction past the last data date is an
extrapolation and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LOG10_2 = float(np.log10(2.0))


def _t_quantile(p: Any, dof: int) -> Any:
    """Student-t quantile (scipy.special's inverse CDF: a fraction of scipy.stats' import time)."""
    from scipy.special import stdtrit

    return stdtrit(dof, p)


@dataclass(frozen=True)
class Fit:
    """One fitted trend. ``coef`` = (a, b, c_1, ...) for log10 y; ``cov`` their covariance;
    ``sigma`` the residual standard deviation (log10); ``dof`` = n - p; ``t_range`` the data's
    first and last dates; ``t0`` the reference year of the intercept."""

    coef: np.ndarray
    cov: np.ndarray
    sigma: float
    dof: int
    n: int
    t0: float
    t_range: tuple[float, float]
    covariates: tuple[str, ...] = field(default=())

    @property
    def slope(self) -> float:
        """log10 change per year."""
        return float(self.coef[1])

    def slope_interval(self, level: float = 0.95) -> tuple[float, float]:
        half = _t_quantile(0.5 + level / 2, self.dof) * float(np.sqrt(self.cov[1, 1]))
        return self.slope - half, self.slope + half

    def factor_per_year(self, level: float = 0.95) -> dict[str, float]:
        """y's multiplicative change per year, P50 and the slope's `level` interval."""
        lo, hi = self.slope_interval(level)
        return {"p50": 10**self.slope, "low": 10**lo, "high": 10**hi}

    def doubling_years(self, level: float = 0.95) -> dict[str, float] | None:
        """Years for y to double (slope > 0) or halve (slope < 0), P50 and the interval the slope's
        `level` interval maps to; None when that interval spans zero (no time can be given)."""
        lo, hi = self.slope_interval(level)
        if lo <= 0 <= hi:
            return None
        ends = sorted(LOG10_2 / abs(s) for s in (lo, hi))
        return {"p50": LOG10_2 / abs(self.slope), "low": ends[0], "high": ends[1]}

    def _design(self, t: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        cols = [np.ones_like(t), t - self.t0]
        if self.covariates:
            assert x is not None, "this fit needs its covariates"
            cols += [x[:, k] for k in range(x.shape[1])]
        return np.column_stack(cols)

    def predict(
        self,
        t: Any,
        x: Any = None,
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
        new_point: bool = True,
    ) -> np.ndarray:
        """Quantiles of y (not log) at dates `t` (and covariates `x`, one row per date): the
        prediction interval of a new point, or with ``new_point=False`` the mean's interval."""
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        xx = None if x is None else np.asarray(x, dtype=float).reshape(len(tt), -1)
        design = self._design(tt, xx)
        mean = design @ self.coef
        var = np.einsum("ij,jk,ik->i", design, self.cov, design) + (self.sigma**2 if new_point else 0.0)
        z = _t_quantile(np.asarray(quantiles), self.dof)
        return 10 ** (mean[:, None] + np.sqrt(var)[:, None] * z[None, :])

    def slope_samples(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draws of the slope from its sampling distribution (Student-t around the estimate)."""
        return self.slope + float(np.sqrt(self.cov[1, 1])) * rng.standard_t(self.dof, n)

    def is_extrapolation(self, t: float) -> bool:
        return not self.t_range[0] <= t <= self.t_range[1]

    def to_dict(self) -> dict[str, Any]:
        d = self.doubling_years()
        return {
            "n": self.n,
            "dates": list(self.t_range),
            "log10_slope_per_year": self.slope,
            "factor_per_year": self.factor_per_year(),
            "doubling_or_halving_years": d,
            "residual_sigma_log10": self.sigma,
            "covariates": list(self.covariates),
        }


def fit_loglinear(
    t: Any,
    y: Any,
    x: Any = None,
    covariates: Sequence[str] = (),
) -> Fit:
    """OLS of log10 `y` on date `t` (decimal years) and optional covariates `x` (one row per point,
    named by `covariates`). Needs more points than parameters plus one, all y > 0."""
    tt = np.asarray(t, dtype=float)
    yy = np.asarray(y, dtype=float)
    p = 2 + len(covariates)
    if len(tt) < p + 2 or np.ptp(tt) <= 0:
        raise ValueError(f"{len(tt)} points over {np.ptp(tt):.2f} years: too few to fit {p} parameters")
    if not (yy > 0).all():
        raise ValueError("a log-linear trend needs positive values")
    t0 = float(np.round(np.mean(tt)))
    xx = None if not covariates else np.asarray(x, dtype=float).reshape(len(tt), -1)
    cols = [np.ones_like(tt), tt - t0] + ([xx[:, k] for k in range(xx.shape[1])] if xx is not None else [])
    design = np.column_stack(cols)
    logy = np.log10(yy)
    coef, *_ = np.linalg.lstsq(design, logy, rcond=None)
    resid = logy - design @ coef
    dof = len(tt) - p
    sigma = float(np.sqrt(resid @ resid / dof))
    cov = sigma**2 * np.linalg.pinv(design.T @ design)
    return Fit(coef=coef, cov=cov, sigma=sigma, dof=dof, n=len(tt), t0=t0,
               t_range=(float(tt.min()), float(tt.max())), covariates=tuple(covariates))  # fmt: skip


def backtest(
    t: Any,
    y: Any,
    x: Any = None,
    covariates: Sequence[str] = (),
    *,
    fit_until: float = 2022.0,
    test_from: float = 2023.0,
    test_until: float = 2026.0,
) -> dict[str, Any]:
    """Fit on the points dated before `fit_until` (by default: up to 2021) and count how many of the
    points dated [`test_from`, `test_until`) fall inside the fit's own P10-P90 prediction interval
    (80% expected if the trend held). ``fitted`` False with a reason when too few early points."""
    tt = np.asarray(t, dtype=float)
    yy = np.asarray(y, dtype=float)
    xx = None if not covariates else np.asarray(x, dtype=float).reshape(len(tt), -1)
    early = tt < fit_until
    late = (tt >= test_from) & (tt < test_until)
    out: dict[str, Any] = {"fit_until": fit_until, "test": [test_from, test_until],
                           "n_fit": int(early.sum()), "n_test": int(late.sum())}  # fmt: skip
    try:
        f = fit_loglinear(tt[early], yy[early], None if xx is None else xx[early], covariates)
    except ValueError as e:
        return {**out, "fitted": False, "reason": str(e)}
    if not late.any():
        return {**out, "fitted": False, "reason": "no points to test in the window"}
    q = f.predict(tt[late], None if xx is None else xx[late])
    inside = (yy[late] >= q[:, 0]) & (yy[late] <= q[:, 2])
    above = yy[late] > q[:, 2]
    return {**out, "fitted": True, "inside": int(inside.sum()), "above": int(above.sum()),
            "below": int((~inside & ~above).sum()), "share_inside": float(inside.mean()),
            "fit_factor_per_year": 10**f.slope}  # fmt: skip
