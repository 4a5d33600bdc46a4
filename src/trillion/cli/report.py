"""``trillion report`` (the main job), ``trillion compare`` and ``trillion ui`` (the local web page)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trillion.catalog import DEFAULT_MODEL, FRONTIER
from trillion.cli.common import console, positive_count, print_json
from trillion.errors import InputError
from trillion.io.files import check_writable, write_file

Opt = typer.Option


def _write(path: str, text: str) -> None:
    write_file(path, text, "--html")


def _secret(name: str, as_json: bool) -> bool:
    """A model whose architecture is secret and unestimated (Gemini, Claude, GPT-5): print what is
    published about it and what others estimate, and say where the comparison is (True if so)."""
    from trillion.catalog import landscape
    from trillion.catalog.resolve import looks_like_path

    if looks_like_path(name):
        return False
    try:
        e = landscape.find(name)
    except ValueError:
        return False
    if e.architecture:
        return False
    card = landscape.card(e.model)
    if as_json:
        print_json({**card, "note": "architecture unpublished: no accounting, training or serving plan"})
        return True
    from trillion.report.compare_text import card_lines

    for line in card_lines(
        {"name": e.model, "display_name": e.display_name, "card": card}, min(console.width, 100)
    ):
        console.print(line, markup=False, highlight=False)
    console.print(f"No architecture is published and trillion holds no estimate of it, so there is no parameter "
                  f"count, training plan or serving plan. Its scores beside others: trillion compare {e.model}",
                  markup=False, highlight=False)  # fmt: skip
    return True


def report(
    name: Annotated[
        str, typer.Argument(help=f"Catalog name or config.json (default: {DEFAULT_MODEL}, an estimate).")
    ] = DEFAULT_MODEL,
    html: Annotated[str | None, Opt(help="Also write the self-contained HTML report to this path.")] = None,
    tokens: Annotated[str | None, Opt(help="Training tokens (default: the published count).")] = None,
    cluster: Annotated[
        str | None, Opt(help="Training cluster preset (default: the published one, else 16,384 H100).")
    ] = None,
    gpu: Annotated[str | None, Opt(help="Training accelerator (instead of a cluster preset).")] = None,
    gpus: Annotated[str | None, Opt(help="Training accelerator count.")] = None,
    precision: Annotated[
        str | None, Opt(help="Training precision (default: the published one, else bf16).")
    ] = None,
    global_batch: Annotated[
        str | None, Opt("--global-batch", help="Sequences per step (default: published, else searched).")
    ] = None,
    seq_len: Annotated[
        str | None, Opt("--seq-len", help="Training sequence length (default: published, else 4K).")
    ] = None,
    price: Annotated[
        str | None, Opt(help="USD per training device-hour (default: the shipped price range).")
    ] = None,
    region: Annotated[str | None, Opt(help="Grid region for the footprint (default: World).")] = None,
    serve_gpu: Annotated[str | None, Opt("--serve-gpu", help="Serving accelerator (default: H200).")] = None,
    as_json: Annotated[
        bool, Opt("--json", help="Print the report as JSON (and write nothing else).")
    ] = False,
) -> None:
    """The main job: what a frontier model takes to build and run, with a source or method for every figure."""
    from trillion.catalog.hardware import find_accelerator
    from trillion.dist import parse_dist
    from trillion.footprint.data import grid_intensity
    from trillion.report.build import build_report
    from trillion.report.html import fmt, label, render_report
    from trillion.report.kinds import kind_of
    from trillion.units import parse_context_len

    if region:
        grid_intensity(region)  # an unknown region fails before any work
    if serve_gpu:
        serve_gpu = find_accelerator(serve_gpu).name
    if html:
        check_writable(html, "--html")  # and an unwritable output path too
    if _secret(name, as_json):
        return
    r = build_report(
        name,
        region=region,
        gpu=gpu,
        gpus=positive_count(gpus, "--gpus") if gpus else None,
        tokens=positive_count(tokens, "--tokens") if tokens else None,
        cluster=cluster,
        precision=precision,
        global_batch=positive_count(global_batch, "--global-batch") if global_batch else None,
        seq_len=parse_context_len(seq_len, "--seq-len") if seq_len else None,
        price=parse_dist(price, "--price", kind="price_per_hour", minimum=0.0, maximum=1e4)
        if price
        else None,
        serve_gpu=serve_gpu,
    )
    if html:
        _write(html, render_report(r))
    if as_json:
        print_json(_without_charts(r))  # the charts are in the HTML
        return
    from rich.table import Table

    su = Table(title=f"set-up of this report: {r['display_name']}")
    su.add_column("input")
    su.add_column("value")
    su.add_column("from", style="dim")
    for k, f in r["setup"].items():
        su.add_row(label(k, "setup")[0], fmt(f), kind_of(f))
    console.print(su)
    t = Table(title=f"{r['display_name']} — {r['status_note']}")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_column("kind", style="dim")

    def row(label: str, f: dict[str, Any] | None) -> None:
        if f:
            t.add_row(label, fmt(f), kind_of(f))

    a, tr = r["architecture"], r["training"]
    row("total parameters", a["total_params"])
    row("active parameters", a["active_params"])
    row("training tokens", tr["tokens"])
    row("cluster", tr["cluster"])
    row("days, speed of light", tr.get("speed_of_light_days"))
    row("days, with failures", tr.get("planned_days"))
    row("days, expected (P50, P10-P90)", tr.get("wall_clock_days"))
    row("reality gap (x)", tr.get("reality_gap"))
    row("accelerator-hours", tr.get("accelerator_hours"))
    fp = r.get("footprint", {})
    row("energy (MWh, facility)", fp.get("energy_mwh"))
    row("CO2e location-based (t)", fp.get("co2e_location_t"))
    row("water (m3)", fp.get("water_m3"))
    row("cost (USD)", fp.get("cost_usd"))
    row("predicted loss (Epoch refit)", r["scaling"]["predicted_loss"])
    row("tokens per active parameter", r["scaling"]["tokens_per_active_param"])
    row("compute-optimal tokens at this compute", r["scaling"]["compute_optimal_tokens"])
    for s in r["serving"]:
        row(f"serving {s['weights']}: minimum H200s", s["min_devices"])
    for b in r["benchmarks"]:
        row(f"{b['benchmark']} ({b['status']})", b["score"])
    console.print(t)
    if r.get("published_vs_replay"):
        pv = Table(title="published figures beside trillion's replay of the same run")
        for col in ("quantity", "published", "trillion replay P50 (P10-P90)", "difference"):
            pv.add_column(col, justify="left" if col == "quantity" else "right")
        for x in r["published_vs_replay"]:
            q = x["replay"]
            pv.add_row(f"{x['quantity']} ({x['unit']})", fmt({"value": x["published"], "unit": x["unit"]}),
                       fmt({"value": q, "unit": x["unit"]}), f"{x['difference']:+.1%}")  # fmt: skip
        console.print(pv)
        for x in r["published_vs_replay"]:
            console.print(f"[dim]{x['quantity']}: replayed from {x['basis']}; published: {x['source']}[/]")
    serving = [s for s in r["serving"] if s["fits"]]
    if serving:
        st = Table(
            title=f"serving economics on {r['setup']['serving_hardware']['value'].upper()}"
            f" ({r['setup']['serving_workload']['value']}; estimated)"
        )
        for col in (
            "weights",
            "minimum devices",
            "deployment assumed",
            "requests/s per replica",
            "output tokens/s per device",
            "Wh per query",
            "USD per 1M tokens",
        ):
            st.add_column(col, justify="right")
        for s in serving:
            cost = s.get("cost_usd_per_million_tokens")
            st.add_row(s["weights"], fmt(s["min_devices"]), fmt(s["layout"]), fmt(s["requests_per_s_per_replica"]),
                       fmt(s["tokens_per_s_per_device"]),
                       fmt(s["energy_wh_per_query"]), fmt(cost) if cost else "no shipped price")  # fmt: skip
        console.print(st)
    if html:
        console.print(f"wrote {html} (self-contained: opens offline)")


def _without_charts(node: Any) -> Any:
    """`node` with every ``*chart_svg`` entry dropped (JSON readers want figures, not drawings)."""
    if isinstance(node, dict):
        return {k: _without_charts(v) for k, v in node.items() if not k.endswith("chart_svg")}
    if isinstance(node, list):
        return [_without_charts(v) for v in node]
    return node


def compare(
    names: Annotated[
        list[str] | None,
        typer.Argument(help=f"Models (default: {' '.join(FRONTIER)})."),
    ] = None,
    html: Annotated[str | None, Opt(help="Also write the comparison as HTML to this path.")] = None,
    region: Annotated[str, Opt(help="Grid region for the footprint estimates.")] = "World",
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Frontier models side by side: size, tokens, compute, hours, energy, carbon, cost, serving, scores."""
    from trillion.footprint.data import grid_intensity
    from trillion.report.compare import DEFAULT_SET, MAX_MODELS, build_compare
    from trillion.report.html import fmt, render_compare
    from trillion.report.kinds import kind_of

    grid_intensity(region)
    if names and len(names) > MAX_MODELS:
        raise InputError("compare", None, f"at most {MAX_MODELS} models at once, got {len(names)}")
    if html:
        check_writable(html, "--html")
    c = build_compare(tuple(names) if names else DEFAULT_SET, region)
    if html:
        _write(html, render_compare(c))
    if as_json:
        print_json({k: v for k, v in c.items() if not k.endswith("_svg")})
        return
    from rich.table import Table

    from trillion.report.compare_text import KIND_MARK, text_lines

    counted = [m for m in c["models"] if "total_params" in m["figures"] or m["figures"]]
    per_page = 3  # three model columns beside the quantity column fit 80 columns without cutting a name
    for start in range(0, len(counted), per_page):
        page = counted[start : start + per_page]
        t = Table(
            title="P published or reported, E estimated (trillion or a third party), R rumour, X exact count"
        )
        t.add_column("quantity")
        for m in page:
            t.add_column(m["display_name"], justify="right")
        for key, text in c["rows"]:
            cells = []
            for m in page:
                f = m["figures"].get(key)
                if not f:
                    cells.append("-" if m["status"] != "architecture unpublished" else "unpublished")
                    continue
                cells.append(f"{fmt(f)} {KIND_MARK.get(kind_of(f), 'E')}")
            if any(x not in ("-", "unpublished") for x in cells):
                t.add_row(text, *cells)
        console.print(t)
    width = min(console.width, 100)
    for line in text_lines(c, width):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if html:
        console.print(f"wrote {html}")


def ui(
    host: Annotated[str, Opt(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, Opt(help="Port.")] = 8765,
    allow_host: Annotated[
        list[str] | None, Opt("--allow-host", help="Another name the page may be reached by (repeatable).")
    ] = None,
) -> None:
    """A local web page to plan, price and chart a model (Starlette + uvicorn, hardened)."""
    if not 1 <= port <= 65535:
        raise InputError("--port", None, f"must be 1-65535, got {port}")
    from trillion.web.server import serve

    serve(host, port, tuple(allow_host or ()), say=lambda line: typer.echo(line, err=True))


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(compare)
    app.command()(ui)
