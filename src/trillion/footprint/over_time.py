"""Affordability over time: what a budget trains in a given year, and the year a budget trains
(or serves) a model of a given class.

Today's figures come from `trillion.footprint.afford` (today's quotes, MFU range, goodput and
reality gap). Time enters through two fitted trends (`trillion.trends.series`):

- the cloud price per FLOP (USD per device-hour over the device's peak FLOP, 2018-2025): a budget
  rents 10^(-s (Y - base)) times more FLOP in year Y ("same recipe": the model and its tokens as
  today, MFU as today);
- algorithmic efficiency (training FLOP at fixed MMLU, 2020-2025): a model of the same capability
  needs 10^(a (Y - base)) times today's FLOP ("same capability": today's price trend and the
  algorithms' trend together).

Serving a model for a year (one replica of the serving plan, every hour) follows the cloud price
trend for the same model, and the inference price trend at fixed capability (API USD per million
tokens at fixed MMLU) for the same capability.

Uncertainty: today's P10-P90 (a lognormal through them) times the trends' slopes drawn from their
sampling distribution (Student-t). Beyond the trends' last data date every figure is an
extrapolation and is labelled so; years before their first date are refused. ``base`` is the date
of the newest shipped price quote (``catalog/footprint/prices.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from trillion.catalog import DEFAULT_CLUSTER, SERVE_GPU
from trillion.dist import SAMPLES, percentiles
from trillion.errors import InputError

MAX_YEAR = 2060  # past this a log-linear extrapolation of a 7-year trend has no meaning
NEVER = 2200.0  # a draw whose trends never get there (a slope of the wrong sign): shown as "never"
Z90 = 1.2815515655446004  # standard normal P90


@dataclass(frozen=True)
class Rates:
    """The trends' slopes (log10 per year) and their dates: ``price`` cloud USD per FLOP, ``algo``
    training FLOP at fixed capability, ``inference`` API price at fixed capability."""

    price: Any
    algo: Any
    inference: Any
    base: float
    first: float  # the earliest date every trend used has data for
    last: float  # the latest date of the price trend's data

    def draws(self, seed: int = 0, n: int = SAMPLES) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed + 101)
        return {k: getattr(self, k).slope_samples(rng, n) for k in ("price", "algo", "inference")}

    def assumptions(self) -> list[dict[str, str]]:
        out = []
        for key, what in (("price", "cloud price per FLOP"), ("algo", "algorithmic efficiency"),
                          ("inference", "inference price at fixed capability")):  # fmt: skip
            f = getattr(self, key)
            fy = f.factor_per_year()
            out.append({"name": f"trend: {what}",
                        "value": f"x{fy['p50']:.3g} per year (95% CI {fy['low']:.3g}-{fy['high']:.3g}), "
                                 f"{f.n} points {f.t_range[0]:.0f}-{f.t_range[1]:.0f}",
                        "source": "trillion.trends (sourced points in catalog/trends; `trillion trends`)"})  # fmt: skip
        out.append(
            {
                "name": "today",
                "value": f"{self.base:.1f}",
                "source": "the newest shipped price quote (catalog/footprint/prices.csv)",
            }
        )
        out.append(
            {
                "name": "MFU, goodput, tokens per parameter",
                "value": "as today",
                "source": "trillion.footprint.afford: no trend assumed",
            }
        )
        return out


@cache
def rates() -> Rates:
    from trillion.catalog.trend_data import decimal_year
    from trillion.footprint import data
    from trillion.trends.series import algorithmic_efficiency, cloud_price_per_flop, inference_price

    price, algo, inf = cloud_price_per_flop().fit(), algorithmic_efficiency().fit(), inference_price().fit()
    base = max(decimal_year(r["date"]) for r in data.table("prices") if r["date"])
    return Rates(price, algo, inf, base=base, first=max(f.t_range[0] for f in (price, algo, inf)),
                 last=price.t_range[1])  # fmt: skip


def check_year(year: float, r: Rates | None = None, where: str = "--year") -> float:
    """`year` if the trends can speak of it (after their first data year, up to `MAX_YEAR`), else
    `InputError` naming `where`."""
    r = r or rates()
    if isinstance(year, bool) or not isinstance(year, int | float) or not np.isfinite(year):
        raise InputError(where, None, f"must be a year, got {year!r}")
    if year < int(r.first) + 1:
        raise InputError(where, None, f"{year:g} is before the trends' data (they start in {r.first:.0f})")
    if year > MAX_YEAR:
        raise InputError(
            where, None, f"{year:g} is past {MAX_YEAR}: a trend fitted on 2018-2025 says nothing that far"
        )
    return int(year) if float(year).is_integer() else float(year)


def _lognormal(p: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Samples of a positive quantity through its P10, P50, P90 (lognormal, sigma from P10-P90)."""
    mu = np.log(p["p50"])
    sigma = max((np.log(p["p90"]) - np.log(p["p10"])) / (2 * Z90), 0.0)
    return np.exp(mu + sigma * rng.standard_normal(n))


def _label(year: float, r: Rates) -> str:
    return "extrapolation" if year > r.last else "within the data"


def budget_in_year(today: Any, year: float, *, seed: int = 0) -> dict[str, Any]:
    """What the budget of `today` (an `Affordable`) trains in `year`: training FLOP, compute-optimal
    parameters and tokens (same recipe), and the FLOP today's algorithms would need for the same
    capability ("capability-equivalent" FLOP), each P10/P50/P90."""
    from trillion.footprint.afford import TOKENS_PER_PARAM

    r = rates()
    check_year(year, r)
    rng = np.random.default_rng(seed + 17)
    d = r.draws(seed)
    dt = year - r.base
    flop = _lognormal(today.train_flop, SAMPLES, rng) * 10 ** (-d["price"] * dt)
    params = np.sqrt(flop / (6 * TOKENS_PER_PARAM))
    equivalent = flop * 10 ** (-d["algo"] * dt)
    return {"year": year, "basis": _label(year, r), "train_flop": percentiles(flop), "params": percentiles(params),
            "tokens": percentiles(params * TOKENS_PER_PARAM), "capability_equivalent_flop": percentiles(equivalent)}  # fmt: skip


def _years_until(ratio: np.ndarray, fall_per_year: np.ndarray, base: float) -> np.ndarray:
    """The year a cost `ratio` times the budget falls to the budget at log10 `fall_per_year`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(ratio <= 1.0, 0.0, np.log10(ratio) / fall_per_year)
    dt = np.where((ratio > 1.0) & (fall_per_year <= 0), np.inf, dt)
    return np.minimum(base + dt, NEVER)


def model_over_time(train_flop: float, cost_today_usd: dict[str, float], serve_year_usd: dict[str, float] | None,
                    year: float, budgets: list[dict[str, Any]], *, seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """A model of `train_flop` whose training costs `cost_today_usd` today (P10/P50/P90, from
    `afford`) and one serving replica-year `serve_year_usd`: its costs in `year` (same model /
    same capability) and, for each budget (``{"label", "usd", ...}``), the year it can train and
    serve it (P10/P50/P90; ``NEVER`` where the trends never get there)."""
    r = rates()
    check_year(year, r)
    rng = np.random.default_rng(seed + 23)
    d = r.draws(seed)
    cost = _lognormal(cost_today_usd, SAMPLES, rng)
    serve = _lognormal(serve_year_usd, SAMPLES, rng) if serve_year_usd else None
    dt = year - r.base
    same_model = cost * 10 ** (d["price"] * dt)
    same_cap = cost * 10 ** ((d["price"] + d["algo"]) * dt)
    out: dict[str, Any] = {
        "year": year, "base": r.base, "basis": _label(year, r), "train_flop": train_flop,
        "train_cost_today_usd": cost_today_usd,
        "train_cost_usd": {"same_model": percentiles(same_model), "same_capability": percentiles(same_cap)},
    }  # fmt: skip
    if serve is not None:
        out["serve_year_today_usd"] = serve_year_usd
        out["serve_year_usd"] = {"same_model": percentiles(serve * 10 ** (d["price"] * dt)),
                                 "same_capability": percentiles(serve * 10 ** (d["inference"] * dt))}  # fmt: skip
    rows = []
    for b in budgets:
        row = dict(b)
        row["trains_same_model"] = percentiles(_years_until(cost / b["usd"], -d["price"], r.base))
        row["trains_same_capability"] = percentiles(
            _years_until(cost / b["usd"], -(d["price"] + d["algo"]), r.base)
        )
        if serve is not None:
            row["serves_same_model"] = percentiles(_years_until(serve / b["usd"], -d["price"], r.base))
        row["trains_in_year"] = bool(np.median(same_model) <= b["usd"])
        rows.append(row)
    out["budgets"] = rows
    out["assumptions"] = r.assumptions()
    return out


def frontier(budgets: list[dict[str, Any]], flop_per_usd_today: dict[str, float], years: np.ndarray,
             *, seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """The affordability frontier: for each budget, the training FLOP it buys in each of `years`
    (P10/P50/P90 per year), from today's FLOP per USD and the price trend."""
    r = rates()
    rng = np.random.default_rng(seed + 29)
    d = r.draws(seed)
    per_usd = _lognormal(flop_per_usd_today, SAMPLES, rng)
    out = []
    for b in budgets:
        series = [percentiles(b["usd"] * per_usd * 10 ** (-d["price"] * (y - r.base))) for y in years]
        out.append(
            {"label": b["label"], "usd": b["usd"], "years": [float(y) for y in years], "train_flop": series}
        )
    return out


def example_budgets() -> list[dict[str, Any]]:
    """The sourced example budgets (``catalog/trends/budgets.csv``), smallest first."""
    from trillion.catalog.trend_data import table

    rows = [{"id": r["id"], "label": r["label"], "kind": r["kind"], "usd": float(r["usd"]), "date": r["date"],
             "source": r["source"]} for r in table("budgets")]  # fmt: skip
    return sorted(rows, key=lambda b: b["usd"])


TRAIN_GPU, SERVE_WEIGHTS = DEFAULT_CLUSTER[0], "fp8"  # the report's defaults


def flop_per_usd(acc: Any, usd: float, *, seed: int = 0, **kwargs: Any) -> tuple[dict[str, float], Any]:
    """Training FLOP one USD buys today on `acc` when `usd` is spent (goodput depends on the run's
    size): P10/P50/P90, and the `Affordable` behind it."""
    from trillion.footprint.afford import Budget, afford

    a = afford(acc, Budget("money", usd), seed=seed, **kwargs)
    return {k: v / usd for k, v in a.train_flop.items()}, a


def model_affordability(spec: Any, tokens: int, target_year: float, budgets: list[dict[str, Any]] | None = None, *,
                        train_gpu: str = TRAIN_GPU, serve_gpu: str = SERVE_GPU, seed: int = 0,
                        **kwargs: Any) -> dict[str, Any]:  # fmt: skip
    """`model_over_time` for a model `spec` trained on `tokens`: its training FLOP (3 x forward
    FLOP per token x tokens), today's cost on `train_gpu` at the budget that buys it (afford's
    MFU, goodput and reality gap), one replica-year of serving on `serve_gpu` (the serving
    planner's fewest devices at fp8 weights, every hour of a year at today's quotes), and the
    frontier chart's series. Keyword arguments as `estimate_footprint` (region, price...)."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.count import count
    from trillion.dist import Dist
    from trillion.footprint import estimate as est
    from trillion.serve.plan import plan_serving

    year = check_year(target_year)
    budgets = example_budgets() if budgets is None else budgets
    train_flop = 3.0 * count(spec, 4096).forward_flop_per_token * tokens
    acc = find_accelerator(train_gpu)
    per_usd, _ = flop_per_usd(acc, 1e9, seed=seed, **kwargs)
    guess = train_flop / per_usd["p50"]
    per_usd, today = flop_per_usd(acc, min(guess, 1e13), seed=seed, **kwargs)
    cost = {
        "p10": train_flop / per_usd["p90"],
        "p50": train_flop / per_usd["p50"],
        "p90": train_flop / per_usd["p10"],
    }
    sacc = find_accelerator(serve_gpu)
    sp = plan_serving(spec, sacc, weights=SERVE_WEIGHTS)
    serve = None
    serve_note = sp.reason if not sp.fits else ""
    if sp.fits:
        year_fp = est.estimate_footprint(
            sacc, Dist.point(sp.devices_per_replica * 8760.0), seed=seed, **kwargs
        )
        serve = year_fp.cost_usd
    out = model_over_time(train_flop, cost, serve, year, budgets, seed=seed)
    out.update(model=spec.name, tokens=tokens, train_gpu=acc.name, serve_gpu=sacc.name,
               serve_devices=sp.devices_per_replica if sp.fits else None, serve_note=serve_note,
               train_assumptions=today.assumptions)  # fmt: skip
    r = rates()
    algo = r.draws(seed)["algo"]  # the same slope draws as model_over_time's (same seed)
    years = np.arange(np.floor(r.base), max(year, r.base + 10) + 1)
    out["frontier"] = {"years": [float(y) for y in years],
                       "budgets": frontier(pick_budgets(budgets), per_usd, years, seed=seed),
                       "same_model_flop": train_flop,
                       "same_capability_flop": [percentiles(train_flop * 10 ** (algo * (y - r.base))) for y in years]}  # fmt: skip
    out["assumptions"] = out["assumptions"] + [
        {"name": "training hardware", "value": acc.name, "source": "the report's default cluster accelerator; pass --gpu"},
        {"name": "serving", "value": f"one replica of {sp.devices_per_replica} x {sacc.name} at {SERVE_WEIGHTS} weights, 8,760 h a year",
         "source": "trillion.serve.plan (fewest devices) priced by the footprint model"},
    ]  # fmt: skip
    return out


def pick_budgets(budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One budget per kind for a chart (the smallest of each kind: the one nearest the line a model
    of this class draws), smallest first."""
    best: dict[str, dict[str, Any]] = {}
    for b in budgets:
        k = b.get("kind", b["label"])
        if k not in best or b["usd"] < best[k]["usd"]:
            best[k] = b
    return sorted(best.values(), key=lambda b: b["usd"])
