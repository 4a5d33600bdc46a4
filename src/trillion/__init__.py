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

from trillion._version import __version__
from trillion.catalog.resolve import load_model
from trillion.count import ModelCount, count
from trillion.errors import InputError, TrillionError
from trillion.spec.model import ModelSpec

__all__ = [
    "__version__",
    "load_model",
    "count",
    "plan_training",
    "ModelSpec",
    "ModelCount",
    "TrillionError",
    "InputError",
]


def __getattr__(name: str):
    """Heavier entry points load on first use, so `import trillion` stays light (no numpy)."""
    if name == "plan_training":
        from trillion.plan.train import plan_training

        return plan_training
    raise AttributeError(f"module 'trillion' has no attribute {name!r}")
