"""The ``trillion`` command line: parse input, call the core, render a table or JSON.

Exit codes: 0 ok, 1 failed, 2 bad input (one line on stderr naming the input and the field).
"""

from __future__ import annotations

import json
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

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


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


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        app(args=argv, standalone_mode=False)
    except InputError as e:
        sys.stderr.write(f"trillion: error: {e}\n")
        return 2
    except typer.Exit as e:
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("trillion: aborted\n")
        return 1
    except typer.exceptions.TyperException as e:  # usage errors: click's message, exit code 2
        show = getattr(e, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(e, "exit_code", 2))
    return 0


def run() -> None:  # console-script target
    sys.exit(main())
