"""One projection of a spec for both planners, and MFU's FLOP taken from the accounting."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.count.dims import model_dims, serve_dims
from trillion.count.flop import forward_flop
from trillion.plan.train import plan_training
from trillion.spec.layout import complete_layout, parse_layout


@pytest.mark.parametrize("name", ["llama-3.1-8b", "mixtral-8x7b", "deepseek-v3", "kimi-k2"])
def test_serving_dims_extend_the_training_projection(name):
    spec = load_model(name)
    base = asdict(model_dims(spec))
    for weights in ("bf16", "fp8", "int4"):
        served = asdict(serve_dims(spec, weights))
        assert {k: served[k] for k in base} == base
    assert 2 * model_dims(spec).active_matmul_params == forward_flop(spec, 4096).get("matmul")


@pytest.mark.parametrize(
    ("name", "gpus", "layout", "seq"),
    [
        ("llama-3.1-8b", 64, "tp=2,pp=1", 4096),
        ("mixtral-8x7b", 64, "tp=2,ep=8", 8192),
        ("deepseek-v3", 256, None, 4096),
    ],
)
def test_mfu_numerator_is_the_accountings_training_flop(name, gpus, layout, seq):
    spec = load_model(name)
    cluster = make_cluster(find_accelerator("h100"), gpus)
    lay = complete_layout(parse_layout(layout), gpus) if layout else None
    plan = plan_training(spec, cluster, tokens=10**12, seq_len=seq, global_batch=512, layout=lay)
    per_token = 3 * forward_flop(spec, seq).total
    assert plan.train_flop == pytest.approx(per_token * 10**12, rel=1e-12)
    numerator = plan.mfu * plan.step_s * gpus * cluster.accelerator.peak("bf16")
    assert numerator == pytest.approx(per_token * 512 * seq, rel=1e-9)
