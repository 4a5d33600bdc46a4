"""The competitive landscape: sourced results with protocols, names a reader types, like-for-like
grouping, the December 2023 Gemini Ultra vs GPT-4 claims, and `compare` at 80 columns."""

from __future__ import annotations

import re

import pytest

from trillion.catalog import landscape as L
from trillion.cli import main
from trillion.errors import UnknownModelError

BENCHMARKS = {"MMLU", "MMLU-Pro", "MMLU-Redux", "MMMLU", "GPQA-Diamond", "GPQA", "AIME-2024", "AIME-2025", "HMMT-2025",
              "MATH", "MATH-500", "MATH-Level-5", "GSM8K", "HumanEval", "LiveCodeBench", "LiveCodeBench-Pro",
              "SWE-bench-Verified", "Arena-Hard", "Arena-Hard-v2", "LMArena-Elo", "HLE", "SimpleQA", "SimpleQA-Verified",
              "MMMU", "BBH", "DROP", "HellaSwag", "Tau2-bench", "IFEval", "ARC-Challenge", "TriviaQA", "WinoGrande",
              "FrontierMath"}  # fmt: skip


def test_every_result_row_has_a_protocol_a_source_and_a_known_model():
    rows = L.rows("results")
    assert len(rows) >= 120
    assert len({r["model"] for r in rows}) >= 15 and len({r["benchmark"] for r in rows}) >= 8
    for r in rows:
        where = f"{r['model']} {r['benchmark']} {r['score']}"
        assert r["model"] in L.entries(), where
        assert r["benchmark"] in BENCHMARKS, where
        assert any(r[k] for k in ("shots", "method", "tools", "thinking")), f"no protocol: {where}"
        assert len(r["source"]) > 10, f"no source: {where}"
        assert r["measured_by"] in L.MEASURED_BY and r["evaluator"], where
        assert r["stage"] in L.STAGES, where
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", r["date"]), where
        assert r["shots"] == "" or r["shots"].isdigit(), where
        assert r["tools"] in ("", "yes", "no") and r["thinking"] in ("", "yes", "no"), where
        float(r["score"])


def test_prices_and_compute_are_dated_and_sourced():
    for r in L.rows("api_prices"):
        assert float(r["usd_per_m_input"]) > 0 and float(r["usd_per_m_output"]) > 0 and r["source"], r
        assert r["model"] in L.entries(), r["model"]
    for r in L.rows("train_compute"):
        assert r["kind"] in ("published", "estimated") and r["basis"] and r["source"], r
        assert 1e21 < float(r["train_flop"]) < 1e28, r


@pytest.mark.parametrize(("typed", "key"), [("gemini", "gemini-3-pro"), ("gemini-ultra", "gemini-1.0-ultra"),
                                            ("qwen-max", "qwen3-max"), ("gpt4", "gpt-4"), ("Gemini 1.0 Ultra", "gemini-1.0-ultra"),
                                            ("QWEN3_MAX", "qwen3-max")])  # fmt: skip
def test_names_a_reader_types(typed, key):
    assert L.find(typed).model == key


def test_unknown_names_get_suggestions():
    with pytest.raises(UnknownModelError, match="did you mean: .*gemini-ultra"):
        L.find("gemni-ultra")
    with pytest.raises(UnknownModelError, match="did you mean"):
        L.find("gpt-17")


def test_groups_never_mix_protocols():
    for g in L.groups(L.results()):
        assert len({(r["benchmark"], r["stage"], r["protocol"]) for r in g["rows"]}) == 1
        scores = [r["score"] for r in g["rows"]]
        assert scores == sorted(scores, reverse=True)


def test_an_unstated_field_never_matches_a_stated_one():
    a = {"shots": "5", "method": "", "tools": "", "thinking": "no"}
    b = {"shots": "", "method": "", "tools": "", "thinking": "no"}
    assert L.protocol(a) != L.protocol(b)


def test_the_december_2023_claims_side_by_side():
    rows = L.results(("gemini-1.0-ultra", "gpt-4"))
    (p,) = L.pairs(rows, ("gemini-1.0-ultra", "gpt-4"))
    same = {(x["benchmark"], x["protocol"]): (x["gemini-1.0-ultra"], x["gpt-4"]) for x in p["comparable"]}
    assert same[("MMLU", "shots n/s, CoT@32, tools n/s, no thinking")] == (
        90.04,
        87.29,
    )  # both measured by Google
    caution = {(x["benchmark"], x["protocol"]): (x["gemini-1.0-ultra"], x["gpt-4"]) for x in p["caution"]}
    assert caution[("MMLU", "5-shot, method n/s, tools n/s, no thinking")] == (83.7, 86.4)  # Google vs OpenAI
    trap = next(t for t in p["headline_trap"] if t["benchmark"] == "MMLU")
    assert (trap["gemini-1.0-ultra"], trap["gpt-4"]) == (90.04, 86.4)


def test_compare_shows_the_claims_and_says_which_pairs_compare(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["compare", "qwen3-max", "gemini-ultra", "gpt-4"]) == 0
    out = capsys.readouterr().out
    assert "Gemini 1.0 Ultra vs GPT-4: comparable" in out and "MMLU CoT@32 90.04 vs 87.29" in out
    assert "headline trap, MMLU" in out and "86.4 (5-shot" in out
    assert "Qwen3-Max vs GPT-4: no benchmark in common under one protocol" in out


@pytest.mark.parametrize(
    "names",
    [[], ["qwen3-max", "gemini-ultra", "gpt-4"], ["deepseek-v3", "kimi-k2", "llama-3.1-405b", "gpt-4o"]],
)
def test_compare_at_80_columns_cuts_nothing(capsys, monkeypatch, names):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["compare", *names]) == 0
    out = capsys.readouterr().out
    assert "\u2026" not in out and "..." not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert " P" in out and " E" in out  # kinds as letters: readable without colour


def test_report_on_a_secret_architecture_prints_what_is_published(capsys):
    assert main(["report", "gemini-2.5-flash"]) == 0
    out = capsys.readouterr().out
    assert "P published" in out and "trillion compare gemini-2.5-flash" in out


def test_value_for_money_is_like_for_like():
    from trillion.report.compare import value_for_money

    keys = ("gpt-4o", "claude-3.5-sonnet", "deepseek-v3", "gpt-4.1", "o3", "gemini-2.5-pro")
    for v in value_for_money(L.results(keys), keys):
        assert len(v["models"]) >= 2
        per = [x["points_per_usd_per_m"] for x in v["models"]]
        assert per == sorted(per, reverse=True)
