"""Nothing read from users is executed or unpickled; the web server binds to loopback by default."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import trillion

SRC = Path(trillion.__file__).parent
FORBIDDEN = re.compile(
    r"\bpickle\b|\byaml\.load\b|(?<![.\w])eval\(|(?<![.\w])exec\(|\bmarshal\.loads\b|shell=True|os\.system\("
)


def _sources():
    return [(p, p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")]


def test_no_unsafe_deserialisation_or_execution():
    hits = [f"{p.relative_to(SRC)}: {m.group(0)}" for p, text in _sources() for m in FORBIDDEN.finditer(text)]
    assert hits == []


def test_torch_load_only_with_weights_only():
    calls = [(p, line) for p, text in _sources() for line in text.splitlines() if "torch.load(" in line]
    assert calls, "the ladder loads checkpoints"
    for p, line in calls:
        assert "weights_only=True" in line, f"{p}: {line.strip()}"


def test_web_server_binds_to_loopback_by_default():
    from trillion.cli.report import ui

    assert inspect.signature(ui).parameters["host"].default == "127.0.0.1"
