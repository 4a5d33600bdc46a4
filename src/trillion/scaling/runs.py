"""Reading training runs (CSV or JSON) for scaling fits: named columns, unit-free numbers, and
errors that name the line and the field.

Default columns: ``params``, ``tokens`` (or ``flop``, then tokens = flop / (6 params), Epoch AI's
convention), ``loss``; optional ``active_params``, ``experts``, ``unique_tokens``,
``granularity``, ``task_loss``, ``accuracy``. Other headers map through ``--columns
"params=Model Size,flop=Training FLOP"``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trillion.errors import InputError

KNOWN = ("params", "tokens", "flop", "loss", "active_params", "experts", "unique_tokens", "granularity",
         "task_loss", "accuracy")  # fmt: skip
MAX_ROWS = 100_000  # bounded work: larger files are refused
MAX_BYTES = 50 * 2**20


@dataclass
class Runs:
    """Columns of finite positive floats (accuracy may be 0), one entry per run."""

    columns: dict[str, np.ndarray]
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]

    def drop_highest_loss(self, k: int) -> Runs:
        """Without the `k` highest-loss runs (Besiroglu et al. 2024 drop 5 outliers)."""
        if k < 0 or k >= len(self):
            raise InputError("--drop-highest", None, f"must be between 0 and {len(self) - 1}, got {k}")
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
            raise InputError(
                "--columns", None, f"expected name=Header pairs separated by commas, got {part!r}"
            )
        if key not in KNOWN:
            raise InputError("--columns", key, f"unknown column (known: {', '.join(KNOWN)})")
        out[key] = header
    return out


def _rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    where = str(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError(where, None, f"cannot read: {e.strerror or e}") from None
    if size > MAX_BYTES:
        raise InputError(where, None, f"{size / 2**20:.0f} MiB is over the {MAX_BYTES / 2**20:.0f} MiB limit")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(where, None, f"cannot read as UTF-8 text: {e}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(where, None, f"not valid JSON (line {e.lineno}): {e.msg}") from None
        if isinstance(data, dict):
            data = data.get("runs")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(where, None, 'JSON must be a list of run objects (or {"runs": [...]})')
        return [(i + 1, r) for i, r in enumerate(data)]
    try:
        reader = csv.DictReader(text.splitlines())
        rows = [(i + 2, dict(r)) for i, r in enumerate(reader)]
    except csv.Error as e:
        raise InputError(where, None, f"not valid CSV: {e}") from None
    if reader.fieldnames is None:
        raise InputError(where, None, "empty file: expected a header row")
    return rows


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
    if len(rows) > MAX_ROWS:
        raise InputError(str(p), None, f"{len(rows):,} runs is over the {MAX_ROWS:,}-run limit")
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
                raise InputError(where, k, f"not a number: {raw!r}") from None
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
