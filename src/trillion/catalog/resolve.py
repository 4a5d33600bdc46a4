"""A model by name: a catalog entry, or a local Hugging Face ``config.json`` (or its folder).

For the CLI, the report and the public API (`trillion.load_model`); the web API never resolves
paths (it takes catalog names only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trillion.spec.model import ModelSpec


def looks_like_path(name: str) -> bool:
    """A name with a path separator or a ``.json`` suffix, or an existing folder (the CLI only:
    the web API never calls this). A name the OS cannot even stat (too long, a NUL) is not a path."""
    if name.endswith(".json") or "/" in name or "\\" in name:
        return True
    try:
        return Path(name).is_dir()
    except (OSError, ValueError):
        return False


def load_model(name_or_path: str | Path) -> ModelSpec:
    """A `ModelSpec` from a catalog name/alias or a local Hugging Face ``config.json`` (or its folder).

    Never touches the network. Raises `InputError` (a ValueError) naming the input and field.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or looks_like_path(text):
        from trillion.io.hf_config import load_hf_config

        return load_hf_config(text)
    from trillion.catalog import find

    return find(text).spec


def resolve(name: str) -> tuple[ModelSpec, Any]:
    """(spec, catalog entry or None) for a catalog name or a config.json path."""
    if looks_like_path(name):
        return load_model(name), None
    from trillion.catalog import find

    entry = find(name)
    return entry.spec, entry
