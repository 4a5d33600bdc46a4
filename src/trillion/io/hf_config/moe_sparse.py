"""Model types of the 2025-2026 class: see BUILDERS for the ones this module reads."""

from __future__ import annotations

from collections.abc import Callable

from trillion.io.hf_config.base import _Config
from trillion.spec.model import ModelSpec

BUILDERS: dict[str, Callable[[_Config, str], ModelSpec]] = {}
