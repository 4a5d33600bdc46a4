"""The report's charts, as inline SVG: the scaling frontier, the footprint's energy by part,
serving's latency-throughput trade-off per precision and the comparison's training compute. Each
draws only figures the report already holds (so every point on a chart has the same source or
method as its table row) and marks the point its table quotes.

Conventions: 9 inches wide (864 px at the browser's 96 px per inch), a title, axis labels with
units, one labelled tick per decade on log axes ("1e24", no mathtext: each tick is one text
element), text as SVG ``<text>`` (selectable, and checked for overlap by the browser test), and
words that the table shows put in the legend rather than loose on the plot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trillion.charts import inline_svg, locked_figure

WIDTH_IN = 9.0  # 648 pt = 864 CSS px: legible on a laptop, and at least 640 px
_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # real <text>, not glyph paths
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.framealpha": 0.92,
}
PUBLISHED, ESTIMATED, BAR = "#4f9a62", "#d8a93a", "#7c9fb8"


@contextmanager
def _figure(height_in: float) -> Iterator[Any]:
    import matplotlib

    rc: Any = _RC  # matplotlib types the keys as a Literal of every rcParam
    with locked_figure(figsize=(WIDTH_IN, height_in)) as fig, matplotlib.rc_context(rc):
        yield fig


def _decades(axis: Any) -> None:
    """One labelled tick per power of ten, written "1e24"; minor ticks unlabelled."""
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, numticks=12))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"1e{round(math.log10(x))}" if x > 0 else ""))
    axis.set_minor_formatter(NullFormatter())


def frontier_svg(n_active: float, tokens: float) -> str:
    """Loss against compute along Epoch's refit frontier, with the model marked (inline SVG)."""
    import numpy as np

    from trillion.report.html import fmt
    from trillion.scaling.laws import EPOCH_REFIT

    c_model = 6 * n_active * tokens
    cs = np.logspace(20, np.log10(c_model) + 1, 120)
    n, d = EPOCH_REFIT.compute_optimal(cs)
    loss = float(EPOCH_REFIT.loss(n_active, tokens))
    largest = EPOCH_REFIT.fitted_range["params"][1] * EPOCH_REFIT.fitted_range["tokens"][1] * 6
    with _figure(4.2) as fig:
        ax = fig.subplots()
        ax.plot(
            cs,
            EPOCH_REFIT.loss(n, d),
            color="crimson",
            label="compute-optimal frontier (Epoch AI refit of Chinchilla)",
        )
        ax.scatter([c_model], [loss], marker="*", s=220, color="black", zorder=5,
                   label=f"this model: {fmt({'value': c_model, 'unit': 'FLOP'})} (6 N D), predicted loss {loss:.3g}")  # fmt: skip
        ax.axvline(largest, color="grey", ls=":", lw=1.2, label="largest run behind the law")
        ax.set_xscale("log")
        _decades(ax.xaxis)
        ax.set_xlabel("training compute, 6 x active parameters x tokens (FLOP)")
        ax.set_ylabel("predicted loss (nats/token)")
        ax.set_title("Scaling: predicted loss against training compute")
        ax.legend(loc="upper right")
        return inline_svg(fig)


def _part(key: str) -> str:
    words = key.replace("_", " ")
    return words[:1].upper() + words[1:]


def energy_svg(breakdown_mwh: dict[str, float], total_mwh: dict[str, float]) -> str:
    """Facility energy of the training run by part (P50 bars) with the total's P10-P90 range,
    each bar labelled with the value the table quotes."""
    from trillion.report.html import fmt

    parts = [(_part(k), v) for k, v in breakdown_mwh.items()]
    total = "Total (P10 - P90)"
    with _figure(0.5 * (len(parts) + 1) + 1.5) as fig:
        ax = fig.subplots()
        ax.barh([n for n, _ in parts], [v for _, v in parts], color=BAR)
        ax.barh([total], [total_mwh["p50"]], color=ESTIMATED,
                xerr=[[total_mwh["p50"] - total_mwh["p10"]], [total_mwh["p90"] - total_mwh["p50"]]], capsize=4)  # fmt: skip
        for name, v in parts:
            ax.annotate(fmt({"value": v, "unit": "MWh"}), (v, name), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9)  # fmt: skip
        ax.annotate(fmt({"value": total_mwh, "unit": "MWh"}), (total_mwh["p90"], total), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, fontweight="bold")  # fmt: skip
        ax.set_xlim(0, max(total_mwh["p90"], *(v for _, v in parts)) * 1.45)  # room for the labels
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.invert_yaxis()
        ax.set_xlabel("training energy, MWh (facility: overhead = (PUE - 1) x IT)")
        ax.set_title("Training energy by part (P50) and in total")
        return inline_svg(fig)


def serving_svg(sweeps: dict[str, list[dict[str, Any]]], device: str, *, latency_target_s: float,
                operating: dict[str, dict[str, Any]]) -> str:  # fmt: skip
    """Output tokens/s per device against time per output token, one curve per weight precision,
    one point per batch size (the serving planner's sweep), with the planner's latency target and
    each precision's operating point (`operating`: {weights: {batch, tpot_s,
    tokens_per_s_per_device}}, the figures the table quotes) marked."""
    target_s = latency_target_s
    ops = operating
    with _figure(5.2) as fig:
        from matplotlib.lines import Line2D

        ax = fig.subplots()
        handles = []
        for weights, rows in sweeps.items():
            (line,) = ax.plot([r["tpot_s"] * 1e3 for r in rows], [r["tokens_per_s_per_device"] for r in rows],
                              marker="o", ms=3)  # fmt: skip
            op = ops.get(weights)
            text = f"{weights} weights"
            if op:
                ax.scatter([op["tpot_s"] * 1e3], [op["tokens_per_s_per_device"]], s=120, facecolors="none",
                           edgecolors=line.get_color(), linewidths=2, zorder=5)  # fmt: skip
                text += (f": batch {op['batch']:,}, {op['tpot_s'] * 1e3:.3g} ms, "
                         f"{op['tokens_per_s_per_device']:,.0f} tokens/s per device")  # fmt: skip
            line.set_label(text)
            handles.append(line)
        handles.append(Line2D([], [], ls="none", marker="o", ms=10, mfc="none", mec="black", mew=2,
                              label="operating point (the table's figures)"))  # fmt: skip
        handles.append(ax.axvline(target_s * 1e3, color="black", ls="--", lw=1,
                                  label=f"latency target: {target_s * 1e3:.3g} ms per output token"))  # fmt: skip
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("time per output token (ms); one point per batch size")
        ax.set_ylabel(f"output tokens/s per {device}")
        ax.set_title(f"Serving on {device}: throughput against latency per weight precision")
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=9)
        return inline_svg(fig)


def compute_svg(models: list[dict[str, Any]]) -> str:
    """Training compute (6 N D) of each model as horizontal log bars, coloured published or
    estimated, each labelled with its value (inline SVG)."""
    from trillion.report.html import fmt

    rows = [
        (m["display_name"], m["figures"]["train_compute"])
        for m in models
        if m["figures"].get("train_compute")
    ]
    with _figure(0.45 * len(rows) + 1.7) as fig:
        ax = fig.subplots()
        if not rows:
            ax.set_axis_off()
            ax.set_title("Training compute: no model here has one")
            return inline_svg(fig)
        values = [f["value"] for _, f in rows]
        lo, hi = min(values) / 3, max(values) * 6  # room on the right for the values
        ax.barh([n for n, _ in rows], [v - lo for v in values], left=lo,
                color=[PUBLISHED if f.get("source") else ESTIMATED for _, f in rows])  # fmt: skip
        for (name, f), v in zip(rows, values, strict=True):
            ax.annotate(fmt(f), (v, name), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        _decades(ax.xaxis)
        ax.invert_yaxis()
        ax.set_xlabel("training compute, 6 N D (FLOP); green: published, amber: estimated by trillion")
        ax.set_title("Training compute per model")
        return inline_svg(fig)


def capability_svg(fit: dict[str, Any], marks: list[tuple[str, float]]) -> str:
    """Published base-model scores against training compute (filled: published compute, hollow:
    estimated), the fitted sigmoid in log compute with its P10-P90 band, and where each of
    `marks` (name, FLOP) is expected to land (inline SVG)."""
    import numpy as np

    with _figure(4.2) as fig:
        ax = fig.subplots()
        title = f"{fit['benchmark']} ({fit['shots']}-shot, base models) against training compute"
        if "curve" not in fit:
            ax.set_axis_off()
            ax.set_title(f"{title}: {fit.get('error', 'no fit')}")
            return inline_svg(fig)
        c = fit["curve"]
        xs = 10 ** np.array(c["log10_flop"])
        ax.fill_between(xs, c["p10"], c["p90"], color=BAR, alpha=0.25, lw=0, label="fit, P10-P90")
        ax.plot(xs, c["p50"], color="#2b5d80", lw=1.5, label="fit (sigmoid in log compute)")
        for kind, face in (("published", PUBLISHED), ("estimated", "none")):
            pts = [p for p in fit["points"] if p["compute_kind"].startswith(kind)]
            ax.scatter([p["train_flop"] for p in pts], [p["score"] for p in pts], s=22, facecolors=face,
                       edgecolors=PUBLISHED, label=f"score, {kind} compute", zorder=3)  # fmt: skip
        shown = False
        for _name, flop in marks:  # named in the text under the chart: labels here would collide
            pred = next((p for p in fit["predictions"] if p["flop"] == flop), None)
            if pred:
                ax.errorbar([flop], [pred["p50"]], yerr=[[pred["p50"] - pred["p10"]], [pred["p90"] - pred["p50"]]],
                            fmt="*", ms=10, color=ESTIMATED, capsize=3, zorder=4,
                            label=None if shown else "compared models, expected (P10-P90)")  # fmt: skip
                shown = True
        ax.set_xscale("log")
        _decades(ax.xaxis)
        ax.set_ylim(fit["chance"] - 5, 100)
        ax.set_xlabel("training compute (FLOP); stars: expected score of the compared models")
        ax.set_ylabel(f"{fit['benchmark']} score (%)")
        ax.set_title(title)
        ax.legend(fontsize=8, loc="upper left")
        return inline_svg(fig)


def frontier_over_time_svg(o: dict[str, Any]) -> str:
    """The affordability frontier: the training FLOP each example budget buys year by year (P50
    line, P10-P90 band) against the FLOP the model needs (flat: the same model; falling: the same
    capability with the algorithms' trend). A budget's line crossing the model's is the year it
    can train it; past the price trend's data every line is an extrapolation (shaded)."""
    from trillion.units import format_count

    f = o["frontier"]
    years = f["years"]
    with _figure(4.6) as fig:
        ax = fig.subplots()
        colors = ["#4f7cac", "#8c5fa8", "#c0504d", "#4f9a62", "#d8a93a", "#6b6b6b"]
        for i, b in enumerate(f["budgets"]):
            c = colors[i % len(colors)]
            name = b["label"].split(" (")[0]  # the label without its parenthesis
            ax.plot(years, [p["p50"] for p in b["train_flop"]], color=c, lw=1.8,
                    label=f"{name} (${format_count(b['usd'])})")  # fmt: skip
            ax.fill_between(years, [p["p10"] for p in b["train_flop"]], [p["p90"] for p in b["train_flop"]],
                            color=c, alpha=0.12, lw=0)  # fmt: skip
        ax.axhline(f["same_model_flop"], color="black", ls="--", lw=1.4, label=f"{o['model']}: same model")
        cap = f["same_capability_flop"]
        ax.plot(years, [p["p50"] for p in cap], color="black", ls=":", lw=1.6,
                label=f"{o['model']}: same capability (algorithms' trend)")  # fmt: skip
        ax.axvspan(o["base"], years[-1], color="grey", alpha=0.06, lw=0)
        ax.set_yscale("log")
        _decades(ax.yaxis)
        ax.set_xlim(years[0], years[-1])
        ax.set_xlabel("year (shaded: extrapolated past the price trend's data)")
        ax.set_ylabel("training FLOP the budget buys")
        ax.set_title(f"Affordability frontier: who can train {o['model']}, and when")
        ax.legend(loc="upper left", fontsize=8)
        return inline_svg(fig)


def _at(covariates: tuple[str, ...], ref: tuple[float, ...]) -> str:
    """Where a covariate trend's points are drawn: "(as datacenter parts)", "(at mmlu 70)"."""
    if not ref:
        return ""
    return " (as datacenter parts)" if covariates[0] == "datacenter" else f" (at {covariates[0]} {ref[0]:g})"


def trends_svg(trends: list[Any], until: float = 2030.0) -> str:
    """Each trend's points (covariate trends drawn at their reference capability: each point moved
    along the fitted covariate slope), the fit's P50 and P10-P90 prediction band, dashed past the
    data (extrapolation). Grid trends share one panel."""
    import math

    import numpy as np

    grid = [t for t in trends if t.id.startswith("grid_")]
    main = [t for t in trends if not t.id.startswith("grid_")]
    panels = len(main) + (1 if grid else 0)
    cols = 2 if panels > 1 else 1
    rows = math.ceil(panels / cols)
    with _figure(3.0 * rows + 0.6) as fig:
        axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        for ax, t in zip(axes, main, strict=False):
            f = t.fit()
            ref = t.reference_x
            tt = np.array([p.t for p in t.points])
            yy = np.array([p.value for p in t.points])
            if t.covariates:
                xx = np.array([p.x for p in t.points])
                yy = yy * 10 ** ((np.asarray(ref) - xx) @ f.coef[2:])
            ax.scatter(
                tt,
                yy,
                s=12,
                color=BAR,
                label="sourced points" + _at(t.covariates, ref),
            )
            lo, hi = f.t_range
            for a, b, ls in ((lo, hi, "-"), (hi, max(until, hi), "--")):
                g = np.linspace(a, b, 40)
                q = f.predict(g, None if not t.covariates else [ref] * len(g))
                ax.plot(g, q[:, 1], color="crimson", ls=ls, lw=1.4)
                ax.fill_between(g, q[:, 0], q[:, 2], color="crimson", alpha=0.12 if ls == "-" else 0.06, lw=0)
            fy = f.factor_per_year()
            ax.set_yscale("log")
            ax.set_title(f"{t.label}: x{fy['p50']:.3g} per year", fontsize=10)
            ax.set_ylabel(t.unit, fontsize=8)
            ax.legend(loc="best", fontsize=7)
        if grid:
            ax = axes[len(main)]
            for i, t in enumerate(grid[:6]):
                f = t.fit()
                c = ["#4f7cac", "#8c5fa8", "#c0504d", "#4f9a62", "#d8a93a", "#6b6b6b"][i]
                ax.scatter([p.t for p in t.points], [p.value for p in t.points], s=8, color=c)
                g = np.linspace(f.t_range[0], until, 40)
                ax.plot(
                    g, f.predict(g, new_point=False)[:, 1], color=c, lw=1.2, label=t.id.removeprefix("grid_")
                )
            ax.set_title("Grid intensity by region (first six)", fontsize=10)
            ax.set_ylabel("g CO2e per kWh", fontsize=8)
            ax.legend(loc="best", fontsize=7, ncol=2)
        for ax in axes[panels:]:
            ax.set_visible(False)
        fig.suptitle(
            "Trends: sourced points, log-linear fit, P10-P90 band (dashed: extrapolation)", fontweight="bold"
        )
        fig.tight_layout()
        return inline_svg(fig)


def levers_svg(o: dict[str, Any]) -> str:
    """Each lever's training cost, serving cost per token and training carbon as a ratio to the
    baseline (log axis, 1 = no change)."""
    import numpy as np

    rows = [r for r in o["levers"] if r["lever"] != "baseline"]
    keys = (("train_cost_usd", "training cost", "#4f7cac"), ("serve_usd_per_m_tokens", "serving cost per token", "#d8a93a"),
            ("train_co2e_t", "training CO2e", "#4f9a62"))  # fmt: skip
    with _figure(0.42 * len(rows) * 1.6 + 1.4) as fig:
        ax = fig.subplots()
        y = np.arange(len(rows))
        for i, (k, label, c) in enumerate(keys):
            vals = [r["ratio"].get(k) or np.nan for r in rows]
            ax.barh(y + (i - 1) * 0.27, vals, height=0.26, color=c, label=label)
        ax.axvline(1.0, color="black", lw=1)
        ax.set_yticks(y, [r["lever"] for r in rows])
        ax.invert_yaxis()
        ax.set_xscale("log")
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

        ax.xaxis.set_major_locator(FixedLocator([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"x{x:g}"))  # one text per tick, no mathtext
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("x the baseline (trillion's estimate; < 1 is cheaper / cleaner)")
        ax.set_title(f"Efficiency levers for {o['model']}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3)
        fig.tight_layout()
        return inline_svg(fig)
