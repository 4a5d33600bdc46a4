"""``trillion serve`` (a serving plan) and ``trillion fit`` (what makes a model fit given hardware)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trillion.catalog import DEFAULT_MODEL
from trillion.cli.common import console, positive_count, print_json, resolve_model
from trillion.cli.options import FootprintFlags, PriceOpt, PueOpt, RegionOpt
from trillion.errors import InputError

Opt = typer.Option


# the footprint keys of `trillion serve --json` when nothing fits (no device time to price)
EMPTY_FOOTPRINT: dict[str, Any] = {"energy_j_per_output_token": {}, "energy_wh_per_query": {}, "co2e_g_per_query": {},
                   "water_ml_per_query": {}, "cost_usd_per_million_tokens": None, "cost_usd_per_query": None}  # fmt: skip


# a device count with more digits than this is refused before it is converted (10^9 devices is beyond any fleet)
MAX_DEVICE_DIGITS = 9


def _on(text: str) -> tuple[int, str]:
    """``"1xh200"`` / ``"8 x h100"`` / ``"h200"`` -> (count, accelerator name)."""
    t = text.strip().lower().replace(" ", "")
    count, sep, name = t.partition("x") if t[:1].isdigit() else ("1", "x", t)
    if not sep or not count.isdigit() or not name:
        shown = repr(text) if len(text) <= 40 else f"{text[:40]!r}… ({len(text):,} characters)"
        raise InputError("--on", None, f"give devices as COUNTxGPU, e.g. 1xh200 or 8xh100, got {shown}")
    if len(count) > MAX_DEVICE_DIGITS:  # checked before int(): a 5,000-digit count would hit Python's limit
        raise InputError(
            "--on", None, f"{len(count):,} digits is too many devices (at most {MAX_DEVICE_DIGITS} digits)"
        )
    if int(count) <= 0:
        raise InputError("--on", None, f"needs at least one device, got {text!r}")
    return int(count), name


def _share(text: str, flag: str, *, upper_open: bool = False) -> float:
    """A share in [0, 1] (or [0, 1) when `upper_open`): ``0.56`` or ``56%``."""
    from trillion.units import parse_quantity

    v = parse_quantity(text, "number", flag)
    if not 0 <= v < 1 if upper_open else not 0 <= v <= 1:
        raise InputError(
            flag, None, f"must be a share in [0, 1{')' if upper_open else ']'}, got {text[:40]!r}"
        )
    return v


def _rate(text: str) -> float:
    from trillion.units import parse_quantity

    v = parse_quantity(text, "number", "--qps")
    if not 0 < v <= 1e6:
        raise InputError(
            "--qps", None, f"must be a positive rate up to 1e6 requests per second, got {text[:40]!r}"
        )
    return v


def _speculation(draft_tokens: str, acceptance: str | None) -> Any:
    from trillion.serve.perf import Speculation

    k = 0 if str(draft_tokens).strip() == "0" else positive_count(draft_tokens, "--draft-tokens")
    if k > 16:
        raise InputError("--draft-tokens", None, f"at most 16 draft tokens per step, got {k}")
    if k and acceptance is None:
        raise InputError(
            "--acceptance", None, "needed with --draft-tokens (e.g. 0.8: DeepSeek-V3 reports 85-90% for MTP)"
        )
    if acceptance is not None and not k:
        raise InputError("--acceptance", None, "applies to speculative decoding: give --draft-tokens too")
    return Speculation(
        draft_tokens=k, acceptance=_share(acceptance, "--acceptance") if k and acceptance is not None else 0.0
    )


def serve(
    name: Annotated[str, typer.Argument(help="Catalog name or path to a config.json.")] = DEFAULT_MODEL,
    gpu: Annotated[str, Opt(help="Accelerator, e.g. h200, h100, b200, mi300x.")] = "h200",
    gpus: Annotated[str | None, Opt(help="Devices (default: the fewest that fit one replica).")] = None,
    weights: Annotated[
        str, Opt(help="Weight precision: bf16, fp8, int8, int4, fp4 (also mxfp4, nf4).")
    ] = "bf16",
    kv: Annotated[str, Opt(help="KV-cache precision: bf16 or fp8.")] = "bf16",
    context: Annotated[
        str | None, Opt(help="Context length to provision (default prompt + output), e.g. 32k.")
    ] = None,
    prompt: Annotated[str, Opt(help="Prompt tokens per query.")] = "1000",
    output: Annotated[str, Opt(help="Output tokens per query.")] = "500",
    batch: Annotated[
        str | None, Opt(help="Concurrent sequences (default: best under the latency target).")
    ] = None,
    latency_target: Annotated[
        str, Opt("--latency-target", help="Time per output token target, e.g. 50ms.")
    ] = "50ms",
    calibration: Annotated[
        str | None, Opt(help="Serving calibration TOML (default: shipped ML.ENERGY fit).")
    ] = None,
    layout: Annotated[
        str | None,
        Opt(
            help="Replica layout, e.g. tp=8 or tp=1,dp=32,ep=32 (attention data parallel, expert parallel; "
            "redundant=N extra expert copies). Default: tensor then pipeline parallel."
        ),
    ] = None,
    cache_hit: Annotated[
        str,
        Opt(
            "--cache-hit",
            help="Share of prompt tokens found in the prefix cache, in [0, 1), e.g. 0.56 or 56%.",
        ),
    ] = "0",
    draft_tokens: Annotated[
        str,
        Opt("--draft-tokens", help="Speculative decoding: tokens drafted per step (MTP or a draft model)."),
    ] = "0",
    acceptance: Annotated[
        str | None, Opt(help="Speculative decoding: chance each draft token is accepted, in [0, 1].")
    ] = None,
    disaggregate: Annotated[
        str | None,
        Opt(
            help="Separate prefill and decode pools, e.g. prefill=32,decode=144 (devices each; --layout then "
            "sets the decode pool's layout)."
        ),
    ] = None,
    qps: Annotated[
        str | None,
        Opt(
            help="Requests per second to serve: latency percentiles under that load (and, without --gpus, "
            "the fleet that carries it within the latency target)."
        ),
    ] = None,
    queries_per_day: Annotated[
        str | None,
        Opt(
            "--queries-per-day",
            help="Queries a day to serve for a year: sizes the fleet at the mean rate (or at "
            "--qps, the peak) and prices the year (energy, CO2e, water, cost).",
        ),
    ] = None,
    region: RegionOpt = "World",
    pue: PueOpt = None,
    price: PriceOpt = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Serving plan: memory, minimum hardware, layout, batch, TTFT/TPOT, throughput, energy, carbon, cost."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.serve.layout import parse_serve_layout
    from trillion.serve.perf import load_serve_calibration
    from trillion.units import parse_context_len, parse_quantity

    target = parse_quantity(latency_target, "second", "--latency-target")
    if not 0 < target <= 3600:
        raise InputError(
            "--latency-target", None, f"must be a positive time up to an hour, got {latency_target!r}"
        )
    fkw = FootprintFlags(region=region, pue=pue, price=price).kwargs()
    hit = _share(cache_hit, "--cache-hit", upper_open=True)
    speculation = _speculation(draft_tokens, acceptance)
    lay = parse_serve_layout(layout) if layout is not None else None
    spec, _ = resolve_model(name)
    acc = find_accelerator(gpu)
    n_gpus = positive_count(gpus, "--gpus") if gpus is not None else None
    if disaggregate is not None:
        from trillion.serve.disagg import parse_disaggregate, plan_disaggregated

        pre, dec = parse_disaggregate(disaggregate)
        if n_gpus is not None and n_gpus != pre + dec:
            raise InputError(
                "--gpus", None, f"{n_gpus} is not prefill + decode = {pre + dec} of --disaggregate"
            )
        if qps is not None:
            raise InputError(
                "--qps",
                None,
                "the load model does not cover disaggregated pools yet; drop --qps or --disaggregate",
            )
        plan = plan_disaggregated(
            spec, acc, prefill_devices=pre, decode_devices=dec, weights=weights, kv=kv,
            context=parse_context_len(context, "--context") if context else None,
            prompt=parse_context_len(prompt, "--prompt"), output=parse_context_len(output, "--output"),
            cache_hit=hit, calibration=load_serve_calibration(calibration) if calibration else None,
            batch=positive_count(batch, "--batch") if batch is not None else None, latency_target_s=target,
            layout=lay, speculation=speculation,
        )  # fmt: skip
    else:
        per_day = (
            positive_count(queries_per_day, "--queries-per-day") if queries_per_day is not None else None
        )
        if per_day is not None and qps is None:
            qps = f"{per_day / 86400!r}"  # the mean rate; a diurnal peak is --qps
        plan = _plan(spec, acc, n_gpus, weights, kv, context, prompt, output, batch, target, calibration, lay,
                     speculation, hit, qps)  # fmt: skip
        if per_day is not None and plan.fits:
            from trillion.footprint.of_serve import annual_footprint_of_serving

            year = annual_footprint_of_serving(plan, acc, per_day, **fkw)
            _print_plan(plan, acc, fkw, as_json, year)
            return
    _print_plan(plan, acc, fkw, as_json)


def _plan(spec, acc, n_gpus, weights, kv, context, prompt, output, batch, target, calibration, lay, speculation,
          hit, qps):  # fmt: skip
    from trillion.serve.perf import load_serve_calibration
    from trillion.serve.plan import plan_serving
    from trillion.units import parse_context_len

    return plan_serving(
        spec,
        acc,
        gpus=n_gpus,
        weights=weights,
        kv=kv,
        context=parse_context_len(context, "--context") if context else None,
        prompt=parse_context_len(prompt, "--prompt"),
        output=parse_context_len(output, "--output"),
        batch=positive_count(batch, "--batch") if batch is not None else None,
        latency_target_s=target,
        calibration=load_serve_calibration(calibration) if calibration else None,
        layout=lay,
        speculation=speculation,
        cache_hit=hit,
        qps=_rate(qps) if qps is not None else None,
    )


def _print_plan(
    plan: Any, acc: Any, fkw: dict[str, Any], as_json: bool, year: dict[str, Any] | None = None
) -> None:
    from trillion.footprint.of_serve import footprint_of_serving

    fp = footprint_of_serving(plan, acc, **fkw) if plan.fits else None
    if as_json:
        data = {**plan.to_dict(), **(fp.to_dict() if fp else EMPTY_FOOTPRINT)}
        data["assumptions"] = plan.assumptions + (fp.assumptions if fp else [])
        if year is not None:
            data["annual"] = year
        print_json(data)
        return
    from trillion.report.serve_tables import annual_table, serve_tables

    for r in serve_tables(plan, fp):
        console.print(r)
    if year is not None:
        console.print(annual_table(year))


def fit(
    name: Annotated[str, typer.Argument(help="Catalog name or path to a config.json.")] = DEFAULT_MODEL,
    on: Annotated[str, Opt(help="Hardware you have: COUNTxGPU, e.g. 1xh200, 8xh100.")] = "8xh200",
    kv: Annotated[str, Opt(help="KV-cache precision: bf16 or fp8.")] = "bf16",
    context: Annotated[str, Opt(help="Context to hold for one sequence, e.g. 4k, 32k.")] = "4096",
    as_json: Annotated[bool, Opt("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The cheapest way to fit a model on given hardware (precision, device count), or why it cannot."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.serve.fit import fit_options

    count, gpu = _on(on)
    from trillion.units import parse_context_len

    spec, _ = resolve_model(name)
    result = fit_options(
        spec, find_accelerator(gpu, "--on"), count, kv=kv, context=parse_context_len(context, "--context")
    )
    if as_json:
        print_json(result.to_dict())
        return
    from rich.table import Table

    t = Table(
        title=f"{spec.name} on {count} x {result.accelerator} (one {result.context}-token sequence, KV {kv})"
    )
    for col in (
        "precision",
        "weights",
        "devices needed",
        f"fits on {count}",
        "sequences at this context",
        "published quality effect",
    ):
        t.add_column(col, justify="right")
    for row in result.options:
        t.add_row(
            row["weights"],
            f"{row['weight_bytes'] / 2**30:,.1f} GiB",
            str(row["devices_needed"] or "> 512"),
            "yes" if row["fits"] else "no",
            f"{row['max_concurrency']:,}" if row["fits"] else "-",
            row["quality"],
        )
    console.print(t)
    console.print(result.verdict)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(fit)
