"""``trillion footprint`` and ``trillion afford``, and the footprint options ``trillion train`` shares.

Every uncertain flag takes a number or a range (``--pue 1.1-1.2``); bad values name the flag and
exit 2 through `trillion.cli.main`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from trillion.cli.common import check_plot, console, emit, positive_count, print_json
from trillion.cli.options import EmbodiedOpt, FootprintFlags, PriceOpt, PueOpt, RegionOpt, YearOpt
from trillion.cli.train import plan_from_flags
from trillion.errors import InputError

Opt = typer.Option


def footprint(
    model: Annotated[str | None, Opt(help="Plan a run of this model (catalog name or config.json).")] = None,
    tokens: Annotated[str | None, Opt(help="Training tokens for --model, e.g. 36T.")] = None,
    gpus: Annotated[str | None, Opt(help="Accelerator count (with --model or --days).")] = None,
    gpu: Annotated[str, Opt(help="Accelerator, e.g. h100, h800, a100-80gb, tpu-v4.")] = "h100",
    cluster: Annotated[str | None, Opt(help="Cluster preset for --model (overrides --gpu).")] = None,
    seq_len: Annotated[str, Opt("--seq-len", help="Sequence length for --model.")] = "4096",
    global_batch: Annotated[str | None, Opt("--global-batch", help="Sequences per step for --model.")] = None,
    precision: Annotated[str, Opt(help="bf16, fp16 or fp8 for --model.")] = "bf16",
    accelerator_hours: Annotated[
        str | None, Opt("--accelerator-hours", help="Device-hours, e.g. 2.788M.")
    ] = None,
    days: Annotated[
        str | None, Opt(help="Wall-clock time on --gpus devices, e.g. 20, 20 days, 3 weeks.")
    ] = None,
    mfu: Annotated[float | None, Opt(help="Achieved MFU of a given run (sets its activity).")] = None,
    region: RegionOpt = "World",
    year: YearOpt = None,
    pue: PueOpt = None,
    wue: Annotated[
        str | None,
        Opt(help="On-site water per IT kWh, e.g. 0.27, 0.27 L/kWh, 0.1-0.3; or a site id (aws_wue_2024)."),
    ] = None,
    water_offsite: Annotated[
        str | None, Opt("--water-offsite", help="Off-site water per kWh generated, e.g. 1.29, 1.29 L/kWh.")
    ] = None,
    intensity: Annotated[
        str | None, Opt(help="Grid intensity (overrides --region), e.g. 414, 414 g/kWh, 0.414 kg/kWh.")
    ] = None,
    renewable_share: Annotated[
        str | None,
        Opt("--renewable-share", help="Market-based: share of energy under contracts, e.g. 0.5, 50%."),
    ] = None,
    market_intensity: Annotated[
        str | None, Opt("--market-intensity", help="Market-based contract intensity, e.g. 20, 20 g/kWh.")
    ] = None,
    price: PriceOpt = None,
    ownership: Annotated[
        str, Opt(help="cloud (price per device-hour) or owned (capex + electricity).")
    ] = "cloud",
    capex: Annotated[
        str | None, Opt(help="Owned: USD per device incl. its server share, e.g. 30000, 30k$.")
    ] = None,
    electricity_price: Annotated[
        str | None, Opt("--electricity-price", help="Owned: USD per kWh, e.g. 0.08, 0.08 $/kWh.")
    ] = None,
    embodied_method: EmbodiedOpt = "default",
    lifetime: Annotated[
        str | None, Opt(help="Hardware service life (default 3-5 years), e.g. 4, 4 years.")
    ] = None,
    power: Annotated[
        str | None, Opt(help="System power per device (replaces the power model), e.g. 700, 700 W, 1.2 kW.")
    ] = None,
    list_regions: Annotated[bool, Opt("--list-regions", help="List the grid regions and exit.")] = False,
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Energy, carbon (location, market, embodied), water and cost of a run, with P10-P90 and sources."""
    from trillion.footprint import data

    if list_regions:
        regions = data.region_list()
        if as_json:
            print_json(regions)
            return
        from rich.table import Table

        t = Table(title=f"{len(regions)} grid regions (latest year; --region takes the id or the name)")
        for col in ("id", "name", "g CO2e/kWh", "year", "method"):
            t.add_column(col, justify="right" if col in ("g CO2e/kWh", "year") else "left")
        for r in regions:
            t.add_row(str(r["id"]), str(r["name"]), f"{r['g_co2e_per_kwh']:.0f}", str(r["year"]),
                      str(r["method"]).split(" (")[0])  # fmt: skip
        console.print(t)
        return
    flags = FootprintFlags(
        region, year, pue, wue, water_offsite, intensity, renewable_share, market_intensity, price,
        ownership, capex, electricity_price, embodied_method, lifetime, power,
    )  # fmt: skip
    kw = flags.kwargs()
    modes = [
        m for m, v in (("--model", model), ("--accelerator-hours", accelerator_hours), ("--days", days)) if v
    ]
    if len(modes) != 1:
        raise InputError(
            "footprint", None, "give exactly one of --model (with --tokens), --accelerator-hours, --days"
        )
    from trillion.catalog.hardware import find_accelerator
    from trillion.dist import Dist
    from trillion.footprint.estimate import estimate_footprint
    from trillion.footprint.validation import power_model_error

    if model:
        from trillion.footprint.of_train import footprint_of_plan

        plan = plan_from_flags(model, tokens or "1T", gpus, gpu, cluster, seq_len, global_batch, precision)
        if not plan.fits:
            raise InputError("--model", None, f"no feasible training layout: {plan.reason}")
        fp = footprint_of_plan(plan, **kw)
        title = f"Footprint of training {plan.model} on {plan.cluster.num_devices:,} x {plan.cluster.accelerator.name}"
    else:
        acc = find_accelerator(gpu)
        if accelerator_hours:
            hours = float(positive_count(accelerator_hours, "--accelerator-hours"))
        else:
            from trillion.dist import parse_dist

            n = positive_count(gpus or "", "--gpus") if gpus else None
            if n is None:
                raise InputError("--gpus", None, "needed with --days")
            hours = parse_dist(days or "", "--days", kind="days", minimum=1e-6).median * 24 * n
        fp = estimate_footprint(acc, Dist.point(hours), mfu=mfu, power_error=power_model_error(), **kw)
        title = f"Footprint of {hours:,.0f} {acc.name} device-hours"
    if as_json:
        print_json(fp.to_dict())
        return
    from trillion.report.footprint_tables import footprint_tables

    for r in footprint_tables(fp, title):
        console.print(r)


def afford(
    budget: Annotated[
        str | None, Opt(help="Budget in money, energy or carbon, e.g. 10M$, $2.5B, 500 MWh, 1000 tCO2e.")
    ] = None,
    model: Annotated[
        str | None,
        Opt(help="With --year: when budgets train and serve this model (catalog name or config.json)."),
    ] = None,
    year: Annotated[
        int | None, Opt(help="The year to look at (trends extrapolated past their data, and labelled so).")
    ] = None,
    tokens: Annotated[
        str | None, Opt(help="Training tokens for --model (default: published, else 20 per parameter).")
    ] = None,
    gpu: Annotated[str | None, Opt(help="Accelerator (default: every one with a shipped price).")] = None,
    gpus: Annotated[
        str | None, Opt(help="Devices the run would use (default: the fewest finishing in ~90 days).")
    ] = None,
    region: RegionOpt = "World",
    grid_year: Annotated[
        int | None, Opt("--grid-year", help="Grid-intensity year (default: latest).")
    ] = None,
    pue: PueOpt = None,
    price: PriceOpt = None,
    plot: Annotated[
        str | None, Opt(help="With --model: write the affordability frontier chart (SVG) here.")
    ] = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The largest compute-optimal model a budget trains, on which hardware, in how long; with
    --year, in that year; with --model --year, when each budget trains and serves that model."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.footprint import afford as af
    from trillion.footprint import data
    from trillion.footprint import over_time as ot
    from trillion.report.over_time_tables import assumption_lines

    kw = FootprintFlags(region=region, year=grid_year, pue=pue, price=price).kwargs()
    if model is not None:
        if year is None:
            raise InputError("--year", None, "needed with --model (the year to look at), e.g. --year 2030")
        ot.check_year(year)
        check_plot(plot)
        from trillion.cli.common import resolve_model
        from trillion.report.build import model_tokens

        spec, entry = resolve_model(model)
        n_tokens = positive_count(tokens, "--tokens") if tokens else model_tokens(spec, entry)[0]
        budgets = None
        if budget:
            b = af.parse_budget(budget)
            if b.kind != "money":
                raise InputError("--budget", None, "with --model give money, e.g. 100M$")
            budgets = [{"id": "given", "label": f"--budget {budget}", "kind": "given", "usd": b.amount}]
        o = ot.model_affordability(spec, n_tokens, year, budgets, train_gpu=gpu or ot.TRAIN_GPU, **kw)

        def printables() -> list:
            from trillion.report.over_time_tables import model_year_tables

            return [*model_year_tables(o), *assumption_lines(o["assumptions"])]

        def svg() -> str:
            from trillion.report.plots import frontier_over_time_svg

            return frontier_over_time_svg(o)

        emit(o, as_json, printables, plot, svg)
        return
    if budget is None:
        raise InputError("--budget", None, "give a budget (e.g. --budget 10M$), or --model with --year")
    for flag, value in (("--plot", plot), ("--tokens", tokens)):
        if value:
            raise InputError(flag, None, "only with --model (and --year)")
    b = af.parse_budget(budget)
    if year is not None:
        ot.check_year(year)
    n = positive_count(gpus, "--gpus") if gpus else None
    names = [gpu] if gpu else sorted({r["accelerator"] for r in data.table("prices")})
    results = [af.afford(find_accelerator(g), b, devices=n, **kw) for g in names]
    if year is not None:
        best = max(results, key=lambda r: r.train_flop["p50"])
        later = ot.budget_in_year(best, year)
        if as_json:
            print_json({"today": best.to_dict(), "in_year": later, "assumptions": ot.rates().assumptions()})
            return
        from trillion.report.over_time_tables import budget_year_table

        console.print(budget_year_table(best, later))
        for line in assumption_lines(ot.rates().assumptions() + best.assumptions[-4:]):
            console.print(line)
        return
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    from trillion.report.footprint_tables import afford_table

    console.print(afford_table(results))
    for line in assumption_lines(results[0].assumptions[-4:]):
        console.print(line)


def register(app: typer.Typer) -> None:
    app.command()(footprint)
    app.command()(afford)
