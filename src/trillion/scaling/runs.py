"""Reading training runs (CSV or JSON) for scaling fits: named columns, unit-free numbers, and
errors that name the line and the field.

Default columns: ``params``, ``tokens`` (or ``flop``, then tokens = flop / (6 params), Epoch AI's
convention), ``loss``; optional ``active_params``, ``experts``, ``unique_tokens``,
``granularity``, ``task_loss``, ``accuracy``. Other headers map through ``--columns
"params=Model Size,flop=Training FLOP"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trillion.errors import InputError
from trillion.io.files import iter_csv, read_json

KNOWN = ("params", "tokens", "flop", "loss", "active_params", "experts", "unique_tokens", "granularity",
         "task_loss", "accuracy")  # fmt: skip
MAX_ROWS = 100_000  # bounded work: larger files are refused
MAX_BYTES = 50 * 2**20
MAX_JSON_VALUES = 40 * MAX_ROWS  # commas + brackets: 100,000 runs of up to ~40 fields


@dataclass
class Runs:
    """Columns of finite positive floats (accuracy may be 0), one entry per run."""

    columns: dict[str, np.ndarray]
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self.columns[key]
        except KeyError:
            raise InputError(
                "runs", key, f"this fit needs a {key!r} column (have: {', '.join(self.columns)})"
            ) from None

    @classmethod
    def from_arrays(cls, source: str = "arrays", **columns) -> Runs:
        """Runs from named arrays (``params=..., tokens=..., loss=...``), one entry per run."""
        cols = {k: np.asarray(v, dtype=float).ravel() for k, v in columns.items()}
        if len({len(v) for v in cols.values()}) > 1:
            raise InputError(
                "runs",
                None,
                f"columns of different lengths: {', '.join(f'{k} {len(v)}' for k, v in cols.items())}",
            )
        return cls(cols, source)

    def drop_highest_loss(self, k: int) -> Runs:
        """Without the `k` highest-loss runs (Besiroglu et al. 2024 drop 5 outliers)."""
        if k < 0 or k >= len(self):
            raise InputError("drop_highest", None, f"must be between 0 and {len(self) - 1}, got {k}")
        keep = np.sort(np.argsort(self.columns["loss"], kind="stable")[: len(self) - k])
        notes = self.notes + [f"dropped the {k} highest-loss runs"] if k else self.notes
        return Runs({c: v[keep] for c, v in self.columns.items()}, self.source, notes)


def parse_columns(text: str | None) -> dict[str, str]:
    """``"params=Model Size,flop=Training FLOP"`` -> {"params": "Model Size", "flop": "Training FLOP"}."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        key, sep, header = part.partition("=")
        key, header = key.strip(), header.strip()
        if not sep or not key or not header:
            raise InputError("columns", None, f"expected name=Header pairs separated by commas, got {part!r}")
        if key not in KNOWN:
            raise InputError("columns", key, f"unknown column (known: {', '.join(KNOWN)})")
        out[key] = header
    return out


def _rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(line or index, row) pairs through the bounded reader: CSV rows are counted as they stream,
    JSON values are counted before parsing, so an oversized file costs little."""
    where = str(path)
    if path.suffix.lower() == ".json":
        data = read_json(path, MAX_BYTES, where, max_values=MAX_JSON_VALUES)
        if isinstance(data, dict):
            data = data.get("runs")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(where, None, 'JSON must be a list of run objects (or {"runs": [...]})')
        if len(data) > MAX_ROWS:
            raise InputError(where, None, f"{len(data):,} runs is over the {MAX_ROWS:,}-run limit")
        return [(i + 1, r) for i, r in enumerate(data)]
    return [(i + 2, dict(r)) for i, r in enumerate(iter_csv(path, MAX_BYTES, MAX_ROWS, where))]


def read_runs(
    path: str | Path,
    columns: str | dict[str, str] | None = None,
    *,
    need: tuple[str, ...] = ("params", "loss"),
) -> Runs:
    """Runs from a CSV or JSON file; `need` lists the columns the chosen law requires."""
    p = Path(path)
    mapping = parse_columns(columns) if isinstance(columns, str) or columns is None else dict(columns)
    rows = _rows(p)
    if not rows:
        raise InputError(str(p), None, "no runs in the file")
    headers = set(rows[0][1])
    present = {k: mapping.get(k, k) for k in KNOWN if mapping.get(k, k) in headers}
    for k in mapping:
        if k not in present:
            raise InputError(
                str(p), k, f"column {mapping[k]!r} not in the file (has: {', '.join(sorted(headers))})"
            )
    if "tokens" not in present and "flop" in present and "params" in present:
        derive_tokens = True
    else:
        derive_tokens = False
    for k in need:
        if k == "tokens" and derive_tokens:
            continue
        if k not in present:
            hint = " (or flop, with params)" if k == "tokens" else ""
            raise InputError(str(p), k, f"required column missing{hint}; map other headers with --columns")
    cols: dict[str, list[float]] = {k: [] for k in present}
    for line, row in rows:
        for k, header in present.items():
            raw = row.get(header)
            where = f"{p}:{line}"
            try:
                value = float(raw) if not isinstance(raw, bool) else math.nan  # type: ignore[arg-type]
            except (TypeError, ValueError):
                value = _count_cell(raw, where, k)
            if not math.isfinite(value):
                raise InputError(where, k, f"must be finite, got {raw!r}")
            if value < 0 or (value == 0 and k != "accuracy"):
                raise InputError(where, k, f"must be positive, got {raw!r}")
            cols[k].append(value)
    arrays = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
    notes = []
    if derive_tokens:
        arrays["tokens"] = arrays["flop"] / (6 * arrays["params"])
        notes.append("tokens = flop / (6 params) (Epoch AI's convention)")
    if "flop" not in arrays and "tokens" in arrays and "params" in arrays:
        arrays["flop"] = 6 * arrays["params"] * arrays["tokens"]
    if (
        "unique_tokens" in arrays
        and "tokens" in arrays
        and np.any(arrays["unique_tokens"] > arrays["tokens"] * (1 + 1e-9))
    ):
        i = int(np.argmax(arrays["unique_tokens"] > arrays["tokens"]))
        raise InputError(f"{p}:{rows[i][0]}", "unique_tokens", "cannot exceed tokens")
    return Runs(arrays, str(p), notes)


def _count_cell(raw: object, where: str, field: str) -> float:
    """A cell written as a count ("70B", "1.4T", "10M"): the same grammar as the flags
    (`trillion.units.parse_count`); anything else is "not a number"."""
    from trillion.units import parse_count

    if not isinstance(raw, str) or not raw.strip() or field == "accuracy":
        raise InputError(where, field, f"not a number: {raw!r}")
    try:
        return float(parse_count(raw, where, field)[0])
    except InputError:
        raise InputError(where, field, f"not a number or a count (e.g. 70B, 1.4T): {raw!r}") from None
