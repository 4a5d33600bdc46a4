"""Uncertain inputs: a point, a uniform interval or a triangular (low, mode, high), sampled by a
seeded generator so every P10/P50/P90 in trillion is reproducible.

Users write a value as ``1.2``, an interval as ``1.1-1.3`` (or ``1.1..1.3``, read as uniform), and
the catalog states a triangular where a most-likely value is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLES = 20_000  # Monte Carlo draws per estimate: the planners and the footprint share them, so they pair up


@dataclass(frozen=True, slots=True)
class Dist:
    """A distribution over one positive quantity, in the unit its user names.

    ``low == high``: a point. Otherwise triangular(low, mode, high); a uniform interval is stored
    with ``mode=None``. ``source`` says where the numbers come from, for the assumptions list.
    """

    low: float
    mode: float | None
    high: float
    source: str = ""

    @classmethod
    def point(cls, value: float, source: str = "") -> Dist:
        return cls(value, value, value, source)

    @classmethod
    def uniform(cls, low: float, high: float, source: str = "") -> Dist:
        return cls(low, None, high, source)

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    @property
    def median(self) -> float:
        """Median of the distribution (exact for point, uniform and triangular)."""
        if self.is_point:
            return self.low
        if self.mode is None:
            return (self.low + self.high) / 2
        a, c, b = self.low, self.mode, self.high
        if c >= (a + b) / 2:
            return a + ((b - a) * (c - a) / 2) ** 0.5
        return b - ((b - a) * (b - c) / 2) ** 0.5

    def sample(self, rng: np.random.Generator, n: int = SAMPLES) -> np.ndarray:
        if self.is_point:
            return np.full(n, self.low)
        if self.mode is None:
            return rng.uniform(self.low, self.high, n)
        return rng.triangular(self.low, self.mode, self.high, n)

    def scaled(self, k: float, source: str | None = None) -> Dist:
        mode = None if self.mode is None else self.mode * k
        return Dist(self.low * k, mode, self.high * k, self.source if source is None else source)

    def label(self, unit: str = "", digits: int = 3) -> str:
        u = f" {unit}" if unit else ""
        if self.is_point:
            return f"{self.low:.{digits}g}{u}"
        if self.mode is None:
            return f"{self.low:.{digits}g}-{self.high:.{digits}g}{u} (uniform)"
        return f"{self.low:.{digits}g}-{self.high:.{digits}g}{u} (most likely {self.mode:.{digits}g})"

    def to_dict(self) -> dict[str, float | str | None]:
        return {"low": self.low, "mode": self.mode, "high": self.high}


def parse_dist(
    text: str,
    where: str,
    *,
    kind: str = "number",
    minimum: float = 0.0,
    maximum: float = float("inf"),
    source: str = "given by the user",
) -> Dist:
    """``"1.2"`` -> point, ``"1.1-1.3"`` -> uniform, ``"2-4 $/h"`` -> uniform in USD/h: a value or a
    range of kind `kind`, read by the one unit registry (`trillion.units.parse_range`), each bound
    within [minimum, maximum] in the kind's canonical unit."""
    from trillion.units import parse_range

    lo, hi = parse_range(text, kind, where, minimum=minimum, maximum=maximum)
    return Dist(lo, lo if lo == hi else None, hi, source)


def percentiles(x: np.ndarray) -> dict[str, float]:
    """P10, P50, P90 of samples, as floats."""
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}
