"""Affordability over time and the efficiency levers, against their own definitions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trillion.cli import main
from trillion.errors import InputError
from trillion.footprint import over_time as ot


def test_years_outside_the_trends_are_refused():
    with pytest.raises(InputError, match="before the trends' data"):
        ot.check_year(2015)
    with pytest.raises(InputError, match="past 2060"):
        ot.check_year(2100)
    assert ot.check_year(2030) == 2030


def test_a_budget_buys_more_each_year_and_today_matches_afford():
    from trillion.catalog.hardware import find_accelerator
    from trillion.footprint.afford import Budget, afford

    today = afford(find_accelerator("h100"), Budget("money", 1e7))
    now = ot.budget_in_year(today, round(ot.rates().base))
    later = ot.budget_in_year(today, 2032)
    assert later["train_flop"]["p50"] > now["train_flop"]["p50"]
    assert later["params"]["p50"] == pytest.approx(np.sqrt(later["train_flop"]["p50"] / 120), rel=0.05)
    assert later["capability_equivalent_flop"]["p50"] > later["train_flop"]["p50"]  # algorithms add
    assert later["basis"] == "extrapolation"


def test_bigger_budgets_afford_a_model_sooner_and_capability_sooner_than_the_model():
    cost = {"p10": 8e7, "p50": 1e8, "p90": 1.3e8}
    budgets = [{"label": "small", "usd": 1e6}, {"label": "mid", "usd": 3e7}, {"label": "big", "usd": 1e9}]
    o = ot.model_over_time(1e25, cost, {"p10": 1e5, "p50": 2e5, "p90": 3e5}, 2030, budgets)
    small, mid, big = (b["trains_same_model"]["p50"] for b in o["budgets"])
    assert small > mid > big == pytest.approx(o["base"])
    for b in o["budgets"]:
        assert b["trains_same_capability"]["p50"] <= b["trains_same_model"]["p50"]
    tc = o["train_cost_usd"]
    assert tc["same_capability"]["p50"] < tc["same_model"]["p50"] < cost["p50"]


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_afford_model_year_end_to_end(capsys, tmp_path):
    svg = tmp_path / "f.svg"
    code, out, _ = _run(capsys, "afford", "--model", "qwen3-max", "--year", "2030", "--plot", str(svg))
    assert code == 0
    assert "Who can afford qwen3-max" in out and "assumes trend: cloud price per FLOP" in out
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    code, out, _ = _run(
        capsys, "afford", "--model", "qwen3-max", "--year", "2030", "--budget", "20M$", "--json"
    )
    o = json.loads(out)
    assert code == 0 and o["budgets"][0]["usd"] == 2e7 and o["basis"] == "extrapolation"
    assert o["assumptions"]


def test_afford_budget_year_end_to_end(capsys):
    code, out, _ = _run(capsys, "afford", "--budget", "10M$", "--gpu", "h100", "--year", "2030", "--json")
    o = json.loads(out)
    assert code == 0 and o["in_year"]["params"]["p50"] > o["today"]["params"]["p50"]


@pytest.mark.parametrize(
    "argv",
    [
        ["afford", "--budget", "10M$", "--year", "2010"],  # before the data
        ["afford", "--budget", "0$", "--year", "2030"],  # a budget of 0
        ["afford", "--model", "qwen3-max"],  # no year
        ["afford", "--model", "qwen3-max", "--year", "2030", "--budget", "5 MWh"],
        ["afford", "--model", "qwen3-max", "--year", "2999"],
        ["afford"],
        ["afford", "--budget", "10M$", "--plot", "x.svg"],  # the chart is the model's
        ["levers", "qwen3-max", "--lever", "magic"],  # an unknown lever
        ["levers", "no-such-model"],
        ["trends", "moore"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert err.count("\n") == 1 and err.startswith("trillion: error:")


def test_levers_keep_estimate_and_published_quality_apart():
    from trillion.catalog.resolve import resolve
    from trillion.footprint.levers import levers

    spec, _ = resolve("qwen3-30b-a3b")
    o = levers(spec, 36_000_000_000_000)
    by = {r["lever"]: r for r in o["levers"]}
    assert all(v == pytest.approx(1.0) for v in by["baseline"]["ratio"].values() if v is not None)
    assert by["fp8 weights"]["ratio"]["serve_usd_per_m_tokens"] < 1
    assert by["fp8 weights"]["ratio"]["train_cost_usd"] == pytest.approx(1.0)
    grid = by["cleaner grid (FRA)"]["ratio"]
    assert grid["train_co2e_t"] < 0.2 and grid["train_energy_mwh"] == pytest.approx(1.0)
    assert "dense at equal quality" in by and by["dense at equal quality"]["ratio"]["train_cost_usd"] > 1.5
    q = by["fp4 weights"]["quality"]
    assert q["rows"] >= 5 and 90 < q["median_pct"] <= 101 and q["sources"]
    assert by["newer hardware (b200)"]["quality"] is None  # no quality effect claimed for hardware
    assert by["fp8 training"]["quality"]["variant"] == "fp8-weights-acts"


def test_levers_cli_end_to_end(capsys, tmp_path):
    svg = tmp_path / "l.svg"
    code, out, _ = _run(capsys, "levers", "qwen3-max", "--plot", str(svg))
    assert code == 0
    assert "Efficiency levers for qwen3-max" in out and "Published quality effect" in out and "assumes" in out
    assert "<svg" in svg.read_text(encoding="utf-8")
    code, out, _ = _run(capsys, "levers", "qwen3-max", "--lever", "grid", "--json")
    names = [r["lever"] for r in json.loads(out)["levers"]]
    assert names[0] == "baseline" and all(n == "baseline" or "grid" in n for n in names)


def test_trends_cli_prints_fit_beside_published(capsys, tmp_path):
    code, out, _ = _run(capsys, "trends", "--plot", str(tmp_path / "t.svg"))
    assert code == 0 and "gpu_price_performance_all" in out and "back-test" in out
    code, out, _ = _run(capsys, "trends", "inference_price", "--json")
    s = json.loads(out)[0]
    assert s["published"][0]["trend"] == "llmflation_a16z" and len(s["points"]) >= 8
