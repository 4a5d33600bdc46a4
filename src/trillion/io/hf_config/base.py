"""Typed reads from a Hugging Face config dict, shared by every family's builder: each error names
the file and the key; a missing key takes transformers' default where the family has one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trillion.errors import InputError
from trillion.spec.model import MAX_DIM, MAX_LAYERS

_MISSING = object()


class _Config:
    """Typed reads from one config dict; every error names the file and the key."""

    def __init__(self, data: dict[str, Any], where: str):
        self.data = data
        self.where = where

    def fail(self, key: str | None, message: str) -> InputError:
        return InputError(self.where, key, message)

    def _get(self, keys: tuple[str, ...], default: Any) -> tuple[str, Any]:
        found = [(k, self.data[k]) for k in keys if self.data.get(k) is not None]
        if len({json.dumps(v) for _, v in found}) > 1:
            desc = ", ".join(f"{k}={v!r}" for k, v in found)
            raise self.fail(found[1][0], f"contradicts {found[0][0]}: {desc}")
        if found:
            return found[0]
        if default is _MISSING:
            raise self.fail(keys[0], "missing (required for this model_type)")
        return keys[0], default

    def get_int(self, *keys: str, default: Any = _MISSING, minimum: int = 1, maximum: int = MAX_DIM) -> Any:
        key, value = self._get(keys, default)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be >= {minimum}, got {value}")
        if value > maximum:
            raise self.fail(key, f"{value} is implausibly large (> {maximum:,}: bounded work)")
        return value

    def get_bool(self, *keys: str, default: Any = _MISSING) -> bool:
        key, value = self._get(keys, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def get_str(self, *keys: str, default: Any = _MISSING) -> str:
        key, value = self._get(keys, default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {value!r}")
        return value

    def get_int_list(self, key: str) -> tuple[int, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(key, f"must be a list of integers, got {value!r}")
        return tuple(value)

    def head_dim(self, hidden: int, heads: int, default: Any = None) -> int:
        """``head_dim`` if given (or a model-type default), else hidden / heads, which must divide."""
        explicit = self.get_int("head_dim", default=default)
        if explicit is not None:
            return explicit
        if hidden % heads:
            raise self.fail(
                "num_attention_heads",
                f"hidden_size({hidden}) is not divisible by num_attention_heads({heads}) "
                "and no head_dim is given",
            )
        return hidden // heads

    def gated(self, key: str, default: str) -> tuple[bool, str]:
        """(gated, activation) for GLU-style models whose act field names the gate activation."""
        act = self.get_str(key, default=default)
        family = "silu" if act in ("silu", "swish") else "gelu" if "gelu" in act else "relu"
        return True, family


def _layers(c: _Config) -> int:
    return c.get_int("num_hidden_layers", "n_layer", maximum=MAX_LAYERS)


def _sliding(
    c: _Config, num_layers: int, rule: Callable[[int], bool] | None
) -> tuple[int | None, tuple[int, ...]]:
    """Sliding-window size and layers: from ``layer_types`` when given (transformers 5), else
    from the model type's `rule` (which layers are local), else none."""
    window = c.get_int("sliding_window", default=None, minimum=0) or None
    types = c.data.get("layer_types")
    if isinstance(types, list) and len(types) == num_layers:
        layers = tuple(i for i, t in enumerate(types) if t == "sliding_attention")
    elif rule is not None:
        layers = tuple(i for i in range(num_layers) if rule(i))
    else:
        layers = ()
    return (window, layers) if window and layers else (None, ())
