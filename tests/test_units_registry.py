"""The one unit registry: every kind round-trips through it, case traps are refused, and every
unit-bearing flag accepts the examples its own help text names."""

from __future__ import annotations

import re

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

from trillion.errors import InputError
from trillion.units import KINDS, format_quantity, parse_quantity, parse_range

UNITS = {
    "energy": ["J", "kJ", "MJ", "GJ", "Wh", "kWh", "MWh", "GWh", "TWh"],
    "power": ["W", "kW", "MW"],
    "time": ["s", "ms", "min", "h", "day", "week"],
    "years": ["year", "day"],
    "days": ["day", "h", "week"],
    "bytes": ["B", "kB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "bit", "Gbit"],
    "byte_per_s": ["B/s", "GB/s", "TB/s", "Gbit/s"],
    "flop": ["FLOP", "TFLOP", "PFLOP", "EFLOP"],
    "flop_per_s": ["FLOP/s", "TFLOP/s", "PFLOP/s"],
    "carbon": ["g", "kg", "t", "kt", "Mt", "gCO2e", "kgCO2e", "tCO2e", "MtCO2e"],
    "water": ["L", "mL", "kL", "m**3"],
    "money": ["USD"],
    "carbon_intensity": ["g/kWh", "kg/kWh", "kg/MWh", "t/GWh", "gCO2e/kWh"],
    "water_intensity": ["L/kWh", "mL/kWh", "L/MWh"],
    "price_per_hour": ["USD/h", "USD/day"],
    "price_per_energy": ["USD/kWh", "USD/MWh"],
}


def test_every_kind_has_units_to_test():
    assert set(UNITS) == set(KINDS) - {"number"}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(UNITS)), st.data(), st.floats(1e-3, 1e12))
def test_round_trip_through_the_one_registry(kind, data, value):
    unit = data.draw(st.sampled_from(UNITS[kind]))
    text = format_quantity(value, kind, unit)
    assert parse_quantity(text, kind, "--x") == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("500 MWh", "energy", 1.8e12), ("500MWh", "energy", 1.8e12), ("3 kwh", "energy", 1.08e7),
        ("10M$", "money", 1e7), ("$2.5B", "money", 2.5e9), ("300k USD", "money", 3e5),
        ("1000 t CO2e", "carbon", 1e9), ("0.4 kg/kWh", "carbon_intensity", 400.0),
        ("2.5 $/GPU-hour", "price_per_hour", 2.5), ("38 m3", "water", 38_000.0), ("38 m³", "water", 38_000.0),
        ("50ms", "time", 0.05), ("50%", "number", 0.5), ("80 GB", "bytes", 8e10), ("5 B", "bytes", 5.0),
    ],
)  # fmt: skip
def test_examples(text, kind, value):
    assert parse_quantity(text, kind, "--x") == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "kind", "needle"),
    [
        ("1 mWh", "energy", "did you mean MWh"), ("1 mwh", "energy", "ambiguous"), ("1 mw", "power", "ambiguous"),
        ("1 mt", "carbon", "did you mean Mt"), ("10m$", "money", "write millions as M"),
        ("10 W", "energy", "not in joules"), ("1e400 J", "energy", "out of range"), ("9" * 200, "energy", "too long"),
        ("3 furlongs", "energy", "unknown unit"), ("10 €", "money", "unknown unit"),
    ],
)  # fmt: skip
def test_refusals_name_the_input(text, kind, needle):
    with pytest.raises(InputError, match=needle) as e:
        parse_quantity(text, kind, "--flag")
    assert str(e.value).startswith("--flag")


@pytest.mark.parametrize(
    ("text", "lo", "hi"), [("2-4 $/h", 2, 4), ("2 $/h-4 $/h", 2, 4), ("1e-3-2", 1e-3, 2), ("3 to 5", 3, 5)]
)
def test_ranges(text, lo, hi):
    assert parse_range(text, "price_per_hour" if "$" in text else "number", "--x") == (lo, hi)


def _parsers():
    from trillion.cli.options import FLAG_UNITS
    from trillion.dist import parse_dist
    from trillion.footprint.afford import parse_budget
    from trillion.units import parse_context_len, parse_count

    out = {
        flag: (lambda t, k=kind, f=flag: parse_dist(t, f, kind=k))
        for flag, (kind, _, _) in FLAG_UNITS.items()
    }
    out.update({
        "--budget": parse_budget, "--latency-target": lambda t: parse_quantity(t, "time", "--latency-target"),
        "--days": lambda t: parse_dist(t, "--days", kind="days"), "--tokens": lambda t: parse_count(t, "--tokens"),
        "--accelerator-hours": lambda t: parse_count(t, "--accelerator-hours"),
        "--flop": lambda t: parse_count(t, "--flop"), "--params": lambda t: parse_count(t, "--params"),
        "--seq-len": parse_context_len, "--context": parse_context_len,
    })  # fmt: skip
    return out


def _options():
    from trillion.cli import app

    def walk(cmd, path):
        for p in getattr(cmd, "params", []):
            for flag in getattr(p, "opts", []):
                yield path, flag, getattr(p, "help", "") or ""
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    yield from walk(typer.main.get_command(app), "trillion")


def test_every_unit_bearing_flag_accepts_the_units_its_help_names():
    parsers = _parsers()
    checked = 0
    for _path, flag, help_text in _options():
        m = re.search(r"e\.g\.\s*([^;()]*)", help_text)
        if flag not in parsers or not m:
            continue
        for example in (x.strip().rstrip(".") for x in m.group(1).split(",")):
            if example:
                parsers[flag](example)  # raises (and fails the test) if the help names a unit we refuse
                checked += 1
    assert checked >= 30, checked
