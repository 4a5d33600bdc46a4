from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trillion.errors import InputError
from trillion.units import format_bytes, format_count, parse_context_len, parse_count


@pytest.mark.parametrize(
    "n, text",
    [
        (405_853_388_800, "405.9B"),
        (68_976_653_312, "68.98B"),
        (1_026_408_209_408, "1.026T"),
        (175_000_000_000, "175.0B"),
        (6_738_415_616, "6.738B"),
        (999, "999"),
        (12_345, "12.35k"),
    ],
)
def test_format_count_uses_decimal_prefixes(n, text):
    assert format_count(n) == text


@pytest.mark.parametrize(
    "n, text",
    [
        (2**40, "1.00 TiB"),
        (1536, "1.50 KiB"),
        (100, "100 B"),
        (810 * 10**9, "754 GiB"),
        (80 * 2**30, "80.0 GiB"),
    ],
)
def test_format_bytes_uses_binary_prefixes(n, text):
    assert format_bytes(n) == text


def test_parse_count_returns_value_and_rounding():
    assert parse_count("671B", "x") == (Decimal(671e9), Decimal("0.5e9"))
    value, half = parse_count("1.04T", "x")
    assert value == Decimal("1.04e12") and half == Decimal("5e9")
    assert parse_count("176,247M", "x") == (Decimal(176_247_000_000), Decimal(500_000))
    assert parse_count(12, "x") == (Decimal(12), Decimal(0))
    assert parse_count("3.8e25", "x")[0] == Decimal("3.8e25")


@pytest.mark.parametrize("bad", ["", "lots", "1.2X", "nan", "inf", True])
def test_parse_count_rejects_junk_naming_the_field(bad):
    with pytest.raises(InputError, match="where: field"):
        parse_count(bad, "where", "field")


@given(st.integers(min_value=1, max_value=2**30))
def test_context_len_round_trips_plain_ints(n):
    assert parse_context_len(str(n)) == n


def test_context_len_k_is_1024():
    assert parse_context_len("32k") == 32768
    assert parse_context_len("128K") == 131072
    assert parse_context_len("1M") == 1_048_576


@pytest.mark.parametrize("bad", ["0", "-5", "1.5", "abc", "", "1e99"])
def test_context_len_rejects(bad):
    with pytest.raises(InputError, match="seq_len"):
        parse_context_len(bad)
