"""Estimators for scaling laws, in the scikit-learn style: every estimator (`ChinchillaFit` here,
`trillion.scaling.fit_other.LawFit`, `trillion.scaling.isoflop.DownstreamFit`) has ``needs`` (the
run columns its law reads), ``fit(runs) -> self`` on a `trillion.scaling.runs.Runs`, and results
ending in _: ``params_``, ``converged_``, ``identified_``, ``warning_``, ``ci95_`` after
``bootstrap(n)``, and ``to_dict()``.

Objective (Hoffmann et al. 2022 App. D.2, as replicated by Besiroglu et al. 2024): the summed
Huber loss (delta 1e-3 by default) of the residual in log loss. For Chinchilla's form the residual
is LSE(a - alpha log N, b - beta log D, e) - log L with A, B, E = exp(a, b, e).

Search: every start of a grid at least as wide as Chinchilla's 4,500 points (alpha, beta in
0..2 by 0.5; e in -1..1 by 0.5; a, b in 0..25 by 5) is advanced together by a vectorised
first-order method (Adam on the exact gradient, in rounds that keep the best quarter: successive
halving), then the best distinct end points are polished with L-BFGS-B at tight tolerances (over
SEARCH_ROWS runs, the starts are ranked on a fixed random subset of that many). ``converged_``
says whether the reported minimum is within ``rtol`` of the best minimum any start found; a fit
from one given start (``init=``, plain L-BFGS-B at scipy's defaults, as a naive user would run
it) is checked against that reference.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from trillion.errors import InputError
from trillion.scaling.laws import Chinchilla

if TYPE_CHECKING:
    from trillion.scaling.runs import Runs

HOFFMANN_GRID = {
    "a": np.arange(0, 30, 5.0),
    "b": np.arange(0, 30, 5.0),
    "e": np.arange(-1, 1.5, 0.5),
    "alpha": np.arange(0, 2.5, 0.5),
    "beta": np.arange(0, 2.5, 0.5),
}  # 6 x 6 x 5 x 5 x 5 = 4,500 starts, Hoffmann et al. 2022 App. D.2
# Bounded work: the multi-start search holds (starts x runs) arrays, so beyond this many runs it
# ranks its starts on a fixed random subset and only the polish (L-BFGS-B) sees every run
# (20,000 runs took 584 s and 7.8 GB before). Epoch's 245 and any ladder are far below it.
SEARCH_ROWS = 2_000
MAX_LOO_RUNS = 2_000  # leave-one-out refits once per run: O(runs^2)
MAX_BOOTSTRAP_WORK = 50_000_000  # resamples x runs


def check_bootstrap(n_boot: int, runs: int) -> None:
    """Bounded work for every fit's bootstrap: 1..100,000 resamples and resamples x runs at most
    MAX_BOOTSTRAP_WORK; otherwise one `InputError` naming the limit."""
    if not 0 < n_boot <= 100_000:
        raise InputError("bootstrap", None, f"must be between 1 and 100000, got {n_boot}")
    if n_boot * runs > MAX_BOOTSTRAP_WORK:
        raise InputError(
            "bootstrap",
            None,
            f"{n_boot:,} resamples of {runs:,} runs is over the bounded work of {MAX_BOOTSTRAP_WORK:,}"
            f" (at most {MAX_BOOTSTRAP_WORK // runs:,} resamples here)",
        )


COLLINEAR_SD = 0.02  # log-tokens within 2% of a power of parameters in every run: alpha, beta inseparable
NEGLIGIBLE_TERM = 1e-3  # a term below 0.1% of the loss in every run is not determined by the data


def identification_problems(log_n: np.ndarray, log_d: np.ndarray, exponents: dict[str, float],
                            terms: dict[str, np.ndarray] | None = None, log_l: np.ndarray | None = None) -> list[str]:  # fmt: skip
    """Why a fitted law's constants are not determined by its data, or unphysical; [] when neither.

    - Every run with the same size (or the same tokens): that exponent and its scale are free.
    - Tokens a fixed power of parameters in every run (e.g. always 20 tokens per parameter):
      N and D move together, so the data cannot tell the parameter exponent from the data exponent.
    - An exponent <= 0: loss would rise (or stay flat) with scale.
    - A term below 0.1% of the loss in every run: the fit does without it; its constants are arbitrary.
    """
    problems = []
    flat_n, flat_d = float(np.ptp(log_n)) < 1e-6, float(np.ptp(log_d)) < 1e-6
    if flat_n:
        problems.append("every run has the same parameter count: the parameter exponent is not determined")
    if flat_d:
        problems.append("every run has the same token count: the data exponent is not determined")
    if not (flat_n or flat_d):
        slope, icpt = np.polyfit(log_n, log_d, 1)
        sd = float(np.std(log_d - (icpt + slope * log_n)))
        if sd < COLLINEAR_SD:
            problems.append(
                f"tokens are a fixed power of parameters in every run (D = {np.exp(icpt):.3g} N^{slope:.3f}, within "
                f"{sd:.1%}): the parameter and data exponents cannot be told apart; add runs that vary tokens at a "
                "fixed model size"
            )
    for name, value in exponents.items():
        if not value > 0:
            problems.append(f"{name} = {value:.3g}: loss would not fall with scale (unphysical)")
    if terms is not None and log_l is not None:
        loss = np.exp(log_l)
        for name, values in terms.items():
            if float(np.max(values / loss)) < NEGLIGIBLE_TERM:
                problems.append(f"the {name} term stays below 0.1% of the loss in every run: its constants are not "
                                "determined by these data")  # fmt: skip
    return problems


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    ar = np.abs(r)
    return np.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta))


def _chinchilla_terms(theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray):
    """Residual ingredients for parameters `theta` (..., 5) = (a, b, e, alpha, beta)."""
    a, b, e, al, be = (theta[..., i, None] for i in range(5))
    x0, x1 = a - al * log_n, b - be * log_d
    x2 = np.broadcast_to(e, x0.shape)
    m = np.maximum(np.maximum(x0, x1), x2)
    w0, w1, w2 = np.exp(x0 - m), np.exp(x1 - m), np.exp(x2 - m)
    s = w0 + w1 + w2
    return m + np.log(s), w0 / s, w1 / s, w2 / s


def chinchilla_objective(theta, log_n, log_d, log_l, delta, weights=None):
    """Summed Huber objective and its gradient for one or many parameter vectors."""
    lse, w0, w1, w2 = _chinchilla_terms(np.asarray(theta, dtype=float), log_n, log_d)
    r = lse - log_l
    k = np.ones_like(log_l) if weights is None else weights
    f = (huber(r, delta) * k).sum(-1)
    g = np.clip(r, -delta, delta) * k
    grad = np.stack(
        [
            (g * w0).sum(-1),
            (g * w1).sum(-1),
            (g * w2).sum(-1),
            -(g * w0 * log_n).sum(-1),
            -(g * w1 * log_d).sum(-1),
        ],
        axis=-1,
    )
    return f, grad


def _grid(grid: dict[str, np.ndarray]) -> np.ndarray:
    keys = ("a", "b", "e", "alpha", "beta")
    return np.asarray(list(itertools.product(*(grid[k] for k in keys))), dtype=float)


@dataclass
class ChinchillaFit:
    """Fit L = E + A/N^alpha + B/D^beta by Huber loss on log L.

    Parameters: ``delta`` (Huber threshold on log-loss residuals), ``grid`` (start values; default
    Hoffmann's 4,500), ``init`` (a single start (A, B, E, alpha, beta) instead of the grid; the
    grid search still runs as the reference for ``converged_``), ``schedule`` ((Adam steps, share
    kept) per successive-halving round),
    ``polish`` (distinct end points polished by L-BFGS-B), ``rtol`` (tolerance of the convergence
    check), ``random_state`` (bootstrap seed).
    """

    needs: ClassVar[tuple[str, ...]] = ("params", "tokens", "loss")
    delta: float = 1e-3
    grid: dict[str, np.ndarray] | None = None
    init: tuple[float, float, float, float, float] | None = None
    schedule: tuple[tuple[int, float], ...] = ((25, 0.25), (50, 0.25), (100, 0.25), (150, 1.0))
    polish: int = 16
    rtol: float = 1e-3
    random_state: int = 0

    def _data(self, n, d, loss):
        n, d, loss = (np.asarray(x, dtype=float).ravel() for x in (n, d, loss))
        if not (n.shape == d.shape == loss.shape):
            raise InputError("runs", None, "params, tokens and loss must have the same length")
        if n.size < 6:
            raise InputError("runs", None, f"needs at least 6 runs to fit 5 parameters, got {n.size}")
        for name, x in (("params", n), ("tokens", d), ("loss", loss)):
            if not np.all(np.isfinite(x)) or np.any(x <= 0):
                raise InputError("runs", name, "every value must be a positive finite number")
        return np.log(n), np.log(d), np.log(loss)

    def _search(self, log_n, log_d, log_l, weights=None) -> tuple[np.ndarray, float, int]:
        from scipy.optimize import minimize

        full = (log_n, log_d, log_l, weights)
        if log_n.size > SEARCH_ROWS:  # rank the starts on a fixed subset; polish on every run
            idx = np.sort(np.random.default_rng(0).choice(log_n.size, SEARCH_ROWS, replace=False))
            log_n, log_d, log_l = log_n[idx], log_d[idx], log_l[idx]
            weights = None if weights is None else weights[idx]
        starts = _grid(self.grid or HOFFMANN_GRID)
        # every start advances together (float32 Adam); after each round the worse 3/4 are dropped
        # (successive halving), so all 4,500 starts get steps but only the promising ones get many
        theta = starts.astype(np.float32)
        n32, d32, l32 = (x.astype(np.float32) for x in (log_n, log_d, log_l))
        w32 = None if weights is None else weights.astype(np.float32)
        lr, b1, b2 = np.float32(0.05), np.float32(0.9), np.float32(0.999)
        for steps, keep in self.schedule:
            m = np.zeros_like(theta)
            v = np.zeros_like(theta)
            for t in range(1, steps + 1):
                _, g = chinchilla_objective(theta, n32, d32, l32, self.delta, w32)
                g = np.nan_to_num(g)
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + np.float32(1e-12))
            f, _ = chinchilla_objective(theta, n32, d32, l32, self.delta, w32)
            f = np.where(np.isfinite(f), f, np.inf)
            theta = theta[np.argsort(f)[: max(self.polish, int(np.ceil(keep * len(theta))))]]
        theta = theta.astype(float)
        f, _ = chinchilla_objective(theta, log_n, log_d, log_l, self.delta, weights)
        order = np.argsort(f)
        picked: list[np.ndarray] = []
        for i in order:
            if all(np.max(np.abs(theta[i] - p)) > 1e-3 for p in picked):
                picked.append(theta[i])
            if len(picked) >= self.polish:
                break
        log_n, log_d, log_l, weights = full
        best_x = theta[order[0]]
        best_f = float(chinchilla_objective(best_x, log_n, log_d, log_l, self.delta, weights)[0])
        for x0 in picked:
            res = minimize(
                chinchilla_objective, x0, args=(log_n, log_d, log_l, self.delta, weights), jac=True,
                method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000},
            )  # fmt: skip
            if res.fun < best_f:
                best_x, best_f = res.x, float(res.fun)
        return best_x, best_f, len(starts)

    def fit(self, runs: Runs) -> ChinchillaFit:
        """Fit on `runs`: parameters, tokens and final losses (nats per token)."""
        from scipy.optimize import minimize

        log_n, log_d, log_l = self._data(runs["params"], runs["tokens"], runs["loss"])
        self._log = (log_n, log_d, log_l)
        best_x, best_f, n_starts = self._search(log_n, log_d, log_l)
        self.n_starts_ = n_starts
        self.best_objective_ = best_f
        if self.init is not None:
            A, B, E, al, be = self.init
            x0 = np.array([np.log(A), np.log(B), np.log(E), al, be])
            res = minimize(lambda t: float(chinchilla_objective(t, log_n, log_d, log_l, self.delta)[0]), x0,
                           method="L-BFGS-B")  # fmt: skip
            x, f = res.x, float(res.fun)
        else:
            x, f = best_x, best_f
        self.theta_ = x
        self.objective_ = f
        self.converged_ = bool(f <= self.best_objective_ * (1 + self.rtol))
        self.law_ = Chinchilla(
            E=float(np.exp(x[2])), A=float(np.exp(x[0])), B=float(np.exp(x[1])), alpha=float(x[3]), beta=float(x[4]),
            source=f"fitted by trillion (Huber delta {self.delta:g} on log loss, {n_starts} starts)",
            fitted_range={"params": (float(np.exp(log_n.min())), float(np.exp(log_n.max()))),
                          "tokens": (float(np.exp(log_d.min())), float(np.exp(log_d.max()))),
                          "flop": (float(6 * np.exp(log_n + log_d).min()), float(6 * np.exp(log_n + log_d).max()))},
        )  # fmt: skip
        self.params_ = self.law_.to_dict()
        self.residuals_ = (_chinchilla_terms(x, log_n, log_d)[0] - log_l).tolist()
        law = self.law_
        self.problems_ = identification_problems(
            log_n, log_d, {"alpha": law.alpha, "beta": law.beta},
            {"A/N^alpha": law.A / np.exp(law.alpha * log_n), "B/D^beta": law.B / np.exp(law.beta * log_d)}, log_l,
        )  # fmt: skip
        self.identified_ = not self.problems_
        warnings = []
        if not self.converged_:
            warnings.append(
                f"the fit stopped at objective {f:.6g}, above the best minimum found from {n_starts} starts "
                f"({self.best_objective_:.6g}): not converged"
            )
        if self.problems_:
            self.converged_ = False  # a minimum of an unidentified or unphysical law is not a fit
            warnings.append("not identified: " + "; ".join(self.problems_))
        self.warning_ = "; ".join(warnings)
        return self

    def bootstrap(self, n_boot: int = 1000) -> dict[str, Any]:
        """Percentile-bootstrap 95% intervals: resample runs with replacement, refit from the full-data
        optimum (L-BFGS-B). Returns the intervals and keeps the samples in ``bootstrap_samples_``."""
        from scipy.optimize import minimize

        log_n, log_d, log_l = self._log
        check_bootstrap(n_boot, log_n.size)
        rng = np.random.default_rng(self.random_state)
        size = log_n.size
        out = np.empty((n_boot, 5))
        for i in range(n_boot):
            w = np.bincount(rng.integers(0, size, size), minlength=size).astype(float)
            res = minimize(
                chinchilla_objective, self.theta_, args=(log_n, log_d, log_l, self.delta, w), jac=True,
                method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000},
            )  # fmt: skip
            out[i] = res.x
        samples = np.column_stack(
            [np.exp(out[:, 2]), np.exp(out[:, 0]), np.exp(out[:, 1]), out[:, 3], out[:, 4]]
        )
        self.bootstrap_samples_ = samples  # columns E, A, B, alpha, beta
        names = ("E", "A", "B", "alpha", "beta")
        lo, hi = np.percentile(samples, [2.5, 97.5], axis=0)
        self.ci95_ = {k: [float(a), float(b)] for k, a, b in zip(names, lo, hi, strict=True)}
        return self.ci95_

    def loo_error(self) -> float:
        """Leave-one-out: mean |log L - log L_hat| predicting each run from a fit without it."""
        from scipy.optimize import minimize

        log_n, log_d, log_l = self._log
        if log_n.size > MAX_LOO_RUNS:
            raise InputError(
                "loo",
                None,
                f"{log_n.size:,} runs is over {MAX_LOO_RUNS:,} (one refit per run: bounded work)",
            )
        errs = []
        for i in range(log_n.size):
            w = np.ones_like(log_l)
            w[i] = 0.0
            res = minimize(
                chinchilla_objective, self.theta_, args=(log_n, log_d, log_l, self.delta, w), jac=True,
                method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12},
            )  # fmt: skip
            pred = _chinchilla_terms(res.x, log_n[i : i + 1], log_d[i : i + 1])[0][0]
            errs.append(abs(pred - log_l[i]))
        self.loo_mean_abs_log_error_ = float(np.mean(errs))
        return self.loo_mean_abs_log_error_

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "law": "chinchilla",
            "params": self.params_,
            "objective": self.objective_,
            "best_objective_found": self.best_objective_,
            "converged": self.converged_,
            "identified": self.identified_,
            "identification_problems": self.problems_,
            "starts": self.n_starts_,
            "huber_delta": self.delta,
            "fitted_range": self.law_.fitted_range,
            "residuals_log": self.residuals_,
        }
        if self.warning_:
            out["warning"] = self.warning_
        if hasattr(self, "ci95_"):
            out["ci95"] = self.ci95_
            out["bootstrap_samples"] = self.bootstrap_samples_.tolist()
        if hasattr(self, "loo_mean_abs_log_error_"):
            out["loo_mean_abs_log_error"] = self.loo_mean_abs_log_error_
        return out
