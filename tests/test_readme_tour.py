"""The README's CLI tour is what the commands really print (tests/readme_tour.py), at 80 columns,
with every command the CLI has shown at least once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_tour_matches_real_runs():
    if not (ROOT.parent / "shared" / "data" / "chinchilla_svg_extracted_data.csv").exists():
        pytest.skip("../shared/data is absent: the tour's scaling fit reads it")
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "readme_tour.py")], capture_output=True, text=True,
                       cwd=ROOT, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_every_command_has_a_tour_block():
    from trillion.cli import app

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"<!-- tour[^>]*-->\n```console\n\$ trillion ([a-z-]+)", text))
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    groups = {g.name for g in app.registered_groups}
    # ui serves a page: described in prose, tested in a browser
    missing = (commands | groups) - shown - {"ui"}
    assert not missing, f"commands without a generated README example: {sorted(missing)}"
