"""``trillion trends`` (the fitted trends beside their published figures, with back-tests) and
``trillion levers MODEL`` (what each efficiency lever does to its cost, energy and carbon)."""

from __future__ import annotations

from typing import Annotated

import typer

from trillion.cli.common import console, positive_count, print_json
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
    if plot:
        from trillion.io.files import check_writable

        check_writable(plot, "--plot")
    rows = [summary(t) for t in chosen]
    if plot:
        from trillion.io.files import write_file
        from trillion.report.plots import trends_svg

        write_file(plot, trends_svg(chosen), "--plot")
    if as_json:
        print_json(rows)
        return
    from trillion.report.over_time_tables import trends_table

    for line in trends_table(rows):
        console.print(line)
    console.print("[dim]agrees: trillion's P50 inside the published interval, or the published value inside "
                  "trillion's 95% CI when none is stated; back-test: fit to 2021, 2023-2025 points in its P10-P90[/]")  # fmt: skip
    if plot:
        console.print(f"wrote {plot}")


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
    if plot:
        from trillion.io.files import check_writable

        check_writable(plot, "--plot")
    spec, entry = resolve_model(model)
    n = positive_count(tokens, "--tokens") if tokens else model_tokens(spec, entry)[0]
    o = run_levers(spec, n)
    if lever and lever.lower() != "all":
        key = {"quantisation": ("fp8", "int8", "int4", "fp4"), "moe": ("dense",), "distillation": ("distillation",),
               "hardware": ("newer hardware",), "grid": ("cleaner grid", "world grid")}[lever.lower()]  # fmt: skip
        o["levers"] = [r for r in o["levers"] if r["lever"] == "baseline" or r["lever"].startswith(key)]
    if plot:
        from trillion.io.files import write_file
        from trillion.report.plots import levers_svg

        write_file(plot, levers_svg(o), "--plot")
    if as_json:
        print_json(o)
        return
    from trillion.report.over_time_tables import assumption_lines, levers_table

    for t in levers_table(o):
        console.print(t)
    for r in o["levers"]:
        if r["note"]:
            console.print(f"[dim]{r['lever']}: {r['note']}[/]")
    for line in assumption_lines(o["assumptions"]):
        console.print(line)
    if plot:
        console.print(f"wrote {plot}")


def register(app: typer.Typer) -> None:
    app.command()(trends)
    app.command()(levers)
