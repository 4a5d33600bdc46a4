"""``trillion train`` and ``trillion finetune``: training plans from flags."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from trillion.catalog import DEFAULT_MODEL
from trillion.cli.common import JsonFlag, console, positive_count, print_json, resolve_model
from trillion.cli.options import FootprintFlags
from trillion.errors import InputError
from trillion.spec.choices import DEFAULT_FRAMEWORK


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
    zero: int | None = None,
    recompute: str | None = None,
    calibration: str | None = None,
    attention_kernel: str = "flash",
    optimizer: str = "adamw",
    framework: str = DEFAULT_FRAMEWORK,
    compiled: bool = False,
    scale_up_bandwidth: str | None = None,
    scale_out_bandwidth: str | None = None,
    failure_rate: str | None = None,
    restart_time: str | None = None,
    checkpoint_interval: str | None = None,
    storage_bandwidth: str | None = None,
    deadline: str | None = None,
):
    """Parse the training flags (strings as typed) and plan the run (`trillion.plan_training`); with
    `deadline`, the fewest devices that finish by then (`trillion.plan.deadline`, a `DeadlinePlan`)."""
    from trillion.catalog.hardware import find_accelerator, find_cluster, make_cluster
    from trillion.plan.calibration import load_calibration
    from trillion.plan.frameworks import DEFAULT_ZERO
    from trillion.plan.train import plan_training
    from trillion.spec.choices import FRAMEWORKS, check_choice
    from trillion.spec.layout import complete_layout, parse_layout
    from trillion.units import parse_context_len, parse_quantity

    check_choice(framework, FRAMEWORKS, "framework")  # before the framework's ZeRO default
    deadline_s = None
    if deadline is not None:
        deadline_s = parse_quantity(deadline, "time", "--deadline")
        if not deadline_s > 0:
            raise InputError("--deadline", None, f"must be a positive time, got {deadline!r}")
        for flag, value in (("--gpus", gpus), ("--layout", layout)):
            if value is not None:
                raise InputError(flag, None, "give either --deadline (devices searched) or " + flag)
    n_tokens = positive_count(tokens, "--tokens")
    s = parse_context_len(seq_len, "--seq-len")
    if cluster:
        cl = find_cluster(cluster)
        if gpus is not None:
            from dataclasses import replace

            cl = replace(cl, num_devices=positive_count(gpus, "--gpus")).validate()
    else:
        up = (
            parse_quantity(scale_up_bandwidth, "byte_per_s", "--scale-up-bandwidth")
            if scale_up_bandwidth
            else None
        )
        out = (
            parse_quantity(scale_out_bandwidth, "byte_per_s", "--scale-out-bandwidth")
            if scale_out_bandwidth
            else None
        )
        cl = make_cluster(
            find_accelerator(gpu),
            positive_count(gpus or "1024", "--gpus"),
            scale_up_bytes_per_s=up,
            scale_out_bytes_per_s=out,
        )
    batch_seqs = positive_count(global_batch, "--global-batch") if global_batch else None
    lay = None
    if layout:
        given = {"zero": DEFAULT_ZERO[framework] if zero is None else zero}
        fields = {**given, **({"recompute": recompute} if recompute else {}), **parse_layout(layout)}
        lay = complete_layout(fields, cl.num_devices)
    rel = reliability_from_flags(failure_rate, restart_time, checkpoint_interval, storage_bandwidth)
    spec, _ = resolve_model(name)
    cal = load_calibration(calibration) if calibration else None
    if deadline_s is not None:
        from trillion.plan.deadline import plan_for_deadline

        return plan_for_deadline(
            spec, cl, deadline_s, tokens=n_tokens, seq_len=s, global_batch=batch_seqs, precision=precision,
            zero=zero, recompute=recompute, calibration=cal, attention_kernel=attention_kernel,
            optimizer=optimizer, framework=framework, compiled=compiled, reliability=rel,
        )  # fmt: skip
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
        framework=framework,
        compiled=compiled,
        reliability=rel,
    )


def reliability_from_flags(
    failure_rate: str | None,
    restart_time: str | None,
    checkpoint_interval: str | None,
    storage_bandwidth: str | None,
):
    """The run's `trillion.plan.reliability.Reliability`: the module's sourced defaults, each
    replaced by its flag where given (errors name the flag)."""
    from dataclasses import replace

    from trillion.dist import Dist
    from trillion.plan.reliability import Reliability
    from trillion.units import parse_quantity

    rel = Reliability()
    try:
        if failure_rate is not None:
            rate = parse_quantity(failure_rate, "number", "--failure-rate")
            rel = replace(rel, rate_per_device_h=rate)
        if restart_time is not None:
            r = parse_quantity(restart_time, "time", "--restart-time")
            rel = replace(rel, restart_s=Dist.point(r, "--restart-time"))
        if checkpoint_interval is not None:
            rel = replace(
                rel,
                checkpoint_interval_s=parse_quantity(checkpoint_interval, "time", "--checkpoint-interval"),
            )
        if storage_bandwidth is not None:
            bw = parse_quantity(storage_bandwidth, "byte_per_s", "--storage-bandwidth")
            rel = replace(rel, storage_bytes_per_s_per_device=bw)
    except InputError as e:
        if e.where.startswith("--"):
            raise
        raise InputError(f"--{e.where.replace('_', '-')}", None, e.message) from None
    return rel


def train(
    name: Annotated[str, typer.Argument(help="Catalog name or path to a config.json.")] = DEFAULT_MODEL,
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
    zero: Annotated[
        int | None,
        typer.Option(help="ZeRO stage 0-3 over data parallel (default: searched among the framework's)."),
    ] = None,
    recompute: Annotated[
        str | None,
        typer.Option(
            help="none | selective | light (norms, MLA up-proj, MoE act) | full (default: searched)."
        ),
    ] = None,
    precision: Annotated[
        str, typer.Option(help="Mixed-precision recipe: bf16, fp16, fp8; mxfp8 or nvfp4 on Blackwell.")
    ] = "bf16",
    optimizer: Annotated[
        str, typer.Option(help="adamw, muon, adafactor (no momentum, factored) or adam8bit.")
    ] = "adamw",
    calibration: Annotated[
        str | None, typer.Option(help="Calibration TOML (e.g. from trillion ladder).")
    ] = None,
    attention_kernel: Annotated[str, typer.Option("--attention-kernel", help="flash or unfused.")] = "flash",
    framework: Annotated[
        str,
        typer.Option(
            help="deepspeed (nothing overlapped; fitted on vTrain's Megatron-DeepSpeed runs), megatron"
            " (distributed optimizer, TP/DP/all-to-all overlap) or fsdp2 (per-layer FSDP2, ZeRO-3,"
            " prefetch); the last two fitted on published throughput."
        ),
    ] = DEFAULT_FRAMEWORK,
    compiled: Annotated[
        bool, typer.Option("--compile", help="fsdp2 under torch.compile (fused element-wise work).")
    ] = False,
    region: Annotated[
        str, typer.Option(help="Grid region for the footprint (see trillion footprint).")
    ] = "World",
    pue: Annotated[str | None, typer.Option(help="PUE or range for the footprint.")] = None,
    price: Annotated[str | None, typer.Option(help="USD per device-hour for the footprint.")] = None,
    power: Annotated[
        str | None, typer.Option(help="Device power in W for the footprint (devices without a TDP).")
    ] = None,
    scale_up_bandwidth: Annotated[
        str | None, typer.Option("--scale-up-bandwidth", help="Per device, per direction, e.g. '400 GB/s'.")
    ] = None,
    scale_out_bandwidth: Annotated[
        str | None, typer.Option("--scale-out-bandwidth", help="Per device, e.g. '400 Gbit/s'.")
    ] = None,
    failure_rate: Annotated[
        str | None,
        typer.Option("--failure-rate", help="Job interruptions per device-hour (default Llama 3's 2.19e-5)."),
    ] = None,
    restart_time: Annotated[
        str | None, typer.Option("--restart-time", help="Detect + restart + reload, e.g. '11 min'.")
    ] = None,
    checkpoint_interval: Annotated[
        str | None,
        typer.Option("--checkpoint-interval", help="e.g. '30 min' (default: Young's optimum)."),
    ] = None,
    storage_bandwidth: Annotated[
        str | None,
        typer.Option("--storage-bandwidth", help="Checkpoint write bandwidth per device, e.g. '122 MB/s'."),
    ] = None,
    deadline: Annotated[
        str | None,
        typer.Option(help="Finish by, e.g. '90d': the fewest devices expected to (instead of --gpus)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan a training run: layout, memory, step time, MFU, days, accelerator-hours and footprint."""
    from trillion.plan.deadline import DeadlinePlan

    fkw = FootprintFlags(region=region, pue=pue, price=price, power=power).kwargs()
    planned = plan_from_flags(
        name, tokens, gpus, gpu, cluster, seq_len, global_batch, precision, layout, zero, recompute,
        calibration, attention_kernel, optimizer, framework, compiled, scale_up_bandwidth, scale_out_bandwidth,
        failure_rate, restart_time, checkpoint_interval, storage_bandwidth, deadline,
    )  # fmt: skip
    by = planned if isinstance(planned, DeadlinePlan) else None
    plan = by.plan if by else planned
    fp = None
    if plan.fits:
        from trillion.footprint.of_train import footprint_of_plan

        fp = footprint_of_plan(plan, **fkw)
    if as_json:
        deadline_json = {"deadline": by.to_dict()} if by else {}
        print_json({**deadline_json, **plan.to_dict(), "footprint": fp.to_dict() if fp else None})
        return
    from trillion.report.tables import deadline_table, train_tables

    if by:
        console.print(deadline_table(by))
    for renderable in train_tables(plan):
        console.print(renderable)
    if fp is not None:
        from trillion.report.footprint_tables import footprint_tables

        console.print(
            footprint_tables(fp, f"Footprint (region {region}; `trillion footprint` for all options)")[0]
        )


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
    cl = make_cluster(find_accelerator(gpu), positive_count(gpus, "--gpus"))
    spec, _ = resolve_model(name)
    plan = plan_finetune(
        spec,
        cl,
        tokens=positive_count(tokens, "--tokens"),
        method=method,  # type: ignore[arg-type]
        rank=rank,
        seq_len=parse_context_len(seq_len),
        global_batch=positive_count(global_batch, "--global-batch"),
    )
    if as_json:
        print_json(plan.to_dict())
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


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(finetune)
