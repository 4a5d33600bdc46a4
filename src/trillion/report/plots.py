"""The report's charts, as inline SVG: the scaling frontier, the footprint's energy by part, and
serving's latency-throughput trade-off per precision. Each draws only figures the report already
holds (so every point on a chart has the same source or method as its table row)."""

from __future__ import annotations

from typing import Any

from trillion.charts import inline_svg, locked_figure


def frontier_svg(n_active: float, tokens: float) -> str:
    """Loss against compute along Epoch's refit frontier, with the model marked (inline SVG)."""
    import numpy as np

    from trillion.scaling.laws import EPOCH_REFIT

    c_model = 6 * n_active * tokens
    cs = np.logspace(20, np.log10(c_model) + 1, 120)
    n, d = EPOCH_REFIT.compute_optimal(cs)
    with locked_figure(figsize=(6.4, 3.6)) as fig:
        ax = fig.subplots()
        ax.plot(
            cs,
            EPOCH_REFIT.loss(n, d),
            color="crimson",
            label="compute-optimal frontier (Epoch refit of Chinchilla)",
        )
        ax.scatter([c_model], [float(EPOCH_REFIT.loss(n_active, tokens))], marker="*", s=160, color="black", zorder=5,
                   label="this model (active parameters, its tokens)")  # fmt: skip
        ax.axvline(EPOCH_REFIT.fitted_range["params"][1] * EPOCH_REFIT.fitted_range["tokens"][1] * 6, color="grey",
                   ls=":", lw=1, label="largest run behind the law")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("training compute (FLOP)")
        ax.set_ylabel("predicted loss (nats/token)")
        ax.legend(fontsize=7)
        return inline_svg(fig)


def energy_svg(breakdown_mwh: dict[str, float], total_mwh: dict[str, float]) -> str:
    """Facility energy of the training run by part (P50 bars) with the total's P10-P90 range."""
    parts = [(k.replace("_", " "), v) for k, v in breakdown_mwh.items()]
    with locked_figure(figsize=(6.4, 2.6)) as fig:
        ax = fig.subplots()
        ax.barh([n for n, _ in parts], [v for _, v in parts], color="#7c9fb8")
        ax.barh(["total (P10-P90)"], [total_mwh["p50"]], color="#d8b75a",
                xerr=[[total_mwh["p50"] - total_mwh["p10"]], [total_mwh["p90"] - total_mwh["p50"]]], capsize=4)  # fmt: skip
        ax.invert_yaxis()
        ax.set_xlabel("training energy, MWh (P50; facility overhead = (PUE - 1) x IT)")
        return inline_svg(fig)


def serving_svg(sweeps: dict[str, list[dict[str, Any]]], device: str) -> str:
    """Output tokens/s per device against time per output token, one curve per weight precision,
    one point per batch size (the serving planner's sweep)."""
    with locked_figure(figsize=(6.4, 3.4)) as fig:
        ax = fig.subplots()
        for weights, rows in sweeps.items():
            ax.plot([r["tpot_s"] * 1e3 for r in rows], [r["tokens_per_s_per_device"] for r in rows], marker="o",
                    ms=3, label=f"{weights} weights")  # fmt: skip
            last = rows[-1]
            ax.annotate(f"batch {last['batch']}", (last["tpot_s"] * 1e3, last["tokens_per_s_per_device"]),
                        textcoords="offset points", xytext=(4, -10), fontsize=7)  # fmt: skip
        ax.set_xlabel("time per output token (ms)")
        ax.set_ylabel(f"output tokens/s per {device}")
        ax.legend(fontsize=7)
        return inline_svg(fig)
