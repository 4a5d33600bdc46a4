"""`trillion footprint`, `trillion afford` and the footprint inside `trillion train`."""

from __future__ import annotations

import json

import pytest

from trillion.cli import main
from trillion.footprint.afford import parse_budget


def _json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_footprint_json_has_the_documented_keys(capsys):
    d = _json(
        capsys, "footprint", "--accelerator-hours", "2.788M", "--gpu", "h800", "--region", "CN", "--json"
    )
    for key in ("energy_mwh", "water_m3", "cost_usd"):
        assert {"p10", "p50", "p90"} <= set(d[key])
    assert {"location", "market", "embodied"} <= set(d["co2e_t"])
    assert d["cost_usd"]["p50"] == pytest.approx(2.788e6 * 2.0)  # DeepSeek-V3's $2/GPU-h assumption
    names = {a["name"] for a in d["assumptions"]}
    assert "PUE" in names and "grid intensity (location-based)" in names
    assert all(a["source"] for a in d["assumptions"])


def test_footprint_of_a_planned_run(capsys):
    d = _json(capsys, "footprint", "--model", "llama-3.1-8b", "--tokens", "1T", "--gpus", "256", "--json")
    assert d["device_hours"]["p10"] < d["device_hours"]["p50"] < d["device_hours"]["p90"]
    assert any(a["name"] == "step phases (from the plan)" for a in d["assumptions"])
    assert d["cost_usd_per_million_tokens"]["p50"] > 0


def test_train_folds_the_footprint_in(capsys):
    d = _json(capsys, "train", "llama-3.1-8b", "--tokens", "1T", "--gpus", "256", "--region", "FRA", "--json")
    assert d["footprint"]["energy_mwh"]["p50"] > 0
    assert d["footprint"]["device_hours"]["p50"] == pytest.approx(d["accelerator_hours"]["p50"], rel=1e-9)


def test_days_mode_and_owned_hardware(capsys):
    d = _json(
        capsys, "footprint", "--days", "10", "--gpus", "8", "--gpu", "a100-80gb", "--ownership", "owned",
        "--capex", "30000", "--electricity-price", "0.1", "--json",
    )  # fmt: skip
    assert d["device_hours"]["p50"] == 1920 and d["cost_usd"]["p50"] > 0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--region", "Atlantis"], "--region: unknown region 'Atlantis'"),
        (["--pue", "0.5"], "--pue: must be between 1 and 3"),
        (["--price", "-3"], "--price: must be >= 0"),
        (["--year", "1800"], "--year"),
        (["--renewable-share", "2"], "--renewable-share"),
        (["--embodied-method", "magic"], "--embodied-method"),
        (["--ownership", "leased"], "--ownership"),
        (["--power", "0"], "--power"),
    ],
)
def test_bad_footprint_input_is_one_line_exit_2(capsys, argv, needle):
    assert main(["footprint", "--accelerator-hours", "1M", "--gpu", "h100", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_footprint_needs_one_mode(capsys):
    assert main(["footprint", "--gpu", "h100"]) == 2
    assert "exactly one of" in capsys.readouterr().err


def test_afford(capsys):
    small = _json(capsys, "afford", "--budget", "1M$", "--gpu", "h100", "--json")[0]
    big = _json(capsys, "afford", "--budget", "100M$", "--gpu", "h100", "--json")[0]
    sol = big["speed_of_light"]["params"]["p50"]
    assert sol == pytest.approx(10 * small["speed_of_light"]["params"]["p50"], rel=1e-6)  # N ~ sqrt(C)
    assert big["tokens"]["p50"] == pytest.approx(20 * big["params"]["p50"], rel=1e-6)
    # expected = speed of light x sqrt(goodput / gap): below it, by the shipped gap's share at most
    for r in (small, big):
        ratio = r["params"]["p50"] / r["speed_of_light"]["params"]["p50"]
        assert (r["goodput"]["p50"] / r["reality_gap"]["p90"]) ** 0.5 < ratio < 1
    # days are the paid device-hours over the devices: failures are paid for
    assert big["wall_clock_days"]["p50"] == pytest.approx(big["device_hours"]["p50"] / big["devices"] / 24)
    carbon = _json(capsys, "afford", "--budget", "1000tCO2e", "--gpu", "h100", "--region", "FRA", "--json")[0]
    assert carbon["params"]["p50"] > 0
    assert main(["afford", "--budget", "ten dollars"]) == 2


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("10M$", "money", 1e7),
        ("$2.5B", "money", 2.5e9),
        ("500 MWh", "energy", 500 * 3.6e9),
        ("2GWh", "energy", 2000 * 3.6e9),
        ("1000 tCO2e", "carbon", 1000 * 1e6),
        ("5 kt CO2e", "carbon", 5e9),
        ("10K$", "money", 1e4),  # scale letters in either case (the fuzzer found 'K' raising KeyError)
        ("300k USD", "money", 3e5),
        ("3 kwh", "energy", 3 * 3.6e6),  # no meaning lost by the case: kWh
    ],
)
def test_parse_budget(text, kind, amount):
    b = parse_budget(text)
    assert (b.kind, b.amount) == (kind, pytest.approx(amount))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("1 mWh", "did you mean MWh"),  # never read as 1 MWh (a 10^9 misread before the one registry)
        ("1 mwh", "ambiguous"),
        ("10m$", "write millions as M"),
        ("1 mt CO2e", "did you mean Mt"),
        ("5 W", "cannot read"),
    ],
)
def test_budget_case_traps_are_refused(text, needle):
    from trillion.errors import InputError

    with pytest.raises(InputError, match=needle):
        parse_budget(text)


def test_afford_1_milliwatt_hour_is_not_1_megawatt_hour(capsys):
    assert main(["afford", "--budget", "1 mWh", "--gpu", "h100"]) == 2
    assert "--budget" in capsys.readouterr().err
    mega = _json(capsys, "afford", "--budget", "1 MWh", "--gpu", "h100", "--json")[0]
    assert mega["budget"]["amount"] == pytest.approx(3.6e9) and mega["budget"]["label"] == "1 MWh"


def test_zero_budget_in_any_case_is_one_error():
    from trillion.errors import InputError

    with pytest.raises(InputError, match="must be positive"):
        parse_budget("0K$")
