"""Ladder backends: torchrun (two CPU processes, gloo) and Ray (a local instance, when installed)."""

from __future__ import annotations

import pytest

from trillion.nn.ladder import run_ladder


@pytest.mark.slow
def test_torchrun_backend_trains_data_parallel(tmp_path):
    runs = run_ladder("micro-moe", tmp_path, backend="torchrun", nproc=2)
    assert runs and all(r["status"] == "finished" for r in runs)
    for r in runs:
        res = r["result"]
        assert res["world_size"] == 2 and res["tokens"] <= r["config"]["tokens"] and res["val_loss"] > 0


@pytest.mark.slow
def test_ray_backend_on_a_local_instance(tmp_path):
    ray = pytest.importorskip(
        "ray", reason="the ray backend needs the ray extra (pip install 'trillion[ray]')"
    )
    try:
        runs = run_ladder("micro", tmp_path, backend="ray")
    finally:
        ray.shutdown()
    assert len(runs) == 4 and all(r["status"] == "finished" for r in runs)
