"""Catalog facts live in the catalog: no model name in the planners', footprint's, serving or report
code, and every published training set-up a model's TOML states is usable as stated."""

from __future__ import annotations

import re
from pathlib import Path

from trillion.catalog import FRONTIER, catalog
from trillion.catalog.hardware import clusters
from trillion.footprint import data
from trillion.spec.choices import TRAIN_PRECISIONS

SRC = Path(__file__).resolve().parents[2] / "src" / "trillion"


def test_no_model_name_in_planner_footprint_serving_or_report_code():
    names = set()
    for e in catalog().values():
        names.update((e.name, *e.aliases))
    names -= {
        r["method_id"] for r in data.table("embodied_carbon")
    }  # "bloom" is also an embodied-carbon method
    found = []
    for part in ("plan", "footprint", "serve", "report", "count"):
        for f in (SRC / part).rglob("*.py"):
            text = f.read_text()
            for n in names:
                if re.search(r"[\"']" + re.escape(n) + r"[\"']", text):
                    found.append(f"{f.relative_to(SRC)}: {n}")
    assert found == []


def test_published_training_setups_are_usable():
    for e in catalog().values():
        t = e.training
        if t.cluster is not None:
            assert t.cluster in clusters(), (e.name, t.cluster)
        if t.precision is not None:
            assert t.precision in TRAIN_PRECISIONS, (e.name, t.precision)
        if t.cluster or t.precision or t.global_batch:
            assert t.source.strip(), e.name
    from trillion.catalog import landscape

    assert set(FRONTIER) <= set(catalog()) | set(landscape.entries())  # secret architectures: the landscape


def test_the_report_uses_the_published_setup():
    from trillion.report.build import build_report

    r = build_report("deepseek-v3", serve_weights=())
    assert (
        r["training"]["cluster"]["value"].startswith("deepseek-v3-h800:")
        and "source" in r["training"]["cluster"]
    )
    assert "fp8" in r["training"]["mfu"]["note"]
    setup = r["setup"]
    for key in ("tokens", "cluster", "precision", "global_batch", "seq_len"):
        assert setup[key]["kind"] == "published", key
    for key in ("framework", "region", "serving_hardware", "serving_workload"):
        assert setup[key]["kind"] == "default", key  # trillion's choices say so
