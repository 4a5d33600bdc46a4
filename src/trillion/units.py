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

# SI conversion factors (trillion computes in J, g CO2e and L; display units appear only at the edges)
J_PER_KWH = 3.6e6
J_PER_MWH = 3.6e9
G_PER_T = 1e6
L_PER_M3 = 1e3

MAX_LITERAL_CHARS = 64  # a typed number longer than this is refused before any conversion
MAX_EXPONENT = 60  # |decimal exponent| of a typed count: 1e60 is ~40 orders beyond any count planned here

_SI_COUNT = {"": 0, "k": 3, "K": 3, "M": 6, "B": 9, "G": 9, "T": 12, "P": 15}
_COUNT_WORDS = (("thousand", "k"), ("million", "M"), ("billion", "B"), ("trillion", "T"), ("bn", "B"))
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
    low = raw.lower()
    for word, sym in _COUNT_WORDS:  # "15.5 trillion", "1.5bn"
        if low.endswith(word) and low[: -len(word)].strip()[-1:].isdigit():
            raw = raw[: -len(word)].strip() + sym
            break
    if raw and raw[-1] in "tbmgp":  # a count has no milli or pico: 15.5t is 15.5T
        raw = raw[:-1] + raw[-1].upper()
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


def parse_context_len(text: str | int, where: str = "seq_len") -> int:
    """A context length in tokens: ``4096``, ``"32k"`` (k = 1024, as "32k context" means 32768),
    ``"1M"`` (M = 1024**2 = 1,048,576, the binary reading "1M context" has with k = 1024).

    Raises `InputError` for anything that is not a positive whole number of tokens.
    """
    if isinstance(text, bool):
        raise InputError(where, None, f"must be a positive number of tokens, got {text!r}")
    raw = str(text).strip().replace("_", "")
    scale = 1
    if raw[-1:] in ("k", "K"):
        raw, scale = raw[:-1], 1024
    elif raw[-1:] == "M":
        raw, scale = raw[:-1], 1024**2
    value = _bounded_decimal(raw, text, where, None, "a number of tokens", "(e.g. 4096, 32k or 1M)") * scale
    if value <= 0 or value != value.to_integral_value():
        raise InputError(where, None, f"must be a positive whole number of tokens, got {text!r}")
    if value > 2**40:
        raise InputError(where, None, f"{text!r} tokens is beyond any model's context (max 2^40)")
    return int(value)


# --- physical quantities: one pint registry for everything a user types ---------------------------

# kind -> (canonical unit the value is returned in, what the help text calls it, example)
KINDS: dict[str, tuple[str, str, str]] = {
    "energy": ("J", "joules", "500 MWh, 2 GWh, 3.6e9 J"),
    "power": ("W", "watts", "700 W, 10.2 kW"),
    "time": ("s", "seconds", "50 ms, 2 h, 3 days"),
    "years": ("year", "years", "4 years, 3-5"),
    "bytes": ("B", "bytes", "80 GB, 141 GiB"),
    "byte_per_s": ("B / s", "bytes per second", "3.35 TB/s, 400 Gbit/s"),
    "flop": ("FLOP", "FLOP", "3.8e25 FLOP"),
    "flop_per_s": ("FLOP / s", "FLOP per second", "989 TFLOP/s"),
    "carbon": ("gCO2e", "grams of CO2e", "1000 tCO2e, 5 kt"),
    "water": ("L", "litres", "38 m3, 500 mL"),
    "money": ("USD", "US dollars", "10M$, $2.5B, 300k USD"),
    "carbon_intensity": ("gCO2e / kWh", "g CO2e per kWh", "414 g/kWh, 0.4 kg/kWh"),
    "water_intensity": ("L / kWh", "litres per kWh", "0.27 L/kWh"),
    "price_per_hour": ("USD / h", "USD per device-hour", "2.5 $/h, 2-4 USD/h"),
    "price_per_energy": ("USD / kWh", "USD per kWh", "0.08 $/kWh"),
    "days": ("day", "days", "20 days, 2 weeks"),
    "number": ("", "a number", "0.5, 50%, 1.1-1.2"),
}
# spellings the case-insensitive fallback may resolve to; a lower-case form shared by two
# spellings (mwh: mWh or MWh) is refused as ambiguous, never guessed
SPELLINGS = (
    "J kJ MJ GJ TJ PJ Wh kWh MWh GWh TWh PWh W kW MW GW s ms us min h hour day week year "
    "g kg t kt Mt Gt gCO2e kgCO2e tCO2e ktCO2e MtCO2e GtCO2e L mL kL ML USD "
    "B kB MB GB TB PB KiB MiB GiB TiB PiB bit kbit Mbit Gbit Tbit FLOP kFLOP MFLOP GFLOP TFLOP PFLOP EFLOP"
).split()
# technically valid, but in this domain a case slip for the large unit: refused with both readings
CASE_TRAPS = {"mWh": "MWh", "mW": "MW", "mt": "Mt", "mtCO2e": "MtCO2e", "mJ": "MJ", "mg": "Mg or kg"}
# count multipliers written on a sum of money (10M$, $2.5B): SI prefixes do not apply to USD
MONEY_SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12}
_registry = None


def _ureg():
    """Our own pint registry: bytes, bits (= byte / 8), FLOP, seconds, watts, joules, grams of CO2e
    (the only mass trillion knows: ``g``, ``kg`` and ``t`` are CO2e), litres and USD as dimensions.

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
            "day = 24 * hour = d", "week = 7 * day", "year = 365.25 * day = y", "watt = [power] = W",
            "joule = watt * second = J", "watt_hour = watt * hour = Wh",
            "gCO2e = [emission] = g = gCO2 = g_CO2e", "tCO2e = 1e6 * gCO2e = t = tonne = tCO2",
            "meter = [length] = m", "litre = 1e-3 * meter ** 3 = L = l = liter",
            "USD = [currency] = dollar",
        ):  # fmt: skip
            u.define(line)
        _registry = u
    return _registry


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _normalise(text: str) -> str:
    t = text.strip().replace("³", "**3").replace("²", "**2").replace("µ", "u").replace("×", "*")
    t = re.sub(r"(?<![A-Za-z])m3\b", "m**3", t)
    t = re.sub(r"\s+CO2e?\b", "CO2e", t)  # "t CO2e" -> "tCO2e"
    t = re.sub(r"(?i)\bgpu[- ]?(hours?|h)\b", "h", t)  # "$/GPU-hour" -> "$/h"
    t = re.sub(r"(?i)\bdevice[- ]?(hours?|h)\b", "h", t)
    if "$" in t:
        t = t.replace("$", " USD ").strip()
        if t.startswith("USD"):  # "$10M" -> "10M USD"
            t = t[3:].strip() + " USD"
    return " ".join(t.split())


def _resolve_units(unit: str, where: str, field: str | None, text: str) -> str:
    """`unit` with each unknown token resolved case-insensitively to the one spelling it can
    mean; a token two spellings share (mwh) or none matches is refused, naming the input."""
    u = _ureg()

    def fix(m: re.Match) -> str:
        token = m.group(0)
        if token in CASE_TRAPS:
            raise InputError(
                where, field, f"{text!r}: {token} is milli-{token[1:]}; did you mean {CASE_TRAPS[token]}?"
            )
        try:
            u.parse_units(token)
            return token
        except Exception:  # pint raises several kinds for an unknown unit
            pass
        matches = sorted({s for s in (*SPELLINGS, *CASE_TRAPS) if s.lower() == token.lower()})
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InputError(
                where,
                field,
                f"{text!r}: {token!r} is ambiguous ({' or '.join(matches)}); write it in the right case",
            )
        raise InputError(where, field, f"{text!r}: unknown unit {token!r}")

    return _TOKEN.sub(fix, unit)


def parse_quantity(text: str | float | int, expect: str, where: str, field: str | None = None) -> float:
    """``"989 TFLOP/s"`` -> 9.89e14: `text` in the canonical unit of kind `expect` (a key of
    `KINDS`: energy in J, carbon in g CO2e, water in L, money in USD, ...).

    The one parser for every unit-bearing input (flags, catalog files, web fields). A bare number is
    taken as already in the canonical unit. Case matters where it means something: ``mWh`` is
    refused as a likely slip for ``MWh`` (never read as it), ``mwh`` as ambiguous; ``kwh`` is
    ``kWh``. Money takes count multipliers (``10M$``, ``$2.5B``, ``300k USD``), not SI prefixes.
    Sizes are bounded before conversion. Raises `InputError` naming `where` and `field`.
    """
    canonical, what, example = KINDS[_ALIASES.get(expect, expect)]
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise InputError(where, field, f"must be a quantity in {what} (e.g. {example}), got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        if len(text) > 2 * MAX_LITERAL_CHARS:
            raise InputError(where, field, f"{len(text):,} characters is too long for a quantity")
        norm = _normalise(text)
        percent = norm.endswith("%")
        m = _NUMBER.match(norm[:-1] if percent else norm)
        if not m:
            raise InputError(where, field, f"cannot read {text!r} as a quantity in {what} (e.g. {example})")
        number = float(_bounded_decimal(m.group(1), text, where, field, "a quantity", f"(e.g. {example})"))
        unit = m.group(2)
        if not unit and canonical == "s" and where.startswith("--"):  # "--latency-target 50": 50 what?
            raise InputError(where, field, f"{text!r} needs a unit (e.g. 50ms, 11 min, 90d)")
        if percent:
            if unit or canonical:
                raise InputError(where, field, f"{text!r}: a percentage is a number, not {what}")
            number /= 100
        scale = 1.0
        first = unit.split(" ", 1)[0] if unit else ""
        if canonical == "USD" and first in MONEY_SCALE:  # "10M USD"
            scale, unit = MONEY_SCALE[first], unit[len(first) :].strip()
        elif canonical == "USD" and unit and unit[0] in "mgG" and unit.lower().endswith("usd"):
            raise InputError(where, field, f"{text!r}: write millions as M and billions as B (10M$, 2B$)")
        value = number * scale
        if unit and not re.fullmatch(r"[A-Za-z0-9_*/ .^()-]+", unit):
            raise InputError(where, field, f"{text!r}: unknown unit {unit!r} (e.g. {example})")
        if unit:
            unit = _resolve_units(unit, where, field, text)
            u = _ureg()
            try:
                q = u.Quantity(value, unit)
                target = u.Quantity(1, canonical) if canonical else u.Quantity(1)
                if q.dimensionality != target.dimensionality:
                    raise InputError(where, field, f"{text!r} is not in {what} (e.g. {example})")
                value = float(q.to(canonical).magnitude) if canonical else float(q.to("").magnitude)
            except InputError:
                raise
            except Exception as e:  # pint's parser raises assorted errors on junk: all are bad input
                raise InputError(where, field, f"cannot read {text!r} as {what}: {str(e)[:80]}") from None
    if not (value == value and abs(value) != float("inf")):
        raise InputError(where, field, f"must be finite, got {text!r}")
    return value


# the names the catalog files and earlier callers use for kinds
_ALIASES = {"byte": "bytes", "watt": "power", "second": "time", "joule": "energy"}


def parse_range(text: str, kind: str, where: str, *, minimum: float = 0.0,
                maximum: float = float("inf")) -> tuple[float, float]:  # fmt: skip
    """``"2-4 $/h"`` -> (2.0, 4.0); ``"1.2"`` -> (1.2, 1.2): a value or a range (``a-b``, ``a..b``,
    ``a to b``) of kind `kind`, the unit written once at the end or on both sides, each bound
    within [minimum, maximum] in the kind's canonical unit."""
    t = str(text).strip()
    if t.startswith("-"):
        raise InputError(where, None, f"must be >= {minimum:g}, got {text!r}")
    lo = hi = None
    # the first separator at which both sides read as quantities (so "1e-3-2" is 0.001 to 2)
    for m in re.finditer(r"\s*(?:\.\.|-|\bto\b)\s*", t):
        left, right = t[: m.start()], t[m.end() :]
        if not left or not right:
            continue
        right_m, left_m = _NUMBER.match(_normalise(right)), _NUMBER.match(_normalise(left))
        if right_m and left_m and right_m.group(2) and not left_m.group(2):  # "2-4 $/h": the unit once
            left = f"{left} {right_m.group(2)}"
        try:
            lo, hi = parse_quantity(left, kind, where), parse_quantity(right, kind, where)
            break
        except InputError:
            continue
    if lo is None or hi is None:
        lo = hi = parse_quantity(t, kind, where)
    if hi < lo:
        raise InputError(where, None, f"range must be low-high, got {text!r}")
    if lo < minimum or hi > maximum:
        bounds = f"between {minimum:g} and {maximum:g}" if maximum < float("inf") else f">= {minimum:g}"
        unit = "" if kind == "number" else f" {KINDS[kind][1]}"
        raise InputError(where, None, f"must be {bounds}{unit}, got {text!r}")
    return lo, hi


def format_quantity(value: float, kind: str, unit: str) -> str:
    """`value` (canonical unit of `kind`) written in `unit`, e.g. (3.6e12, "energy", "MWh") -> "1000 MWh";
    `parse_quantity` reads the result back to `value` (the round trip is a tested property)."""
    u = _ureg()
    canonical = KINDS[kind][0]
    shown = u.Quantity(value, canonical).to(unit).magnitude if canonical else value
    return f"{shown!r} {unit}".strip()
