"""Every number the package ships has a source: a row or entry without one fails here."""

from __future__ import annotations

import csv
import tomllib
from importlib import resources
from pathlib import Path

import pytest

CATALOG = Path(str(resources.files("trillion.catalog")))


@pytest.mark.parametrize("folder", ["models", "accelerators", "clusters"])
def test_every_toml_entry_names_its_source(folder):
    files = sorted((CATALOG / folder).glob("*.toml"))
    assert files
    for path in files:
        data = tomllib.loads(path.read_text())
        title = data.get("source", {}).get("title", "")
        assert len(title) > 20, f"{path.name}: [source] title missing or too short"


@pytest.mark.parametrize("name", ["grid_intensity.csv", "pue.csv", "wue.csv", "embodied_carbon.csv"])
def test_every_footprint_row_names_its_source(name):
    with open(CATALOG / "footprint" / name, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for i, row in enumerate(rows, start=2):
        assert row["source"].strip(), f"{name}:{i}: no source"
        assert all(k == k.lower() and " " not in k for k in row), f"{name}: headers must be snake_case"


def test_grid_rows_carry_a_method_and_a_unit_in_the_header():
    with open(CATALOG / "footprint" / "grid_intensity.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert "g_co2e_per_kwh" in rows[0]
    for row in rows:
        assert float(row["g_co2e_per_kwh"]) >= 0 and row["method"].strip() and row["year"].strip()


def test_calibration_names_its_provenance():
    for path in (CATALOG / "calibration").glob("*.toml"):
        source = tomllib.loads(path.read_text()).get("source", "")
        text = source.get("title", "") if isinstance(source, dict) else source
        assert "fitted" in text, path.name
