"""The catalog entries an importer family's oracle test checks: every model TOML whose embedded
config.json has one of the family's model types. Read with `tomllib`, not trillion's catalog
loader, so the oracle stays independent of the code under test; a new entry of a type joins its
family's test by itself."""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from importlib import resources
from pathlib import Path


def hf_catalog_entries(model_types: Collection[str]) -> list[tuple[str, dict]]:
    """(name, hf_config) of each catalog entry whose hf_config.model_type is in `model_types`, by file name."""
    folder = Path(str(resources.files("trillion.catalog") / "models"))
    out = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        cfg = data.get("hf_config", {})
        if cfg.get("model_type") in model_types:
            out.append((data["name"], cfg))
    return out
