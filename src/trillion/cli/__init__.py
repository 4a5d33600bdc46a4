"""The ``trillion`` command line: parse input, call the core, render a table or JSON.

One module per command group (`models`, `train`, `footprint`, `over_time`, `serve`, `scaling`,
`ladder`, `report`), each with ``register(app)``, over the shared helpers of `common`; no business logic
here. Exit codes: 0 ok, 1 failed, 2 bad input (one line on stderr naming the input and the field).
"""

from __future__ import annotations

import sys

import typer

from trillion.cli import footprint, ladder, models, over_time, report, scaling, serve, train
from trillion.cli.common import flag_message
from trillion.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="trillion: what it takes to build, run and afford frontier-scale language models.",
    pretty_exceptions_enable=False,
)
for group in (
    models,
    train,
    footprint,
    over_time,
    serve,
    scaling,
    ladder,
    report,
):  # the order of `trillion --help`
    group.register(app)


_COMMAND = None


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    global _COMMAND
    if _COMMAND is None:  # typer builds the click command tree in ~35 ms: once per process
        _COMMAND = typer.main.get_command(app)
    args = _fold_choices(sys.argv[1:] if argv is None else list(argv))
    try:
        _COMMAND.main(args=args, standalone_mode=False, prog_name="trillion")
    except InputError as e:
        _error_line(flag_message(e))
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


# flags whose values are names from a fixed lower-case set: case carries no meaning there, so
# `--precision FP8` is `fp8` (values with meaning in their case, units and counts, are read by
# `trillion.units`, which folds case only where no reading is lost)
CHOICE_FLAGS = frozenset(
    "--precision --framework --recompute --weights --kv --method --optimizer --attention-kernel"
    " --ownership --embodied-method --law --kv-cache".split()
)


def _fold_choices(args: list[str]) -> list[str]:
    out = list(args)
    for i, a in enumerate(out):
        flag, eq, value = a.partition("=")
        if flag in CHOICE_FLAGS:
            if eq:
                out[i] = f"{flag}={value.lower()}"
            elif i + 1 < len(out):
                out[i + 1] = out[i + 1].lower()
    return out


def _error_line(text: str) -> None:
    """One line on stderr: whitespace collapsed, characters a terminal cannot show escaped."""
    line = " ".join(f"trillion: error: {text}".split())
    sys.stderr.write(line.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def run() -> None:  # console-script target
    sys.exit(main())
