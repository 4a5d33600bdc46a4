"""The model catalog shipped with the package: one TOML file per model under ``models/``.

Each file holds ``name``, ``display_name``, ``status`` (published | estimate | rumoured), optional
``aliases``, the architecture as either ``[hf_config]`` (the keys of the model's Hugging Face
``config.json``, read by `trillion.io.hf_config`) or ``[spec]`` (the fields of `ModelSpec`, for
models with no transformers implementation), a ``[source]`` table and an ``[expected]`` table of
what the source publishes, which the golden tests check (adding a model adds its test).

``[expected]`` values: an int is an exact count (e.g. a Hugging Face safetensors total) that must
match exactly; a string such as ``"671B"`` is a rounded figure, matched within half a unit of its
last digit unless ``tolerance`` (a relative float) is given with a ``tolerance_note`` saying why the
source's own figure is looser than its digits.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from trillion.errors import InputError, UnknownModelError
from trillion.spec.model import MLA, MLP, Attention, ModelSpec, MoE

Status = Literal["published", "estimate", "rumoured"]
DEFAULT_MODEL = "qwen3-max"  # the main job's embedded default (`trillion report` with no name)
# the report's set-up where a run's own is unpublished (also the baseline of the levers and the
# affordability over time): Llama 3 405B's published scale, and a current serving accelerator
DEFAULT_CLUSTER = ("h100-sxm", 16384)
SERVE_GPU = "h200"
# `trillion compare` with no names: the default model and the frontier it is compared with
FRONTIER = (
    "qwen3-max",
    "gemini-3-pro",
    "gpt-5",
    "claude-opus-4.5",
    "deepseek-v3",
    "kimi-k2",
    "llama-3.1-405b",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Training:
    """What a model's developer published about its training run (the ``[training]`` table).

    ``tokens`` is a count as written (``"14.8T"``); ``cluster`` a cluster preset
    (``catalog/clusters``) the run used; ``precision`` the mixed-precision recipe; ``global_batch``
    sequences per step and ``seq_len`` tokens per sequence in the main phase. Every field but
    ``tokens`` is optional; ``source`` says where the set-up comes from, ``tokens_source`` the tokens.
    """

    tokens: str | None = None
    tokens_source: str = ""
    cluster: str | None = None
    precision: str | None = None
    global_batch: int | None = None
    seq_len: int | None = None
    source: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogEntry:
    """One catalog model: its spec plus the provenance a report must print."""

    name: str
    display_name: str
    status: Status
    spec: ModelSpec
    source: dict[str, Any]
    expected: dict[str, Any]
    aliases: tuple[str, ...] = ()
    training: Training = field(default_factory=Training)
    path: str = ""


def _models_dir() -> Path:
    return Path(str(resources.files("trillion.catalog") / "models"))


def _build(cls: type, table: Any, where: str, key: str) -> Any:
    if not isinstance(table, dict):
        raise InputError(where, key, f"must be a table, got {table!r}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise InputError(where, f"{key}.{unknown[0]}", f"unknown key; expected one of {sorted(names)}")
    try:
        return cls(**table)
    except TypeError as e:  # a missing required key
        raise InputError(where, key, str(e)) from None


def spec_from_table(table: Any, where: str, name: str) -> ModelSpec:
    """A ``[spec]`` TOML table -> `ModelSpec` (attention ``kind`` "gqa" or "mla")."""
    if not isinstance(table, dict):
        raise InputError(where, "spec", "must be a table")
    t = dict(table)
    att = t.pop("attention", None)
    if not isinstance(att, dict):
        raise InputError(where, "spec.attention", f"must be a table, got {att!r}")
    att = dict(att)
    kind = att.pop("kind", "gqa")
    if kind not in ("gqa", "mla"):
        raise InputError(where, "spec.attention.kind", f"must be 'gqa' or 'mla', got {kind!r}")
    t["attention"] = _build(MLA if kind == "mla" else Attention, att, where, "spec.attention")
    if "mlp" in t:
        t["mlp"] = _build(MLP, t["mlp"], where, "spec.mlp")
    else:
        t["mlp"] = None
    if "moe" in t:
        if not isinstance(t["moe"], dict):
            raise InputError(where, "spec.moe", f"must be a table, got {t['moe']!r}")
        moe = dict(t["moe"])
        moe["expert"] = _build(MLP, moe.get("expert"), where, "spec.moe.expert")
        if isinstance(moe.get("dense_layers"), list):
            moe["dense_layers"] = tuple(moe["dense_layers"])
        t["moe"] = _build(MoE, moe, where, "spec.moe")
    if isinstance(t.get("sliding_window_layers"), list):
        t["sliding_window_layers"] = tuple(t["sliding_window_layers"])
    t.setdefault("name", name)
    return _build(ModelSpec, t, where, "spec").validate(where)


def load_entry(path: Path) -> CatalogEntry:
    """Parse and validate one catalog file."""
    where = f"catalog/{path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(where, None, f"cannot parse: {e}") from None
    name = data.get("name") or path.stem
    for key in ("display_name", "status", "source", "expected"):
        if key not in data:
            raise InputError(where, key, "missing")
    if data["status"] not in ("published", "estimate", "rumoured"):
        raise InputError(where, "status", f"must be published, estimate or rumoured, got {data['status']!r}")
    if ("hf_config" in data) == ("spec" in data):
        raise InputError(where, "hf_config", "give exactly one of [hf_config] and [spec]")
    if "hf_config" in data:
        from trillion.io.hf_config import spec_from_hf_dict  # 41 builders: loaded with the first entry

        spec = spec_from_hf_dict(data["hf_config"], where, name)
    else:
        spec = spec_from_table(data["spec"], where, name)
    training = _build(Training, data.get("training", {}), where, "training")
    for key in ("global_batch", "seq_len"):
        value = getattr(training, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise InputError(where, f"training.{key}", f"must be a positive integer, got {value!r}")
    if training.cluster is not None or training.precision is not None:
        if not training.source:
            raise InputError(where, "training.source", "a published cluster or precision needs its source")
    return CatalogEntry(
        name=name,
        display_name=data["display_name"],
        status=data["status"],
        spec=spec,
        source=data["source"],
        expected=data["expected"],
        aliases=tuple(data.get("aliases", ())),
        training=training,
        path=where,
    )


@cache
def catalog() -> dict[str, CatalogEntry]:
    """Every catalog entry by canonical name (read once per process)."""
    entries = [load_entry(p) for p in sorted(_models_dir().glob("*.toml"))]
    return {e.name: e for e in entries}


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


def find(name: str) -> CatalogEntry:
    """Look a model up by name or alias (case-, space- and underscore-insensitive)."""
    wanted = _key(name)
    for entry in catalog().values():
        if wanted == _key(entry.name) or wanted in {_key(a) for a in entry.aliases}:
            return entry
    from trillion.catalog import landscape

    known = landscape.entries().get(landscape.names().get(wanted, ""))
    if known is not None and known.architecture:  # e.g. qwen3-max-thinking: counted as qwen3-max
        return catalog()[known.architecture]
    raise UnknownModelError(name, None, landscape.did_you_mean(name))
