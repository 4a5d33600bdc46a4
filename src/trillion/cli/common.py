"""What every command shares: the console, strict JSON printing, reading counts and model names,
and the map from the core's quantity names to this CLI's flags.

The core names what was wrong by quantity (``tokens: must be positive``); the CLI prints the flag
a user typed (``--tokens: must be positive``) through `FLAGS`, so library users never see flag names.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from trillion.errors import InputError


class _Console(Console):
    """The CLI's console: tables never cut a cell. A cell too wide for its column at the terminal's
    width (80 in a pipe) wraps at spaces, then folds, instead of rich's default ellipsis, so every
    name and number a user must read or type is printed whole."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from rich.table import Table

        for o in objects:
            if isinstance(o, Table):
                for col in o.columns:
                    col.overflow = "fold"
                    col.no_wrap = False
        super().print(*objects, **kwargs)


console = _Console()

MAX_COUNT = 10**20  # bounded work: tokens, hours and device counts beyond this are input errors
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

# quantity names the core raises -> the flag that sets them
FLAGS = {
    "tokens": "--tokens", "gpus": "--gpus", "seq_len": "--seq-len", "global_batch": "--global-batch",
    "precision": "--precision", "recompute": "--recompute", "zero": "--zero", "optimizer": "--optimizer",
    "attention_kernel": "--attention-kernel", "layout": "--layout", "weights": "--weights", "kv": "--kv",
    "context": "--context", "prompt": "--prompt", "output": "--output", "batch": "--batch",
    "latency_target": "--latency-target", "accelerator": "--gpu", "cluster": "--cluster",
    "region": "--region", "year": "--year", "ownership": "--ownership", "embodied_method": "--embodied-method",
    "framework": "--framework", "compile": "--compile",
    "mfu": "--mfu", "budget": "--budget", "price": "--price", "pue": "--pue", "bootstrap": "--bootstrap",
    "loo": "--loo", "law": "--law", "fit": "--fit", "flop": "--flop", "params": "--params", "out": "--out",
    "method": "--method", "rank": "--rank", "preset": "--preset", "corpus": "--corpus", "device": "--device",
    "backend": "--backend", "nproc": "--nproc", "tokens_scale": "--tokens-scale", "calibration": "--calibration",
    "columns": "--columns", "drop_highest": "--drop-highest", "gpu": "--gpu", "tokenizer": "--tokenizer",
}  # fmt: skip


def flag_message(e: InputError) -> str:
    """The error's one line with the core's quantity name replaced by its flag."""
    if e.where in FLAGS:
        return str(InputError(FLAGS[e.where], e.field, e.message))
    return str(e)


def print_json(data: Any) -> None:
    """Strict JSON on stdout: a non-finite float (an undefined figure) is null, never NaN."""
    from trillion.io.files import dumps_strict

    sys.stdout.write(dumps_strict(data, indent=2) + "\n")


def resolve_model(name: str):
    """(spec, catalog entry or None) for a catalog name or a config.json path."""
    from trillion.catalog.resolve import resolve

    return resolve(name)


def positive_count(text: str, flag: str) -> int:
    from trillion.units import parse_count

    value, _ = parse_count(text, flag)
    if value <= 0 or value != value.to_integral_value():
        raise InputError(flag, None, f"must be a positive whole number, got {text!r}")
    if value > MAX_COUNT:
        raise InputError(flag, None, f"{text!r} is beyond any plan this tool makes (at most 1e20)")
    return int(value)


def check_plot(path: str | None) -> None:
    """Refuse an unwritable ``--plot`` before any work is done."""
    if path:
        from trillion.io.files import check_writable

        check_writable(path, "--plot")


def emit(payload: Any, as_json: bool, printables: Any, plot: str | None = None, svg: Any = None) -> None:
    """One command's output: the chart `svg()` written to `plot` when asked, then `payload` as JSON
    or each of `printables()` (tables and lines) on the console, then where the chart went."""
    if plot:
        from trillion.io.files import write_file

        write_file(plot, svg(), "--plot")
    if as_json:
        print_json(payload)
        return
    for p in printables():
        console.print(p)
    if plot:
        console.print(f"wrote {plot}")
