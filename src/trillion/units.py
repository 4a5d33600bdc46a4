"""Units at the boundary: counts with SI suffixes in, SI counts and IEC bytes out.

Counts (parameters, tokens, FLOP) print with decimal prefixes (k, M, B, T; B for billion, as the
field writes model sizes), bytes with binary ones (KiB ... PiB). Each direction is one tested
function. Physical units (bandwidth, energy) are parsed with pint in `trillion.units_pint` when a
later module needs them; the core imports no pint.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from trillion.errors import InputError

MAX_LITERAL_CHARS = 64  # a typed number longer than this is refused before any conversion
MAX_EXPONENT = 60  # |decimal exponent| of a typed count: 1e60 is ~40 orders beyond any count planned here

_SI_COUNT = {"": 0, "k": 3, "K": 3, "M": 6, "B": 9, "G": 9, "T": 12, "P": 15}
_SI_SHOW = (("P", 15), ("T", 12), ("B", 9), ("M", 6), ("k", 3))
_IEC_SHOW = (("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))


def parse_count(text: str | int, where: str, field: str | None = None) -> tuple[Decimal, Decimal]:
    """``"1.04T"`` -> (1.04e12, 5e9): the value and half a unit of its last written digit.

    Accepts ints, plain decimals, scientific notation (``3.8e25``) and SI suffixes k/M/B(=G)/T/P.
    The second element is the rounding implied by the digits as written (0 for an int).
    Separators ``_`` and ``,`` are ignored. Raises `InputError` naming `where` and `field`.
    """
    if isinstance(text, bool):
        raise InputError(where, field, f"must be a count, got {text!r}")
    if isinstance(text, int):
        return Decimal(text), Decimal(0)
    raw = str(text).strip().replace("_", "").replace(",", "")
    suffix = raw[-1:] if raw[-1:] in _SI_COUNT and raw[-1:] != "" else ""
    number = raw[: len(raw) - len(suffix)].strip()
    value = _bounded_decimal(number, text, where, field, "a count", "(e.g. 70B, 1.04T, 3.8e25)")
    scale = Decimal(10) ** _SI_COUNT[suffix]
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    half_unit = Decimal(5) * Decimal(10) ** (exponent - 1) * scale
    return value * scale, half_unit


def _bounded_decimal(
    number: str, text: object, where: str, field: str | None, what: str, example: str
) -> Decimal:
    """`number` as a finite Decimal whose size is checked before any arithmetic (``1e999999`` and a
    5,000-digit literal are refused at once instead of overflowing or building huge integers)."""
    if len(number) > MAX_LITERAL_CHARS:
        raise InputError(where, field, f"not {what}: {len(number):,} characters is too long for a number")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise InputError(where, field, f"not {what}: {text!r} {example}") from None
    if not value.is_finite():
        raise InputError(where, field, f"not a finite number: {text!r}")
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise InputError(where, field, f"{text!r} is out of range (|exponent| above {MAX_EXPONENT})")
    return value


def format_count(n: int | float, digits: int = 4) -> str:
    """An SI string for a count: 405853388800 -> '405.9B', 1.04e12 -> '1.04T'.

    `digits` significant digits, at least one decimal below 1000 of the unit.
    """
    sign = "-" if n < 0 else ""
    n = abs(n)
    for unit, exp in _SI_SHOW:
        if n >= 10**exp:
            v = n / 10**exp
            return f"{sign}{_sig(v, digits)}{unit}"
    return f"{sign}{_sig(n, digits) if isinstance(n, float) else n}"


def format_bytes(n: int | float, digits: int = 3) -> str:
    """An IEC string for bytes: 2**40 -> '1.00 TiB'; below 1 KiB, plain bytes."""
    for unit, exp in _IEC_SHOW:
        if n >= 2**exp:
            return f"{_sig(n / 2**exp, digits, keep=True)} {unit}"
    return f"{int(n)} B"


def format_flop(n: int | float) -> str:
    """FLOP in scientific notation, as the field writes them: '3.71e+24 FLOP'."""
    return f"{float(n):.3g} FLOP" if n < 1e4 else f"{float(n):.2e} FLOP"


def _sig(v: float, digits: int, keep: bool = False) -> str:
    """`v` with `digits` significant digits (at least one decimal when `keep`)."""
    if v >= 10 ** (digits - 1):
        return f"{v:.0f}" if not keep else f"{v:.0f}"
    decimals = digits - 1 - (len(str(int(v))) - 1)
    return f"{v:.{max(decimals, 1 if keep else 0)}f}"


def parse_context_len(text: str | int, where: str = "--seq-len") -> int:
    """A context length in tokens: ``4096``, ``"32k"`` (k = 1024, as "32k context" means 32768).

    Raises `InputError` for anything that is not a positive whole number of tokens.
    """
    if isinstance(text, bool):
        raise InputError(where, None, f"must be a positive number of tokens, got {text!r}")
    raw = str(text).strip().replace("_", "")
    scale = 1
    if raw[-1:] in ("k", "K"):
        raw, scale = raw[:-1], 1024
    value = _bounded_decimal(raw, text, where, None, "a number of tokens", "(e.g. 4096 or 32k)") * scale
    if value <= 0 or value != value.to_integral_value():
        raise InputError(where, None, f"must be a positive whole number of tokens, got {text!r}")
    if value > 2**40:
        raise InputError(where, None, f"{text!r} tokens is beyond any model's context (max 2^40)")
    return int(value)


# --- physical quantities (pint), parsed once at the boundary --------------------------------------

_QUANTITY = re.compile(
    r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*[A-Za-z][A-Za-z0-9/*^ ]{0,40}\s*$|^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
)
_DIMENSIONS = {
    "flop_per_s": "FLOP / second",
    "byte": "byte",
    "byte_per_s": "byte / second",
    "watt": "watt",
    "second": "second",
    "joule": "joule",
}
_registry = None


def _ureg():
    """Our own pint registry: bytes, bits (= byte / 8), FLOP, seconds, watts as real dimensions.

    Built on first use (pint costs ~0.4 s to import), so `import trillion` stays fast.
    """
    global _registry
    if _registry is None:
        import pint

        u = pint.UnitRegistry(None)
        for line in (
            "micro- = 1e-6 = u", "milli- = 1e-3 = m", "kilo- = 1e3 = k", "mega- = 1e6 = M", "giga- = 1e9 = G", "tera- = 1e12 = T",
            "peta- = 1e15 = P", "exa- = 1e18 = E",
            "kibi- = 2**10 = Ki", "mebi- = 2**20 = Mi", "gibi- = 2**30 = Gi", "tebi- = 2**40 = Ti",
            "pebi- = 2**50 = Pi",
            "byte = [information] = B", "bit = byte / 8",
            "FLOP = [computation] = flop", "OP = FLOP",
            "second = [time] = s", "minute = 60 * second = min", "hour = 60 * minute = h",
            "day = 24 * hour", "watt = [power] = W", "joule = watt * second = J",
            "watt_hour = watt * hour = Wh",
        ):  # fmt: skip
            u.define(line)
        _registry = u
    return _registry


def parse_quantity(text: str | float | int, expect: str, where: str, field: str | None = None) -> float:
    """``"989 TFLOP/s"`` -> 9.89e14, in the base unit of `expect` (a key of ``_DIMENSIONS``).

    A bare number is taken as already in the base unit. A value of the wrong dimension
    (``"989 TFLOP"`` where a rate is expected) raises `InputError` naming `where` and `field`.
    """
    if isinstance(text, bool):
        raise InputError(where, field, f"must be a quantity in {_DIMENSIONS[expect]}, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        u = _ureg()
        if len(text) > 2 * MAX_LITERAL_CHARS or not _QUANTITY.match(text):
            raise InputError(
                where, field, f"cannot read {text!r} as a quantity (a number, then a unit such as 'GB/s')"
            )
        try:
            q = u.Quantity(text.strip())
        except Exception as e:  # pint's expression parser raises assorted errors on junk: all are bad input
            raise InputError(where, field, f"cannot read {text!r} as a quantity: {e}") from None
        target = u.Quantity(1, _DIMENSIONS[expect])
        if q.dimensionality != target.dimensionality:
            raise InputError(where, field, f"{text!r} is not in {_DIMENSIONS[expect]}")
        value = float(q.to(_DIMENSIONS[expect]).magnitude)
    if not (value == value and abs(value) != float("inf")):
        raise InputError(where, field, f"must be finite, got {text!r}")
    return value
