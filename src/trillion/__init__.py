"""trillion: what it takes to build, run and afford frontier-scale language models.

Public API (more arrives with the planners):

    >>> import trillion
    >>> spec = trillion.load_model("llama-3.1-405b")     # catalog name, or a path to config.json
    >>> c = trillion.count(spec, seq_len=8192)
    >>> c.total_params, c.active_params.total, c.forward_flop_per_token
    >>> from trillion.catalog.hardware import find_cluster
    >>> plan = trillion.plan_training(spec, find_cluster("meta-h100-24k"), tokens=15_600 * 10**9)
"""

from __future__ import annotations

from pathlib import Path

from trillion.count import ModelCount, count
from trillion.errors import InputError, TrillionError
from trillion.spec.model import ModelSpec

__version__ = "0.1.0"
__all__ = ["load_model", "count", "plan_training", "ModelSpec", "ModelCount", "TrillionError", "InputError"]


def __getattr__(name: str):
    """Heavier entry points load on first use, so `import trillion` stays light (no numpy)."""
    if name == "plan_training":
        from trillion.plan.train import plan_training

        return plan_training
    raise AttributeError(f"module 'trillion' has no attribute {name!r}")


def _looks_like_path(name: str) -> bool:
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
    if isinstance(name_or_path, Path) or _looks_like_path(text):
        from trillion.io.hf_config import load_hf_config

        return load_hf_config(text)
    from trillion.catalog import find

    return find(text).spec
