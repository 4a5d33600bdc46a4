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


@pytest.fixture
def all_full_attention():
    """A function: the same model with every layer one full-attention mixer (no window, chunk or
    recurrent state), for comparing a hybrid or windowed stack with its all-attention twin."""
    import dataclasses

    from trillion.spec.model import Layer

    def _full(spec):
        layers = tuple(Layer(attention=1, ffns=layer.ffns, norms=layer.norms) for layer in spec.layer_list())
        return dataclasses.replace(spec, layers=layers, sliding_window=None, sliding_window_layers=())

    return _full
