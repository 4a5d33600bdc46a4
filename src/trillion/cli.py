"""The ``trillion`` command line: parse input, call the core, render a table or JSON.

Exit codes: 0 ok, 1 failed, 2 bad input (one line on stderr naming the input and the field).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from trillion.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="trillion: what it takes to build, run and afford frontier-scale language models.",
    pretty_exceptions_enable=False,
)
console = Console()

MAX_COUNT = 10**20  # bounded work: tokens, hours and device counts beyond this are input errors
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(data: Any) -> None:
    """Strict JSON on stdout: a non-finite float (an undefined figure) is null, never NaN."""
    from trillion.io.files import dumps_strict

    sys.stdout.write(dumps_strict(data, indent=2) + "\n")


def _resolve(name: str):
    """(spec, catalog entry or None) for a catalog name or a config.json path."""
    from trillion import _looks_like_path, load_model

    if _looks_like_path(name):
        return load_model(name), None
    from trillion.catalog import find

    entry = find(name)
    return entry.spec, entry


@app.command()
def model(
    name: Annotated[
        str, typer.Argument(help="Catalog name (see `trillion models`) or path to a config.json.")
    ] = "qwen3-max",
    seq_len: Annotated[
        str, typer.Option("--seq-len", help="Context length in tokens (4096, 32k = 32768).")
    ] = "4096",
    attention: Annotated[
        str, typer.Option(help="Attention FLOP convention: causal (mean context (S+1)/2) or full (S).")
    ] = "causal",
    as_json: JsonFlag = False,
) -> None:
    """Exact parameters, FLOP per token, weight and KV-cache bytes of one model."""
    from trillion.count import count
    from trillion.units import parse_context_len

    s = parse_context_len(seq_len, "--seq-len")
    if attention not in ("causal", "full"):
        raise InputError("--attention", None, f"must be causal or full, got {attention!r}")
    spec, entry = _resolve(name)
    c = count(spec, s, attention)  # type: ignore[arg-type]
    if as_json:
        data = c.to_dict()
        if entry is not None:
            data.update(status=entry.status, display_name=entry.display_name, source=entry.source)
        _print_json(data)
        return
    from trillion.report.tables import model_tables

    for renderable in model_tables(c, entry):
        console.print(renderable)


@app.command()
def models(as_json: JsonFlag = False) -> None:
    """List the catalog: total and active parameters, and whether each is published or estimated."""
    from trillion.catalog import catalog
    from trillion.count.params import count_active_params, count_params
    from trillion.units import format_count

    rows: list[dict[str, Any]] = []
    for entry in catalog().values():
        rows.append(
            {
                "name": entry.name,
                "display_name": entry.display_name,
                "status": entry.status,
                "total_params": count_params(entry.spec).total,
                "active_params": count_active_params(entry.spec).total,
                "moe": entry.spec.is_moe,
                "attention": entry.spec.attention.kind,
                "aliases": list(entry.aliases),
            }
        )
    rows.sort(key=lambda r: r["total_params"])
    if as_json:
        _print_json(rows)
        return
    table = Table(title="trillion model catalog")
    for col, justify in (
        ("name", "left"),
        ("model", "left"),
        ("total", "right"),
        ("active", "right"),
        ("attention", "left"),
        ("status", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        status = r["status"] if r["status"] == "published" else f"[yellow]{r['status']}[/]"
        table.add_row(
            r["name"],
            r["display_name"],
            format_count(r["total_params"]),
            format_count(r["active_params"]),
            r["attention"] + (" + MoE" if r["moe"] else ""),
            status,
        )
    console.print(table)


def _positive_count(text: str, flag: str) -> int:
    from trillion.units import parse_count

    value, _ = parse_count(text, flag)
    if value <= 0 or value != value.to_integral_value():
        raise InputError(flag, None, f"must be a positive whole number, got {text!r}")
    if value > MAX_COUNT:
        raise InputError(flag, None, f"{text!r} is beyond any plan this tool makes (at most 1e20)")
    return int(value)


@app.command()
def hardware(as_json: JsonFlag = False) -> None:
    """List the accelerator catalog (dense peaks, memory, interconnect) and the cluster presets."""
    from trillion.catalog.hardware import accelerators, clusters
    from trillion.units import format_bytes

    accs = sorted(accelerators().values(), key=lambda a: a.peak_flop_per_s.get("bf16", 0.0))
    if as_json:
        _print_json(
            {
                "accelerators": [
                    {
                        "name": a.name,
                        "display_name": a.display_name,
                        "peak_flop_per_s": a.peak_flop_per_s,
                        "memory_bytes": a.memory_bytes,
                        "memory_bytes_per_s": a.memory_bytes_per_s,
                        "tdp_w": a.tdp_w,
                        "scale_up_domain": a.scale_up_domain,
                        "scale_up_bytes_per_s": a.scale_up_bytes_per_s,
                        "scale_out_bytes_per_s": a.scale_out_bytes_per_s,
                        "source": a.source,
                        "unverified": a.unverified,
                    }
                    for a in accs
                ],
                "clusters": [
                    {
                        "name": c.name,
                        "accelerator": c.accelerator.name,
                        "num_devices": c.num_devices,
                        "scale_up_bytes_per_s": c.scale_up_bytes_per_s,
                        "scale_out_bytes_per_s": c.scale_out_bytes_per_s,
                        "source": c.source,
                    }
                    for c in clusters().values()
                ],
            }
        )
        return
    t = Table(title="accelerators (dense peaks)")
    for col in (
        "name",
        "bf16 TFLOP/s",
        "fp8 TFLOP/s",
        "memory",
        "HBM TB/s",
        "TDP W",
        "scale-up GB/s",
        "scale-out GB/s",
    ):
        t.add_column(col, justify="left" if col == "name" else "right")

    def num(x: float | None, scale: float) -> str:
        return "-" if x is None else f"{x / scale:,.4g}"

    for a in accs:
        t.add_row(
            a.name,
            num(a.peak_flop_per_s.get("bf16"), 1e12),
            num(a.peak_flop_per_s.get("fp8"), 1e12),
            format_bytes(a.memory_bytes),
            num(a.memory_bytes_per_s, 1e12),
            num(a.tdp_w, 1),
            num(a.scale_up_bytes_per_s, 1e9),
            num(a.scale_out_bytes_per_s, 1e9),
        )
    console.print(t)
    c = Table(title="cluster presets (--cluster)")
    for col in ("name", "devices", "accelerator", "source"):
        c.add_column(col)
    for cl in clusters().values():
        c.add_row(cl.name, f"{cl.num_devices:,}", cl.accelerator.name, cl.source[:70])
    console.print(c)


def plan_from_flags(
    name: str,
    tokens: str,
    gpus: str | None,
    gpu: str,
    cluster: str | None,
    seq_len: str = "4096",
    global_batch: str | None = None,
    precision: str = "bf16",
    layout: str | None = None,
    zero: int = 1,
    recompute: str | None = None,
    calibration: str | None = None,
    attention_kernel: str = "flash",
    optimizer: str = "adamw",
):
    """Parse the training flags (strings as typed) and plan the run (`trillion.plan_training`)."""
    from trillion.catalog.hardware import find_accelerator, find_cluster, make_cluster
    from trillion.plan.calibration import load_calibration
    from trillion.plan.train import plan_training
    from trillion.spec.layout import Layout, parse_layout
    from trillion.units import parse_context_len

    n_tokens = _positive_count(tokens, "--tokens")
    s = parse_context_len(seq_len, "--seq-len")
    if attention_kernel not in ("flash", "unfused"):
        raise InputError("--attention-kernel", None, f"must be flash or unfused, got {attention_kernel!r}")
    if recompute is not None and recompute not in ("none", "selective", "full"):
        raise InputError("--recompute", None, f"must be none, selective or full, got {recompute!r}")
    if zero not in (0, 1, 2, 3):
        raise InputError("--zero", None, f"must be 0, 1, 2 or 3, got {zero}")
    if cluster:
        cl = find_cluster(cluster)
        if gpus is not None:
            from dataclasses import replace

            cl = replace(cl, num_devices=_positive_count(gpus, "--gpus")).validate()
    else:
        cl = make_cluster(find_accelerator(gpu), _positive_count(gpus or "1024", "--gpus"))
    batch_seqs = _positive_count(global_batch, "--global-batch") if global_batch else None
    lay = None
    if layout:
        kwargs = parse_layout(layout)
        kwargs.setdefault("zero", zero)
        if recompute:
            kwargs.setdefault("recompute", recompute)
        world = cl.num_devices
        known = {k: v for k, v in kwargs.items() if k in ("tp", "pp", "cp")}
        if "dp" not in kwargs:
            denom = int(known.get("tp", 1)) * int(known.get("pp", 1)) * int(known.get("cp", 1))
            kwargs["dp"] = max(1, world // denom)
        lay = Layout(**kwargs).validate_for(world)  # type: ignore[arg-type]
    spec, _ = _resolve(name)
    cal = load_calibration(calibration) if calibration else None
    return plan_training(
        spec,
        cl,
        tokens=n_tokens,
        seq_len=s,
        global_batch=batch_seqs,
        layout=lay,
        precision=precision,
        zero=zero,
        recompute=recompute,
        calibration=cal,
        attention_kernel=attention_kernel,
        optimizer=optimizer,
    )


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="Catalog name or path to a config.json.")] = "qwen3-max",
    tokens: Annotated[str, typer.Option(help="Training tokens, e.g. 36T, 15.6T, 3e12.")] = "1T",
    gpus: Annotated[
        str | None, typer.Option(help="Number of accelerators (default: the cluster preset's).")
    ] = None,
    gpu: Annotated[
        str, typer.Option(help="Accelerator (see catalog/accelerators), e.g. h800, h100, b200.")
    ] = "h100",
    cluster: Annotated[
        str | None, typer.Option(help="Cluster preset, e.g. deepseek-v3-h800 (overrides --gpu).")
    ] = None,
    seq_len: Annotated[str, typer.Option("--seq-len", help="Sequence length (4096, 8k).")] = "4096",
    global_batch: Annotated[str | None, typer.Option("--global-batch", help="Sequences per step.")] = None,
    layout: Annotated[
        str | None, typer.Option(help="e.g. tp=8,pp=16,ep=64,dp=8,mbs=1 (default: search).")
    ] = None,
    zero: Annotated[int, typer.Option(help="ZeRO stage 0-3 over data parallel.")] = 1,
    recompute: Annotated[
        str | None, typer.Option(help="none | selective | full (default: searched).")
    ] = None,
    precision: Annotated[str, typer.Option(help="bf16, fp16 or fp8 mixed precision.")] = "bf16",
    optimizer: Annotated[
        str, typer.Option(help="adamw, muon, adafactor (no momentum, factored) or adam8bit.")
    ] = "adamw",
    calibration: Annotated[
        str | None, typer.Option(help="Calibration TOML (e.g. from trillion ladder).")
    ] = None,
    attention_kernel: Annotated[str, typer.Option("--attention-kernel", help="flash or unfused.")] = "flash",
    region: Annotated[
        str, typer.Option(help="Grid region for the footprint (see trillion footprint).")
    ] = "World",
    pue: Annotated[str | None, typer.Option(help="PUE or range for the footprint.")] = None,
    price: Annotated[str | None, typer.Option(help="USD per device-hour for the footprint.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan a training run: layout, memory, step time, MFU, days, accelerator-hours and footprint."""
    from trillion.cli_footprint import FootprintFlags

    fkw = FootprintFlags(region=region, pue=pue, price=price).kwargs()
    plan = plan_from_flags(
        name, tokens, gpus, gpu, cluster, seq_len, global_batch, precision, layout, zero, recompute,
        calibration, attention_kernel, optimizer,
    )  # fmt: skip
    fp = None
    if plan.fits:
        from trillion.footprint.train import footprint_of_plan

        fp = footprint_of_plan(plan, **fkw)
    if as_json:
        _print_json({**plan.to_dict(), "footprint": fp.to_dict() if fp else None})
        return
    from trillion.report.tables import train_tables

    for renderable in train_tables(plan):
        console.print(renderable)
    if fp is not None:
        from trillion.report.footprint_tables import footprint_tables

        console.print(
            footprint_tables(fp, f"Footprint (region {region}; `trillion footprint` for all options)")[0]
        )


@app.command()
def finetune(
    name: Annotated[str, typer.Argument(help="Catalog name or path to a config.json.")] = "llama-3.1-8b",
    method: Annotated[str, typer.Option(help="full, lora or qlora.")] = "lora",
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    tokens: Annotated[str, typer.Option(help="Fine-tuning tokens, e.g. 100M.")] = "100M",
    gpus: Annotated[str, typer.Option(help="Number of accelerators.")] = "1",
    gpu: Annotated[str, typer.Option(help="Accelerator, e.g. h100, a100-80gb, h200.")] = "h100",
    seq_len: Annotated[str, typer.Option("--seq-len", help="Sequence length.")] = "4096",
    global_batch: Annotated[str, typer.Option("--global-batch", help="Sequences per step.")] = "64",
    as_json: JsonFlag = False,
) -> None:
    """Fine-tuning memory per device and time: full, LoRA or QLoRA."""
    from trillion.catalog.hardware import find_accelerator, make_cluster
    from trillion.plan.finetune import plan_finetune
    from trillion.units import format_bytes, format_count, parse_context_len

    if method not in ("full", "lora", "qlora"):
        raise InputError("--method", None, f"must be full, lora or qlora, got {method!r}")
    cl = make_cluster(find_accelerator(gpu), _positive_count(gpus, "--gpus"))
    spec, _ = _resolve(name)
    plan = plan_finetune(
        spec,
        cl,
        tokens=_positive_count(tokens, "--tokens"),
        method=method,  # type: ignore[arg-type]
        rank=rank,
        seq_len=parse_context_len(seq_len),
        global_batch=_positive_count(global_batch, "--global-batch"),
    )
    if as_json:
        _print_json(plan.to_dict())
        return
    t = Table(
        title=f"{method} fine-tuning of {spec.name} on {cl.num_devices} x {cl.accelerator.display_name}"
    )
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("fits", "yes" if plan.fits else f"NO: {plan.reason}")
    t.add_row("trainable parameters", format_count(plan.trainable_params))
    for k, v in plan.memory_bytes.items():
        t.add_row(f"memory: {k}", format_bytes(v))
    if plan.wall_clock_hours:
        h = plan.wall_clock_hours
        t.add_row("wall-clock hours (P50, P10-P90)", f"{h['p50']:.1f} ({h['p10']:.1f}-{h['p90']:.1f})")
    console.print(t)
    for a in plan.assumptions:
        console.print(f"[dim]assumes {a}[/]")


from trillion.cli_footprint import register as _register_footprint  # noqa: E402
from trillion.cli_ladder import register as _register_ladder  # noqa: E402
from trillion.cli_report import register as _register_report  # noqa: E402
from trillion.cli_scaling import register as _register_scaling  # noqa: E402
from trillion.cli_serve import register as _register_serve  # noqa: E402

_register_footprint(app)
_register_serve(app)
_register_scaling(app)
_register_ladder(app)
_register_report(app)


_COMMAND = None


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    global _COMMAND
    if _COMMAND is None:  # typer builds the click command tree in ~35 ms: once per process
        _COMMAND = typer.main.get_command(app)
    try:
        _COMMAND.main(args=argv, standalone_mode=False, prog_name="trillion")
    except InputError as e:
        _error_line(str(e))
        return 2
    except typer.Exit as e:
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("trillion: aborted\n")
        return 1
    except typer.exceptions.TyperException as e:  # usage errors: click's message as one line, exit code 2
        message = getattr(e, "format_message", None)
        if message is None:
            raise
        ctx = getattr(e, "ctx", None)
        _error_line(f"{message()} (see `{ctx.command_path if ctx else 'trillion'} --help`)")
        return int(getattr(e, "exit_code", 2))
    return 0


def _error_line(text: str) -> None:
    """One line on stderr: whitespace collapsed, characters a terminal cannot show escaped."""
    line = " ".join(f"trillion: error: {text}".split())
    sys.stderr.write(line.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def run() -> None:  # console-script target
    sys.exit(main())
