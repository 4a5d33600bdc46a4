"""The global batch chosen with the layout, the plan's "why" (phases, batches tried), and the search's
broadcast ZeRO axis checked against evaluating every layout one by one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from typer.testing import CliRunner

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.cli import app
from trillion.count.dims import model_dims
from trillion.count.flop import forward_flop
from trillion.plan.calibration import for_run, load_calibration
from trillion.plan.memory import memory_per_device
from trillion.plan.perf import step_time
from trillion.plan.search import candidate_arrays, search
from trillion.plan.train import BATCH_BAND, BATCH_RULE, batch_candidates, plan_training
from trillion.spec.layout import Layout


def test_batch_candidates_are_the_band_around_the_rule():
    c = 1e24
    rule = BATCH_RULE[0] * c ** BATCH_RULE[1] / 4096  # sequences of 4K
    got = batch_candidates(c, 4096)
    assert len(got) == len(BATCH_BAND)
    for f, b in zip(BATCH_BAND, got, strict=True):
        assert b & (b - 1) == 0  # a power of two
        assert abs(np.log2(b / (f * rule))) <= 0.5  # the nearest power of two to factor x rule
    assert batch_candidates(1e15, 4096) == [256, 256, 256]  # clipped to 1M tokens


def test_plan_chooses_the_batch_that_trains_soonest_and_says_why():
    spec = load_model("llama-3.1-8b")
    cluster = make_cluster(find_accelerator("h100"), 256)
    plan = plan_training(spec, cluster, tokens=10**12)
    tried = plan.batch_search
    assert [r["global_batch"] for r in tried] == sorted(
        set(batch_candidates(3 * float(forward_flop(spec, 4096).total) * 10**12, 4096))
    )
    chosen = [r for r in tried if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["global_batch"] == plan.global_batch
    assert chosen[0]["days_without_failures"] == min(r["days_without_failures"] for r in tried if r["layout"])
    assert chosen[0]["layout"] == plan.layout.label()
    assert sum(plan.phases.values()) == pytest.approx(1.0)
    assert any("the one whose best layout trains soonest" in a for a in plan.assumptions)
    # a given batch is kept, and nothing is said to have been tried
    fixed = plan_training(spec, cluster, tokens=10**12, global_batch=512)
    assert fixed.global_batch == 512 and fixed.batch_search == []


def test_train_prints_why():
    out = CliRunner().invoke(app, ["train", "llama-3.1-8b", "--gpus", "64", "--tokens", "100B"])
    assert out.exit_code == 0, out.output
    for text in ("why this plan", "pipeline bubble", "exposed communication", "global batches tried"):
        assert text in out.output


def test_search_ranks_as_one_by_one_evaluation():
    """The search broadcasts ZeRO stages against the structural rows; evaluating every candidate
    layout as its own scalar call must give the same top layouts and times."""
    d = model_dims(load_model("qwen3-30b-a3b"))
    cluster = make_cluster(find_accelerator("h100"), 16)
    cal = for_run(load_calibration(framework="megatron"), cluster.accelerator, "bf16", framework="megatron")
    zeros, recs = (0, 1, 3), ("none", "full")
    got = search(d, cluster, seq_len=4096, global_batch=64, cal=cal, zero_stages=zeros, recompute=recs, top=8)
    rows, _ = candidate_arrays(d, cluster, 64)
    ranked = []
    for r, j, z in itertools.product(range(len(recs)), range(len(rows["dp"])), range(len(zeros))):
        lay = Layout(
            **{k: int(rows[k][j]) for k in ("dp", "tp", "pp", "cp", "ep", "etp", "mbs", "vpp")},
            dualpipe=bool(rows["dualpipe"][j]),
            zero=zeros[z],
            recompute=recs[r],
        )
        kw = lay.step_kwargs(4096, 64)
        if float(memory_per_device(d, **kw, attention_kernel=cal.attention_kernel)["total"]) > 80 * 2**30:
            continue
        ranked.append((float(step_time(d, cluster, **kw, cal=cal).step_s), len(ranked), lay.label()))
    ranked.sort()
    assert [label for _, _, label in ranked[:8]] == [lay.label() for lay in got.layouts]
    assert np.allclose([t for t, _, _ in ranked[:8]], got.step_s)
