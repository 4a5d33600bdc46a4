"""Disaggregated serving: a prefill pool and a decode pool (DeepSeek's inference system, SGLang's
and Dynamo's PD disaggregation, Zhong et al. 2024 "DistServe").

The prefill pool turns prompts into KV caches at its busy throughput (`prefill_tokens_per_s_per_device`,
cache hits counted as served); each request's KV then crosses the scale-out network to a decode
node (every device of the prefill group sends its shard, at DeepEP's measured NIC efficiency);
the decode pool is a decode-only `plan_serving` (no prefill in its steps). The deployment serves
the lesser of the two pools' request rates; time to first token is one prefill on an idle group
plus the transfer plus one decode step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trillion.catalog.hardware import IDLE_OF_TDP
from trillion.count.dims import serve_dims
from trillion.errors import InputError
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import (
    A2A_SCALE_OUT_EFFICIENCY,
    ServeCalibration,
    load_serve_calibration,
    prefill_compute_s,
    prefill_s,
    prefill_tokens_per_s_per_device,
)
from trillion.serve.plan import ServePlan, memory_per_device, plan_serving, split
from trillion.spec.hardware import Accelerator
from trillion.spec.model import ModelSpec


def parse_disaggregate(text: str, where: str = "--disaggregate") -> tuple[int, int]:
    """``"prefill=32,decode=144"`` -> (32, 144) devices."""
    got: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        key, sep, value = part.partition("=")
        key, digits = key.strip(), value.strip()
        if not sep or key not in ("prefill", "decode") or key in got:
            raise InputError(
                where, key[:20] or None, f"give prefill=N,decode=M once each, got {str(text)[:40]!r}"
            )
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 5 or not 1 <= int(digits) <= 4096:
            raise InputError(where, key, f"must be a device count from 1 to 4096, got {digits[:20]!r}")
        got[key] = int(digits)
    if set(got) != {"prefill", "decode"}:
        raise InputError(where, None, f"give both pools, e.g. prefill=32,decode=144; got {str(text)[:40]!r}")
    return got["prefill"], got["decode"]


def _prefill_layouts(d, acc: Accelerator, devices: int, cal: ServeCalibration) -> list[ServeLayout]:
    """Layouts of a prefill pool of `devices` that hold the weights: expert parallel over the whole
    pool with DP attention for MoE models (DeepSeek's EP32), tensor x pipeline replicas otherwise."""
    out = []
    for n in (m for m in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if m <= devices and devices % m == 0):
        cands = [split(acc, n)]
        if d.num_moe_layers and n > 1 and (-d.num_experts) % n <= d.num_experts // 8:
            cands.append(ServeLayout(dp=n, ep=n, redundant=(-d.num_experts) % n))
        out += [c for c in cands if memory_per_device(d, acc, c, cal).kv_capacity > 0]
    return out


def plan_disaggregated(
    spec: ModelSpec,
    acc: Accelerator,
    *,
    prefill_devices: int,
    decode_devices: int,
    weights: str = "bf16",
    kv: str = "bf16",
    prompt: int = 1000,
    output: int = 500,
    context: int | None = None,
    cache_hit: float = 0.0,
    calibration: ServeCalibration | None = None,
    **decode_kwargs: Any,
) -> ServePlan:
    """A prefill pool of `prefill_devices` and a decode pool of `decode_devices` (layouts searched,
    or `layout=` for the decode pool); the plan of the decode pool with the deployment's figures:
    devices, requests it sustains, TTFT with the KV transfer, device time and power of both pools
    (`ServePlan.disaggregated` holds the pools' figures; `layout` is the decode pool's)."""
    cal = (calibration or load_serve_calibration()).for_device(acc.name)
    dec = plan_serving(spec, acc, gpus=decode_devices, weights=weights, kv=kv, prompt=prompt, output=output,
                       context=context, cache_hit=cache_hit, calibration=calibration, decode_only=True,
                       **decode_kwargs)  # fmt: skip
    if not dec.fits:
        return dec
    d = serve_dims(spec, weights, kv)
    layouts = _prefill_layouts(d, acc, prefill_devices, cal)
    if not layouts:
        raise InputError(
            "--disaggregate",
            "prefill",
            f"{prefill_devices} x {acc.name} cannot hold {spec.name} at {weights}",
        )
    rates = {lay: prefill_tokens_per_s_per_device(d, acc, lay, prompt, cal, cache_hit) for lay in layouts}
    pre = max(rates, key=lambda lay: rates[lay])
    prefill_rps = prefill_devices * rates[pre] / prompt
    decode_rps = dec.tokens_per_s_per_replica * dec.layout["replicas"] / output
    rps = min(prefill_rps, decode_rps)
    # KV (and recurrent state) of one prompt, once: the group's tp x pp devices each send a share
    # over their own NIC (MLA's latent is copied on every tp rank, so the ranks split it)
    kv_bytes = float(d.sequence_bytes(prompt))
    nic = (acc.scale_out_bytes_per_s or 50e9) * A2A_SCALE_OUT_EFFICIENCY
    transfer_s = kv_bytes / (pre.tp * pre.pp * nic) + cal.allreduce_latency_s
    ttft = prefill_s(d, acc, pre, prompt, cal, cache_hit) + transfer_s + dec.tpot_s
    # power: the prefill pool as compute-bound as its FLOP share of its time says, the decode pool
    # at the decode plan's operating point; both pools busy at the deployment's rate
    tdp = acc.tdp_w or 0.0
    idle = IDLE_OF_TDP.median * tdp
    flop_s = prefill_compute_s(d, acc, cal, prompt, cache_hit)  # device-seconds of one prompt
    share = min(1.0, flop_s / (prompt / rates[pre]))
    pre_activity = cal.memory_bound_activity + (1 - cal.memory_bound_activity) * share
    pre_w = idle + (tdp - idle) * pre_activity
    devices = prefill_devices + decode_devices
    busy_pre = rps / prefill_rps
    busy_dec = rps / decode_rps
    mean_w = (
        prefill_devices * (idle + (pre_w - idle) * busy_pre)
        + decode_devices * (idle + (dec.accelerator_w - idle) * busy_dec)
    ) / devices
    device_s = devices / (rps * output)
    pools = {
        "prefill_devices": prefill_devices, "decode_devices": decode_devices, "prefill_layout": pre.label(),
        "prefill_tokens_per_s_per_device": rates[pre], "prefill_requests_per_s": prefill_rps,
        "decode_requests_per_s": decode_rps, "requests_per_s": rps,
        "bottleneck": "prefill" if prefill_rps < decode_rps else "decode",
        "kv_transfer_s": transfer_s, "kv_bytes_per_request": kv_bytes,
        "balanced_prefill_devices": prefill_devices * decode_rps / prefill_rps,
    }  # fmt: skip
    assumptions = [*dec.assumptions, {
        "name": "prefill/decode disaggregation",
        "value": f"prefill pool {prefill_devices} x {acc.name} ({pre.label()}), decode pool {decode_devices}; KV over the "
                 f"scale-out NIC at {A2A_SCALE_OUT_EFFICIENCY:.2f} of {nic / A2A_SCALE_OUT_EFFICIENCY / 1e9:.0f} GB/s; the idle share "
                 "of the faster pool draws idle power",
        "source": "DistServe (Zhong et al. 2024); DeepSeek Open Infra Index day 6; DeepEP's NIC efficiency"}]  # fmt: skip
    return replace(
        dec, devices=devices, disaggregated=pools, ttft_s=ttft,
        tokens_per_s_per_device=rps * output / devices, device_s_per_output_token=device_s,
        accelerator_w=mean_w, activity=(mean_w - idle) / (tdp - idle) if tdp > idle else dec.activity,
        accelerator_j_per_output_token=mean_w * device_s, assumptions=assumptions,
    )  # fmt: skip
