"""A local Hugging Face ``config.json`` -> `ModelSpec`. Never touches the network.

One builder per ``model_type``, each reading exactly the fields the transformers implementation
reads, with the same defaults (transformers 5.x ``configuration_*.py``; the test suite instantiates
the real models on the meta device and checks the counts agree). Anything missing, of the wrong
type, or contradictory raises `InputError` naming the file and the field. Builders live in one
module per family (`classic`, ...); `base` holds the typed reader they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trillion.errors import InputError
from trillion.io.files import MAX_CONFIG_BYTES, loads_json, read_text
from trillion.io.hf_config import classic, dense_2025, linear_hybrids, moe_2025, moe_sparse, ssm_hybrids
from trillion.io.hf_config.base import _Config
from trillion.spec.model import ModelSpec

_BUILDERS = {
    **classic.BUILDERS,
    **linear_hybrids.BUILDERS,
    **ssm_hybrids.BUILDERS,
    **moe_2025.BUILDERS,
    **moe_sparse.BUILDERS,
    **dense_2025.BUILDERS,
}
SUPPORTED_MODEL_TYPES = tuple(sorted(_BUILDERS))


def spec_from_hf_dict(data: Any, where: str, name: str | None = None) -> ModelSpec:
    """Build and validate a `ModelSpec` from an already-parsed config dict."""
    if not isinstance(data, dict):
        raise InputError(where, None, f"must hold a JSON object, got {type(data).__name__}")
    c = _Config(data, where)
    model_type = c.get_str("model_type")
    builder = _BUILDERS.get(model_type)
    if builder is None:
        raise c.fail(
            "model_type",
            f"unsupported {model_type!r}; supported: {', '.join(SUPPORTED_MODEL_TYPES)}",
        )
    spec = builder(c, name or model_type)
    return spec.validate(where)


def load_hf_config(path: str | Path, name: str | None = None) -> ModelSpec:
    """Read a local ``config.json`` (or a folder holding one) into a validated `ModelSpec`,
    through the bounded reader (a regular file of at most 4 MiB, bounded depth and digits)."""
    path = Path(path)
    try:
        if path.is_dir():
            path = path / "config.json"
    except (OSError, ValueError):
        pass  # the bounded reader names the problem
    where = str(path)
    text = read_text(path, MAX_CONFIG_BYTES, where)
    if not text.strip():
        raise InputError(where, None, "is empty (expected a JSON object)")
    data = loads_json(text, where)
    return spec_from_hf_dict(data, where, name or path.parent.name or None)
