"""The sourced points behind trillion's trends (``catalog/trends/*.csv``), read once per process.

Every row must carry a source: a row with an empty ``source`` is refused when the table is read (a
trend is only as good as its points), and so is a value without its own ``<value>_source`` where a
table sources its columns separately (``train_flop_source``, ``mmlu_source``), so an unsourced point
fails every test that touches the table.
Files (one per trend, each with its own columns, sources and caveats in ``notes``):

- ``hardware``: GPUs and accelerators, release date, FP32 and dense 16-bit tensor peak, launch
  price, TDP (mostly Epoch AI's ML Hardware dataset);
- ``cloud_prices``: USD per device-hour by accelerator, provider, kind and date;
- ``algorithmic``: language models with release date, training FLOP and MMLU 5-shot;
- ``inference_prices``: API prices per million tokens with the model's MMLU, by date;
- ``grid``: yearly grid carbon intensity by region (OWID's copy of Ember's data);
- ``budgets``: example budgets (university, startup round, national programme, big-tech capex);
- ``lever_quality``: published quality effects of quantisation, distillation and MoE;
- ``published_rates_<trend>``: the published doubling / halving times and rates to reproduce.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from trillion.errors import InputError

MAX_BYTES = 2_000_000
MAX_ROWS = 5_000


def _path(name: str) -> Path:
    return Path(str(resources.files("trillion.catalog") / "trends" / f"{name}.csv"))


def read_table(path: Path, where: str) -> tuple[dict[str, str], ...]:
    """Rows of one trends CSV (stripped strings), refusing a row with an empty ``source``."""
    from trillion.io.files import iter_csv

    out = []
    for i, raw in enumerate(iter_csv(path, MAX_BYTES, MAX_ROWS, where), start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if "source" in row and not row["source"]:
            raise InputError(where, f"line {i}", "a point without a source (every trend point needs one)")
        for col in (k for k in row if k.endswith("_source") and not row[k]):
            stem = col.removesuffix("_source")
            if any(row[k] for k in row if k.startswith(stem) and k != col):
                raise InputError(where, f"line {i}", f"a value without its {col}")
        if "source" not in row and not any(k.endswith("_source") for k in row):
            raise InputError(where, None, "a trends table needs a source column")
        out.append(row)
    return tuple(out)


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``catalog/trends/<name>.csv``."""
    return read_table(_path(name), f"catalog/trends/{name}.csv")


def decimal_year(text: str, where: str = "date") -> float:
    """``2023``, ``2023-06`` or ``2023-06-15`` -> a decimal year (mid-year / mid-month when the
    day or month is not given): 2023.5, 2023.458, 2023.452."""
    parts = text.split("-")
    try:
        y = int(parts[0])
        if len(parts) == 1:
            return y + 0.5
        m = int(parts[1])
        d = int(parts[2]) if len(parts) > 2 else 15
    except ValueError:
        raise InputError(where, None, f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}") from None
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise InputError(where, None, f"not a date: {text!r}")
    return y + (m - 1) / 12 + (d - 0.5) / 365.25
