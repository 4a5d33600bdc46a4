"""``trillion model``, ``trillion models`` and ``trillion hardware``: the catalog and exact counts."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from trillion.catalog import DEFAULT_MODEL
from trillion.cli.common import JsonFlag, console, print_json, resolve_model
from trillion.errors import InputError


def model(
    name: Annotated[
        str, typer.Argument(help="Catalog name (see `trillion models`) or path to a config.json.")
    ] = DEFAULT_MODEL,
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
    spec, entry = resolve_model(name)
    c = count(spec, s, attention)  # type: ignore[arg-type]
    if as_json:
        data = c.to_dict()
        if entry is not None:
            data.update(status=entry.status, display_name=entry.display_name, source=entry.source)
        print_json(data)
        return
    from trillion.report.tables import model_tables

    for renderable in model_tables(c, entry):
        console.print(renderable)


def models(as_json: JsonFlag = False) -> None:
    """List the catalog: total and active parameters, and whether each is published or estimated."""
    from trillion.catalog import catalog
    from trillion.count import layer_kinds
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
                "layer_kinds": layer_kinds(entry.spec),
                "sparse_attention": getattr(entry.spec.attention, "indexer", None) is not None,
                "aliases": list(entry.aliases),
            }
        )
    rows.sort(key=lambda r: r["total_params"])
    if as_json:
        print_json(rows)
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
            _mixers(r),
            status,
        )
    console.print(table)


_MIXER_NAMES = {"gated_deltanet": "DeltaNet", "kda": "KDA", "lightning": "lightning", "mamba": "Mamba",
                "mamba2": "Mamba-2", "short_conv": "conv"}  # fmt: skip


def _mixers(row: dict) -> str:
    """'gqa + MoE', 'gqa (sliding) + MoE', 'gqa + DeltaNet + MoE', 'mla (sparse) + MoE'."""
    kinds = row["layer_kinds"]
    caps = [k for k in ("sliding", "chunked") if kinds.get("sliding_window" if k == "sliding" else k)]
    if row["sparse_attention"]:
        caps.append("sparse")
    text = row["attention"] + (f" ({', '.join(caps)})" if caps else "")
    text += "".join(f" + {name}" for kind, name in _MIXER_NAMES.items() if kinds.get(kind))
    return text + (" + MoE" if row["moe"] else "")


def hardware(as_json: JsonFlag = False) -> None:
    """List the accelerator catalog (dense peaks, memory, interconnect) and the cluster presets."""
    from trillion.catalog.hardware import accelerators, clusters
    from trillion.units import format_bytes

    accs = sorted(accelerators().values(), key=lambda a: a.peak_flop_per_s.get("bf16", 0.0))
    if as_json:
        print_json(
            {
                "accelerators": [a.to_dict() for a in accs],
                "clusters": [c.to_dict() for c in clusters().values()],
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


def register(app: typer.Typer) -> None:
    app.command()(model)
    app.command()(models)
    app.command()(hardware)
