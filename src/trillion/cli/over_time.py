"""``trillion trends`` (the fitted trends beside their published figures, with back-tests) and
``trillion levers MODEL`` (what each efficiency lever does to its cost, energy and carbon)."""

from __future__ import annotations

from typing import Annotated

import typer

from trillion.cli.common import check_plot, emit, positive_count
from trillion.errors import InputError

Opt = typer.Option


def trends(
    trend: Annotated[str | None, typer.Argument(help="One trend id (default: all).")] = None,
    plot: Annotated[str | None, Opt(help="Write the trends chart (SVG) here.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON (with every point and its source).")] = False,
) -> None:
    """Hardware, cloud-price, algorithmic, inference-price and grid trends: fit, published figure, back-test."""
    from trillion.trends.series import find, summary
    from trillion.trends.series import trends as all_trends

    chosen = [find(trend)] if trend else list(all_trends())
    check_plot(plot)
    rows = [summary(t) for t in chosen]

    def printables() -> list:
        from trillion.report.over_time_tables import trends_table

        note = ("[dim]agrees: trillion's P50 inside the published interval, or the published value inside "
                "trillion's 95% CI when none is stated; back-test: fit to 2021, 2023-2025 points in its P10-P90[/]")  # fmt: skip
        return [*trends_table(rows), note]

    def svg() -> str:
        from trillion.report.plots import trends_svg

        return trends_svg(chosen)

    emit(rows, as_json, printables, plot, svg)


LEVERS = ("quantisation", "moe", "distillation", "hardware", "grid", "all")


def levers(
    model: Annotated[str, typer.Argument(help="Catalog name or config.json.")] = "qwen3-max",
    tokens: Annotated[
        str | None, Opt(help="Training tokens (default: published, else 20 per parameter).")
    ] = None,
    lever: Annotated[str | None, Opt(help=f"Only this lever: {', '.join(LEVERS)}.")] = None,
    plot: Annotated[str | None, Opt(help="Write the levers chart (SVG) here.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """What quantisation, MoE, distillation, newer hardware and a cleaner grid do to one model's costs."""
    from trillion.cli.common import resolve_model
    from trillion.footprint.levers import levers as run_levers
    from trillion.report.build import model_tokens

    if lever is not None and lever.lower() not in LEVERS:
        raise InputError("--lever", None, f"unknown lever {lever!r}: one of {', '.join(LEVERS)}")
    check_plot(plot)
    spec, entry = resolve_model(model)
    n = positive_count(tokens, "--tokens") if tokens else model_tokens(spec, entry)[0]
    o = run_levers(spec, n)
    if lever and lever.lower() != "all":
        key = {"quantisation": ("fp8", "int8", "int4", "fp4"), "moe": ("dense",), "distillation": ("distillation",),
               "hardware": ("newer hardware",), "grid": ("cleaner grid", "world grid")}[lever.lower()]  # fmt: skip
        o["levers"] = [r for r in o["levers"] if r["lever"] == "baseline" or r["lever"].startswith(key)]

    def printables() -> list:
        from trillion.report.over_time_tables import assumption_lines, levers_table

        notes = [f"[dim]{r['lever']}: {r['note']}[/]" for r in o["levers"] if r["note"]]
        return [*levers_table(o), *notes, *assumption_lines(o["assumptions"])]

    def svg() -> str:
        from trillion.report.plots import levers_svg

        return levers_svg(o)

    emit(o, as_json, printables, plot, svg)


def register(app: typer.Typer) -> None:
    app.command()(trends)
    app.command()(levers)
