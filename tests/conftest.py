"""Shared test helpers. torch/transformers tests skip (with a reason) when the extras are absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a dict (or raw text) as config.json in a fresh folder; return the file's path."""
    counter = iter(range(10**6))

    def _write(data, raw: bool = False) -> Path:
        folder = tmp_path / f"m{next(counter)}"
        folder.mkdir()
        path = folder / "config.json"
        path.write_text(data if raw else json.dumps(data), encoding="utf-8")
        return path

    return _write
