"""Prefill/decode disaggregation: the deployment serves the slower pool, TTFT carries the KV
transfer, device time and power cover both pools; bad --disaggregate input is one line."""

from __future__ import annotations

import json

import pytest

from trillion.catalog.hardware import find_accelerator
from trillion.catalog.resolve import load_model
from trillion.cli import main
from trillion.serve.disagg import plan_disaggregated
from trillion.serve.layout import ServeLayout
from trillion.serve.plan import plan_serving

H800 = find_accelerator("h800")
DS = load_model("deepseek-v3")
DECODE = ServeLayout(dp=144, ep=144, redundant=32)


def _plan(prefill: int):
    return plan_disaggregated(DS, H800, prefill_devices=prefill, decode_devices=144, weights="fp8", prompt=4096,
                              output=1000, cache_hit=0.5625, layout=DECODE)  # fmt: skip


def test_the_slower_pool_sets_the_rate_and_more_prefill_devices_move_the_bottleneck():
    small, large = _plan(16), _plan(256)
    for p in (small, large):
        g = p.disaggregated
        assert g["requests_per_s"] == min(g["prefill_requests_per_s"], g["decode_requests_per_s"])
        assert p.devices == g["prefill_devices"] + 144
        assert p.tokens_per_s_per_device == pytest.approx(g["requests_per_s"] * 1000 / p.devices)
        assert p.device_s_per_output_token == pytest.approx(1 / p.tokens_per_s_per_device)
    assert small.disaggregated["bottleneck"] == "prefill" and large.disaggregated["bottleneck"] == "decode"
    # the decode pool is the same in both: its rate does not depend on the prefill pool
    assert small.disaggregated["decode_requests_per_s"] == large.disaggregated["decode_requests_per_s"]


def test_ttft_is_prefill_plus_transfer_plus_one_step():
    p = _plan(32)
    decode_only = plan_serving(DS, H800, gpus=144, weights="fp8", prompt=4096, output=1000, cache_hit=0.5625,
                               layout=DECODE, decode_only=True)  # fmt: skip
    g = p.disaggregated
    assert g["kv_transfer_s"] > 0 and p.ttft_s > g["kv_transfer_s"] + decode_only.tpot_s
    # the KV of a 4,096-token prompt: 61 layers x (512 + 64) x 2 bytes per token
    assert g["kv_bytes_per_request"] == 4096 * 61 * 576 * 2
    # decode-only steps carry no prefill, so they are faster than mixed ones at the same batch
    mixed = plan_serving(DS, H800, gpus=144, weights="fp8", prompt=4096, output=1000, cache_hit=0.5625,
                         layout=DECODE, batch=decode_only.batch)  # fmt: skip
    assert decode_only.tpot_s < mixed.tpot_s


def test_cli_json_carries_the_pools(capsys):
    argv = ["serve", "deepseek-v3", "--gpu", "h800", "--weights", "fp8", "--disaggregate", "prefill=32,decode=144",
            "--layout", "dp=144,ep=144,redundant=32", "--prompt", "4096", "--output", "1000", "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["devices"] == 176 and out["disaggregated"]["bottleneck"] in ("prefill", "decode")
    assert out["energy_wh_per_query"]["p50"] > 0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--disaggregate", "prefill=32"], "--disaggregate: give both pools"),
        (["--disaggregate", "prefill=0,decode=8"], "--disaggregate: prefill: must be a device count"),
        (
            ["--disaggregate", "prefill=8,decode=8,prefill=8"],
            "--disaggregate: prefill: give prefill=N,decode=M once each",
        ),
        (["--disaggregate", "pre=8,decode=8"], "--disaggregate: pre: give prefill=N,decode=M"),
        (
            ["--disaggregate", "prefill=8,decode=16", "--gpus", "32"],
            "--gpus: 32 is not prefill + decode = 24",
        ),
        (["--disaggregate", "prefill=8,decode=16", "--qps", "5"], "--qps: the load model does not cover"),
        (
            ["--disaggregate", "prefill=1,decode=16"],
            "--disaggregate: prefill: 1 x h800 cannot hold deepseek-v3",
        ),
    ],
)
def test_bad_disaggregate_is_one_line_exit_2(capsys, argv, needle):
    assert main(["serve", "deepseek-v3", "--gpu", "h800", "--weights", "fp8", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
