"""The README's CLI tour, regenerated from real runs (or checked against them).

Run:  .venv/bin/python tests/readme_tour.py          # exit 1 and a diff when README.md drifts
      .venv/bin/python tests/readme_tour.py --write  # rewrite the tour's blocks from real runs

A generated block in README.md is a ``console`` code block right after a marker line
``<!-- tour -->`` (options: ``head=N`` keeps the first N lines, ``grep=REGEX`` keeps the lines
matching REGEX, both after the command line). Its first line is ``$ trillion ARGS``; the script
runs ARGS in-process, piped (no colour) at 80 columns, from a scratch directory whose parent holds
``shared`` (so ``../shared/data/...`` paths resolve and written files land nowhere that matters),
and the block is the command line, then what it printed (stdout, then stderr), then
``(exit N)`` when N is not 0. Every cell of every table must fit: a ``…`` fails the check.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

os.environ["COLUMNS"] = "80"  # before rich reads it
os.environ.pop("FORCE_COLOR", None)
os.environ["NO_COLOR"] = "1"

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared"
BLOCK = re.compile(
    r"(?P<mark><!-- tour(?P<opts>[^>]*)-->\n)```console\n(?P<cmd>\$ trillion [^\n]*)\n(?P<body>.*?)```", re.S
)


def _options(text: str) -> dict[str, str]:
    return dict(o.split("=", 1) for o in shlex.split(text.strip()))


def run(args: list[str], scratch: Path) -> tuple[int, str]:
    """`trillion ARGS` in-process from `scratch`: exit code and what it printed."""
    from trillion.cli import main
    from trillion.cli.common import console

    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.chdir(scratch)
    console._width = 80  # the console was built at import: hold it to the tour's width
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(args)
    finally:
        os.chdir(here)
    return rc, out.getvalue() + err.getvalue()


def render(cmd: str, opts: dict[str, str], scratch: Path) -> str:
    rc, text = run(shlex.split(cmd[len("$ trillion ") :].split("  #")[0]), scratch)
    lines = [line.rstrip() for line in text.splitlines()]
    if "grep" in opts:
        lines = [line for line in lines if re.search(opts["grep"], line)]
    if "head" in opts:
        lines = lines[: int(opts["head"])]
    if rc:
        lines.append(f"(exit {rc})")
    return "\n".join([cmd, *lines]) + "\n"


def tour(text: str) -> tuple[str, list[str]]:
    """README text with every tour block regenerated, and the problems found (cut cells)."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        parent = Path(tmp)
        if SHARED.exists():
            (parent / "shared").symlink_to(SHARED)
        scratch = parent / "work"
        scratch.mkdir()

        def one(m: re.Match) -> str:
            body = render(m["cmd"], _options(m["opts"]), scratch)
            if "…" in body:
                problems.append(f"{m['cmd']}: a cell is cut at 80 columns")
            return f"{m['mark']}```console\n{body}```"

        return BLOCK.sub(one, text), problems


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new, problems = tour(text)
    for p in problems:
        print(p, file=sys.stderr)
    if "--write" in argv:
        README.write_text(new, encoding="utf-8")
        print(f"rewrote {len(BLOCK.findall(text))} tour blocks in {README.name}")
        return 1 if problems else 0
    if new != text:
        import difflib

        sys.stdout.writelines(
            difflib.unified_diff(text.splitlines(True), new.splitlines(True), "README.md", "runs")
        )
        print("README.md's tour drifts from real runs: run tests/readme_tour.py --write", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
