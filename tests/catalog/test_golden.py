"""Golden tests: every catalog entry against its source's [expected] figures (adding a model adds
its test), and the catalog's own hygiene (sources, labelled estimates)."""

from __future__ import annotations

import pytest

from trillion.catalog import catalog, find
from trillion.count import count
from trillion.count.expected import ACTIVE_FIELDS, check_expected
from trillion.errors import InputError

ENTRIES = sorted(catalog())

REQUIRED = {
    "gpt-3",
    "llama-2-7b",
    "llama-2-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "deepseek-v2",
    "deepseek-v3",
    "qwen2.5-72b",
    "qwen3-235b-a22b",
    "qwen3-30b-a3b",
    "kimi-k2",
    "switch-c",
    "glam",
    "palm-540b",
    "chinchilla-70b",
    "gopher-280b",
    "bloom-176b",
    "opt-175b",
    "falcon-180b",
    "grok-1",
    "qwen3-max",
}


def test_catalog_has_the_frontier_class():
    assert REQUIRED <= set(ENTRIES)


@pytest.mark.parametrize("name", ENTRIES)
def test_published_counts_within_the_source_rounding(name):
    entry = catalog()[name]
    checks = check_expected(entry, count(entry.spec))
    assert checks, f"{name}: [expected] checks nothing"
    for check in checks:
        assert check.ok, (
            f"{name}: {check.field} computed {check.computed:,} vs published {check.published} ({check.rule})"
        )


@pytest.mark.parametrize("name", ENTRIES)
def test_entries_are_sourced(name):
    entry = catalog()[name]
    assert entry.source.get("title") and entry.source.get("url") and entry.source.get("read")
    if entry.status != "published":
        assert len(entry.source.get("notes", "")) > 100, "estimates must carry their reasoning"


def test_moe_entries_check_their_active_count():
    moe = [n for n in ENTRIES if catalog()[n].spec.is_moe and catalog()[n].status == "published"]
    missing = [n for n in moe if not set(ACTIVE_FIELDS) & set(catalog()[n].expected)]
    # Switch-C (encoder-decoder; no per-token figure), Grok-1 (none published) are the exceptions
    assert set(missing) <= {"switch-c", "grok-1"}


def test_exact_figures_are_matched_exactly():
    """The figures known to the parameter (Hugging Face safetensors totals)."""
    assert count(find("llama-3.1-405b").spec).total_params == 405_853_388_800
    assert count(find("falcon-180b").spec).total_params == 179_522_565_120
    # Llama 2's safetensors totals include 64 rotary inv_freq buffers per layer
    assert count(find("llama-2-70b").spec).total_params == 68_976_653_312 - 80 * 64


def test_lookup_by_alias_and_case():
    assert find("Llama 3.1 405B".replace(" ", "-")).name == "llama-3.1-405b"
    assert find("DEEPSEEK_V3").name == "deepseek-v3"
    with pytest.raises(InputError, match="not a model trillion knows"):
        find("gpt-17")


def test_qwen3_max_is_labelled_an_estimate():
    entry = find("qwen3-max")
    assert entry.status == "estimate"
    assert count(entry.spec).total_params > 10**12
