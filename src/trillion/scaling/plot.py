"""Scaling plots (matplotlib, no pyplot state, under the shared chart lock): loss against compute with the
fitted compute-optimal frontier, and isoFLOP curves. Output format from the file suffix."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from trillion.charts import locked_figure
from trillion.errors import InputError
from trillion.io.files import check_writable, write_file
from trillion.scaling.laws import Chinchilla


def check_out(path: str | Path) -> Path:
    """An output path for a plot: a .png, .svg or .pdf file that can be written."""
    p = Path(path)
    if p.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError("out", None, f"must end in .png, .svg or .pdf, got {p.name!r}")
    return check_writable(p, "out")


def _save(fig, p: Path) -> Path:
    """Render to memory, then write atomically (an unwritable path is an `InputError`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=p.suffix.lower()[1:])
    return write_file(p, buf.getvalue(), "out")


def plot_frontier(
    params, flop, loss, law: Chinchilla, path: str | Path, mark: dict[str, Any] | None = None
) -> Path:
    """Runs (colour = parameters) and L(N*(C), D*(C)) across and beyond the data; `mark` adds a
    labelled point (e.g. the forecast model)."""
    p = check_out(path)
    with locked_figure(figsize=(7, 4.5)) as fig:
        _draw_frontier(fig, params, flop, loss, law, mark)
        return _save(fig, p)


def _draw_frontier(fig, params, flop, loss, law: Chinchilla, mark: dict[str, Any] | None) -> None:
    ax = fig.subplots()
    sc = ax.scatter(flop, loss, c=np.log10(params), s=12, cmap="viridis")
    fig.colorbar(sc, ax=ax, label="log10 parameters")
    hi = max(float(np.max(flop)), float(mark["flop"]) if mark else 0.0) * 3
    cs = np.logspace(np.log10(np.min(flop)) - 0.3, np.log10(hi), 200)
    n, d = law.compute_optimal(cs)
    ax.plot(cs, law.loss(n, d), color="crimson", label="compute-optimal frontier (fit)")
    ax.axvline(float(np.max(flop)), color="grey", ls=":", lw=1, label="largest fitted run")
    if mark:
        ax.scatter([mark["flop"]], [mark["loss"]], marker="*", s=160, color="black", zorder=5)
        ax.annotate(
            mark.get("label", "forecast"),
            (mark["flop"], mark["loss"]),
            textcoords="offset points",
            xytext=(6, 6),
        )
    ax.set_xscale("log")
    ax.set_xlabel("training compute (FLOP)")
    ax.set_ylabel("loss (nats per token)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()


def plot_isoflop(
    params, flop, loss, profiles: dict[str, Any], path: str | Path, rel_tol: float = 0.05
) -> Path:
    """Loss against parameters for each compute budget, with each profile's optimum."""
    p = check_out(path)
    with locked_figure(figsize=(7, 4.5)) as fig:
        _draw_isoflop(fig, params, flop, loss, profiles, rel_tol)
        return _save(fig, p)


def _draw_isoflop(fig, params, flop, loss, profiles: dict[str, Any], rel_tol: float) -> None:
    ax = fig.subplots()
    params, flop, loss = (np.asarray(x, dtype=float) for x in (params, flop, loss))
    for v in profiles["profiles"]:
        sel = np.abs(flop / v["flop"] - 1) <= rel_tol
        order = np.argsort(params[sel])
        ax.plot(params[sel][order], loss[sel][order], marker="o", ms=3, lw=1, label=f"{v['flop']:.1e} FLOP")
        ax.scatter([v["params_opt"]], [v["loss_opt"]], marker="x", color="black", zorder=5)
    if not profiles["profiles"]:
        ax.scatter(params, loss, s=8, color="grey")
        ax.set_title("no compute budget with three or more model sizes: no isoFLOP profile")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("loss (nats per token)")
    if profiles["profiles"]:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()


def plot_emergence(analysis: dict[str, Any], path: str | Path) -> Path:
    """Left: exact match and per-token accuracy of the same runs against training compute (one
    plot, two metrics), with p^k; right: exact match against validation loss with the fitted
    threshold curve and L*."""
    import matplotlib

    p = check_out(path)
    runs = analysis["runs"]
    flop = np.array([r["train_flop"] for r in runs])
    with (
        locked_figure(figsize=(10, 4.2), layout="constrained") as fig,
        matplotlib.rc_context({"svg.fonttype": "none"}),
    ):
        left, right = fig.subplots(1, 2)
        for metric, style, label in (("exact_match", "o-", "exact match (all answer tokens)"),
                                     ("token_accuracy", "s--", "per-token accuracy"),
                                     ("exact_match_from_token_accuracy", ":", f"per-token accuracy ^ {analysis['answer_tokens']:.2g}")):  # fmt: skip
            order = np.argsort(flop)
            left.plot(flop[order], np.array([r[metric] for r in runs])[order], style, label=label, ms=4)
        left.set_xscale("log")
        left.set_ylim(0, 1)
        left.set_xlabel("training compute (FLOP)")
        left.set_ylabel("score on held-out additions")
        left.set_title("Same models, two metrics")
        left.legend(fontsize=8, loc="upper left")
        loss = np.array([r["val_loss"] for r in runs])
        em = np.array([r["exact_match"] for r in runs])
        depths = sorted({r["depth"] for r in runs})
        for d in depths:
            m = np.array([r["depth"] == d for r in runs])
            right.scatter(loss[m], em[m], label=f"depth {d}", s=20)
        t = analysis.get("threshold", {})
        if "l_star_nats_per_token" in t:
            xs = np.linspace(loss.min() - 0.02, loss.max() + 0.02, 200)
            right.plot(xs, 1 / (1 + np.exp((xs - t["l_star_nats_per_token"]) / t["scale"])), color="crimson",
                       label=f"threshold fit, L* = {t['l_star_nats_per_token']:.3f}")  # fmt: skip
            right.axvline(t["l_star_nats_per_token"], color="crimson", ls=":", lw=1)
        right.invert_xaxis()
        right.set_ylim(0, 1)
        right.set_xlabel("validation loss (nats per byte, lower to the right)")
        right.set_ylabel("exact match")
        right.set_title("Exact match against pre-training loss")
        right.legend(fontsize=8, loc="upper left")
        return _save(fig, p)
