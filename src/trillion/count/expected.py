"""Checks of a catalog entry's computed counts against what its source publishes (``[expected]``).

Rules, per published value:
- an int is exact: computed + ``buffers_in_published`` (non-parameter tensors the published
  checkpoint total includes, e.g. Llama 2's rotary ``inv_freq``) must equal it;
- ``">1T"`` is a lower bound;
- a string such as ``"671B"`` is rounded: computed must lie within half a unit of its last digit,
  or, with ``rounding = "down"``, in ``[value, value + one unit)`` (the source truncates);
- the active count is published under two conventions besides ours (which counts every table a token
  touches): ``active_non_embedding_params`` leaves out the token and position tables and an untied
  output head (Qwen, GLM, MiniMax cards), ``active_params_without_input_embedding`` leaves out the
  input tables only (OpenAI's gpt-oss card); the field a source is checked under says which, with an
  ``active_note`` saying why;
- ``tolerance = {field = relative}`` replaces the rounding rule where the source's own figure is looser
  than its digits; it must come with a ``tolerance_note``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trillion.catalog import CatalogEntry
from trillion.count import ModelCount
from trillion.count.params import input_embedding_params
from trillion.errors import InputError
from trillion.units import parse_count

CHECKED = (
    "total_params",
    "active_params",
    "non_embedding_params",
    "active_non_embedding_params",
    "active_params_without_input_embedding",
)
ACTIVE_FIELDS = ("active_params", "active_non_embedding_params", "active_params_without_input_embedding")


@dataclass(frozen=True, slots=True)
class Check:
    """One published figure against our count."""

    field: str
    published: str
    computed: int
    rule: str
    ok: bool

    @property
    def rel_error(self) -> float | None:
        text = self.published.lstrip(">")
        value, _ = parse_count(text if not text.isdigit() else int(text), "expected", self.field)
        return float((Decimal(self.computed) - value) / value) if value else None


def _computed(c: ModelCount, field: str) -> int:
    if field == "total_params":
        return c.total_params
    if field == "active_params":
        return c.active_params.total
    if field == "non_embedding_params":
        return c.non_embedding_params
    if field == "active_non_embedding_params":
        return c.active_params.total - c.embedding_params
    return c.active_params.total - input_embedding_params(c.spec)


def check_expected(entry: CatalogEntry, c: ModelCount) -> list[Check]:
    """Every ``[expected]`` figure of `entry` checked against count `c` (see module rules)."""
    exp = entry.expected
    where = entry.path or entry.name
    out = []
    tolerances = exp.get("tolerance", {})
    if not isinstance(tolerances, dict) or (tolerances and not exp.get("tolerance_note")):
        raise InputError(
            where, "expected.tolerance", "must be a table {field = relative tolerance} with a tolerance_note"
        )
    if any(f in exp for f in ACTIVE_FIELDS[1:]) and not exp.get("active_note"):
        raise InputError(
            where, "expected.active_note", "must say why the source's active figure leaves tables out"
        )
    if exp.get("rounding") not in (None, "nearest", "down"):
        raise InputError(where, "expected.rounding", "must be 'nearest' or 'down'")
    for field in CHECKED:
        if field not in exp:
            continue
        published = exp[field]
        got = _computed(c, field)
        if isinstance(published, int) and not isinstance(published, bool):
            buffers = int(exp.get("buffers_in_published", 0)) if field == "total_params" else 0
            ok, rule = got + buffers == published, "exact" + (f" (+{buffers} buffers)" if buffers else "")
        elif isinstance(published, str) and published.startswith(">"):
            value, _ = parse_count(published[1:], where, f"expected.{field}")
            ok, rule = got > value, "lower bound"
        else:
            value, half = parse_count(published, where, f"expected.{field}")
            tolerance = tolerances.get(field)
            if tolerance is not None:
                ok = abs(got - value) <= Decimal(str(tolerance)) * value
                rule = f"within {float(tolerance):.3%} (see tolerance_note)"
            elif exp.get("rounding") == "down":
                ok, rule = value <= got < value + 2 * half, "truncated by the source"
            else:
                ok, rule = abs(got - value) <= half, "rounded by the source"
        out.append(Check(field, str(published), got, rule, bool(ok)))
    return out
