"""Optimizer state: bytes per parameter by optimizer and recipe, and their effect on plans."""

from __future__ import annotations

import pytest

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.cli import main
from trillion.plan.optimizers import OPTIMIZERS, state_bytes, step_traffic_bytes
from trillion.plan.train import plan_training
from trillion.spec.layout import Layout


@pytest.mark.parametrize(
    ("optimizer", "precision", "expected"),
    [
        ("adamw", "bf16", 12),  # Megatron: fp32 master 4 + m 4 + v 4
        ("adamw", "fp16", 12),  # the ZeRO paper's K = 12
        ("adamw", "fp8", 8),  # DeepSeek-V3: bf16 moments
        ("muon", "bf16", 8),
        ("adafactor", "bf16", 4),
        ("adam8bit", "bf16", 6),
        ("adam8bit", "fp8", 6),  # 8-bit moments whatever the recipe
    ],
)
def test_state_bytes(optimizer, precision, expected):
    assert state_bytes(optimizer, precision) == expected


def test_adamw_step_traffic_is_the_calibrated_32_bytes():
    assert step_traffic_bytes("adamw", "bf16") == 32
    assert all(step_traffic_bytes(o, "bf16") < 32 for o in OPTIMIZERS if o != "adamw")


def test_plans_differ_only_in_optimizer_state():
    cl = make_cluster(find_accelerator("h100"), 64)
    lay = Layout(dp=8, tp=8, pp=1, mbs=1, zero=1, recompute="selective")
    plans = {
        o: plan_training(load_model("llama-3.1-8b"), cl, tokens=10**11, layout=lay, optimizer=o)
        for o in OPTIMIZERS
    }
    states = {o: p.memory_bytes["optimizer_states"] for o, p in plans.items()}
    assert states["adamw"] > states["muon"] > states["adam8bit"] > states["adafactor"] > 0
    params_local = states["adafactor"] / 4  # fp32 master only, sharded over dp by ZeRO-1
    assert states["adamw"] == pytest.approx(12 * params_local)
    for p in plans.values():
        assert p.memory_bytes["activations"] == plans["adamw"].memory_bytes["activations"]
        assert p.step_s <= plans["adamw"].step_s
    assert any("optimizer: muon" in a for a in plans["muon"].assumptions)


def test_unknown_optimizer_is_one_line_exit_2(capsys):
    assert main(["train", "llama-3.1-8b", "--optimizer", "sgd"]) == 2
    err = capsys.readouterr().err
    assert "--optimizer" in err and err.count("\n") == 1
