"""`trillion train --deadline`: the fewest devices expected to finish in time, minimal on the grid
it scans, P90 never fewer than P50, and bad deadlines refused naming the flag."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.cli import app, main
from trillion.errors import InputError
from trillion.plan.deadline import plan_for_deadline

DAY = 86400.0


@pytest.fixture(scope="module")
def by():
    spec = load_model("llama-3.1-8b")
    return plan_for_deadline(spec, make_cluster(find_accelerator("h100"), 8), 30 * DAY, tokens=2 * 10**12)


def test_answer_meets_the_deadline_and_is_the_fewest_tried(by):
    assert by.plan.cluster.num_devices == by.devices_p50
    assert by.plan.wall_clock_days["p50"] <= 30
    fewer = [r for r in by.tried if r["devices"] < by.devices_p50]
    assert fewer, "the scan should have tried a smaller cluster"
    assert all(not r["fits"] or r["expected_days"]["p50"] > 30 for r in fewer)
    # the expected figure is what the deadline is held to, never the speed of light alone
    row = next(r for r in by.tried if r["answer"])
    assert row["speed_of_light_days"] <= row["planned_days_p50"] <= row["expected_days"]["p50"]


def test_p90_needs_at_least_as_many_devices(by):
    assert by.devices_p90 is not None and by.devices_p90 >= by.devices_p50
    row = next(r for r in by.tried if r["devices"] == by.devices_p90)
    assert row["expected_days"]["p90"] <= 30


def test_a_longer_deadline_never_needs_more_devices():
    spec = load_model("llama-3.1-8b")
    cl = make_cluster(find_accelerator("h100"), 8)
    n = [plan_for_deadline(spec, cl, d * DAY, tokens=2 * 10**12).devices_p50 for d in (15, 30, 60)]
    assert n[0] >= n[1] >= n[2]


def test_deadline_shorter_than_the_speed_of_light_is_refused():
    spec = load_model("llama-3.1-8b")
    with pytest.raises(InputError, match="shorter than the speed of light"):
        plan_for_deadline(spec, make_cluster(find_accelerator("h100"), 8), 600.0, tokens=2 * 10**12)


@pytest.mark.parametrize(
    "args",
    [
        ["--deadline", "10 min"],  # shorter than the speed of light
        ["--deadline", "0d"],
        ["--deadline", "-3d"],
        ["--deadline", "90 apples"],
        ["--deadline", "30d", "--gpus", "64"],
    ],
)
def test_bad_deadlines_name_the_flag_and_exit_2(args, capsys):
    assert main(["train", "llama-3.1-8b", "--tokens", "2T", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("--deadline" in err[0] or "--gpus" in err[0])


def test_cli_prints_the_scan_and_the_json_carries_it():
    r = CliRunner().invoke(app, ["train", "llama-3.1-8b", "--tokens", "2T", "--deadline", "30d"])
    assert r.exit_code == 0, r.output
    assert "devices to finish in 30 days" in r.output and "answer" in r.output
    r = CliRunner().invoke(app, ["train", "llama-3.1-8b", "--tokens", "2T", "--deadline", "30d", "--json"])
    d = json.loads(r.output)
    assert d["deadline"]["devices_p50"] == d["cluster"]["devices"]
    assert d["wall_clock_days"]["p50"] <= 30
