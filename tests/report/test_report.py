"""The main job: every figure sourced or marked as trillion's estimate; HTML self-contained."""

from __future__ import annotations

import json
import re

import pytest

from trillion.cli import main
from trillion.report.build import build_report, check_sourced, figures
from trillion.report.compare import build_compare
from trillion.report.html import render_compare, render_report

EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:|<script[^>]+src=|<link[^>]+href=""", re.I
)


@pytest.fixture(scope="module")
def default_report():
    return build_report()


def test_every_figure_has_a_source_or_an_estimate_note(default_report):
    assert len(figures(default_report)) > 25
    assert check_sourced(default_report) == []
    assert default_report["model"] == "qwen3-max" and default_report["status"] == "estimate"


def test_the_walker_fails_on_an_unsourced_figure(default_report):
    broken = json.loads(json.dumps({k: v for k, v in default_report.items() if k != "scaling"}))
    broken["architecture"]["layers"] = {"value": 94, "unit": "layers"}
    broken["serving"][0]["min_devices"]["note"] = "my guess"
    assert check_sourced(broken) == ["/architecture/layers", "/serving/0/min_devices"]


@pytest.mark.parametrize("name", ["deepseek-v3", "llama-3.1-405b", "kimi-k2"])
def test_published_models_carry_published_figures(name):
    r = build_report(name)
    assert check_sourced(r) == []
    assert r["architecture"]["layers"].get("source")  # published architecture
    if name in ("deepseek-v3", "llama-3.1-405b"):
        assert r["published_training"]["accelerator_hours"]["source"]
    assert r["benchmarks"] and all(b["score"]["source"] for b in r["benchmarks"])


def test_html_is_self_contained(default_report):
    html = render_report(default_report)
    assert "Qwen3-Max" in html
    # five charts: the scaling frontier, training energy by part, serving latency vs throughput,
    # the affordability frontier over time and the efficiency levers
    assert html.count("<svg") == 5
    assert "Hidden costs over time" in html and "Who can afford it, and when" in html
    assert "training energy, MWh" in html and "time per output token (ms)" in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<script" not in html


def test_compare_marks_published_and_estimated():
    c = build_compare(("deepseek-v3", "gemini-2.5-flash", "gpt-4"))
    ds = c["models"][0]["figures"]
    assert ds["cost_usd"]["source"] and ds["accelerator_hours"]["source"]  # DeepSeek published both
    assert "note" in c["models"][2]["figures"]["accelerator_hours"]  # GPT-4's is an estimate
    flash = c["models"][1]
    assert (
        flash["status"] == "architecture unpublished" and flash["figures"]["api_usd_per_m_output"]["source"]
    )
    assert any(
        r["model"] == "gemini-2.5-flash" for g in c["groups"] for r in g["rows"]
    )  # its scores, grouped
    for m in c["models"]:
        assert check_sourced(m["figures"]) == []
    html = render_compare(c)
    assert not EXTERNAL.search(html) and 'class="pub"' in html and 'class="est"' in html


def test_cli_report_writes_html_and_json(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "llama-3.1-8b", "--html", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert out.stat().st_size > 10_000 and check_sourced(data) == []
    assert "<svg" not in json.dumps(data) and out.read_text().count("<svg") == 5  # charts in the HTML only
    assert main(["report", "llama-3.1-8b", "--html", ""]) == 0
    assert "serving economics on H200" in capsys.readouterr().out
    assert main(["report", "nonexistent-model", "--html", ""]) == 2
    assert main(["report", "--region", "Atlantis", "--html", ""]) == 2


def test_report_shows_speed_of_light_with_failures_expected_and_the_gap(default_report):
    t = default_report["training"]
    sol, planned, expected = t["speed_of_light_days"], t["planned_days"], t["wall_clock_days"]
    assert sol["value"] <= planned["value"]["p50"] <= expected["value"]["p50"]
    gap = t["reality_gap"]["value"]
    assert gap == pytest.approx(expected["value"]["p50"] / planned["value"]["p50"])
    assert "reality gap" in t["reality_gap"]["note"]
