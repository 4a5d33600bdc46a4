"""Precision recipes (fp8, MXFP8, NVFP4), FP8-cached activations, "light" recompute, expert tensor
parallel and the ZeRO stage searched."""

from __future__ import annotations

import numpy as np
import pytest

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.count.dims import model_dims
from trillion.errors import InputError
from trillion.plan.calibration import load_calibration
from trillion.plan.memory import memory_per_device
from trillion.plan.perf import step_time
from trillion.plan.recipes import RECIPES, check_recipe
from trillion.plan.search import candidate_arrays
from trillion.plan.train import plan_training
from trillion.spec.choices import TRAIN_PRECISIONS

LAYOUT = dict(seq_len=4096, global_batch=256, dp=8, tp=4, pp=2, mbs=1)


def test_every_precision_has_a_recipe():
    assert set(RECIPES) == set(TRAIN_PRECISIONS)


def test_block_scaled_recipes_need_blackwell():
    check_recipe(RECIPES["nvfp4"], find_accelerator("b200"))
    check_recipe(RECIPES["mxfp8"], find_accelerator("gb300"))
    with pytest.raises(InputError, match="no published dense fp4 peak"):
        check_recipe(RECIPES["nvfp4"], find_accelerator("h100"))
    with pytest.raises(InputError, match="block scaling"):
        check_recipe(RECIPES["mxfp8"], find_accelerator("h200"))  # has fp8, not MX scaling


def test_recipes_order_step_time_on_blackwell_and_charge_their_casts():
    d = model_dims(load_model("llama-3.1-70b"))
    cluster = make_cluster(find_accelerator("b200"), 64)
    cal = load_calibration(framework="megatron")

    def step(dtype):
        return float(step_time(d, cluster, **LAYOUT, dtype=dtype, cal=cal).step_s)

    bf16, fp8, mxfp8, nvfp4 = (step(p) for p in ("bf16", "fp8", "mxfp8", "nvfp4"))
    assert nvfp4 < fp8 < bf16
    assert mxfp8 > fp8  # same peak, the scales' extra bytes
    # NVFP4 cannot reach the fp4/fp8 peak ratio: 16-bit attention, casts, high-precision layers
    assert fp8 / nvfp4 < 2
    assert RECIPES["fp8"].cast_bytes_per_element() == 4.0  # read 2, write cast and transpose
    assert RECIPES["bf16"].cast_bytes_per_element() == 0.0


def test_fp8_caches_linear_inputs_and_light_recompute_sits_between():
    d = model_dims(load_model("deepseek-v3"))
    kw = dict(seq_len=4096, global_batch=1024, dp=8, tp=1, pp=8, mbs=1, ep=8)

    def acts(precision, recompute):
        return float(memory_per_device(d, **kw, precision=precision, recompute=recompute)["activations"])

    assert acts("fp8", "none") < acts("bf16", "none")
    assert acts("fp8", "full") < acts("fp8", "light") < acts("fp8", "none")


def test_light_recompute_costs_less_than_full():
    d = model_dims(load_model("deepseek-v3"))
    cluster = make_cluster(find_accelerator("h800"), 64)
    cal = load_calibration(framework="megatron")
    kw = dict(seq_len=4096, global_batch=512, dp=8, tp=1, pp=8, mbs=1, ep=8, dtype="fp8", cal=cal)
    none, light, full = (
        float(step_time(d, cluster, **kw, recompute=r).step_s) for r in ("none", "light", "full")
    )
    assert none < light < full


def test_expert_tensor_parallel_splits_experts_and_is_searched():
    d = model_dims(load_model("qwen3-235b-a22b"))
    kw = dict(seq_len=4096, global_batch=256, dp=16, tp=2, pp=8, mbs=1, ep=8)
    one = memory_per_device(d, **kw, etp=1)
    two = memory_per_device(d, **kw, etp=2)
    assert float(two["weights"]) < float(one["weights"])
    cluster = make_cluster(find_accelerator("h100"), 256)
    arrays, _ = candidate_arrays(d, cluster, 256)
    assert set(np.unique(arrays["etp"])) >= {1, 2, 4}
    assert np.all((arrays["tp"] * arrays["dp"] * arrays["cp"]) % (arrays["ep"] * arrays["etp"]) == 0)
    dense, _ = candidate_arrays(model_dims(load_model("llama-3.1-8b")), cluster, 256)
    assert set(np.unique(dense["etp"])) == {1}


@pytest.mark.parametrize("framework, default", [("deepspeed", 1), ("fsdp2", 3)])
def test_zero_stage_is_searched_unless_given(framework, default):
    spec = load_model("llama-3.1-8b")
    cluster = make_cluster(find_accelerator("h100"), 64)
    kw = dict(tokens=10**11, global_batch=512, framework=framework)
    searched = plan_training(spec, cluster, **kw)
    given = plan_training(spec, cluster, **kw, zero=default)
    assert given.layout.zero == default
    assert searched.step_s <= given.step_s * (1 + 1e-12)  # a superset of layouts is never slower
