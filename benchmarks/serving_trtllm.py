"""TensorRT-LLM's published serving rows (its v0.9 performance tables, its current perf overview,
and NVIDIA's MLPerf Inference v4.1 closed-division results): predicted with the shipped vLLM
(ML.ENERGY) calibration, then with TensorRT-LLM's own engine constants fitted on these rows,
in-sample and leave-one-source-out (fit on two sources, predict the third).

Rows: ../shared/data/serving_published.csv (sources TRT9, TRTPO, MLP41; calibration data by the
data README). Each row is predicted from its published set-up:
- static batch (TRT9 gptSessionBenchmark): B prompts prefilled together, then O decode steps at
  the mean context, per GPU of the tensor-parallel group;
- first-token latency (TRT9): one prompt on an idle group (`prefill_s`);
- max-throughput offline (TRTPO, MLPerf Offline): continuous batching, the highest-throughput
  batch within KV room (batch not published); MLPerf's system of 8 GPUs as 8/tp replicas of the
  best tensor-parallel size; "TP8 (EP, attention DP)" as dp=8, ep=8.
- MLPerf Server's mean TTFT under load: the file carries no arrival rate, but the scenario's rule
  does fix it — the submitter runs the highest query rate whose p99 TTFT and TPOT stay within the
  limits the row states (e.g. TTFT<=2 s, TPOT<=200 ms). So: per tensor-parallel size dividing the
  system, the largest Poisson rate per replica that the load model (`trillion.serve.load`, the
  engine's max_num_seqs = the KV room) serves within both limits (bisection), the best system
  rate over sizes, and the mean TTFT the load model gives there. Predicted with each calibration,
  not fitted on (a simulation per residual is too slow for the least-squares loop).

The fitted constants are reported, not shipped: they do not reach the issue's target (see
BENCHMARKS.md), so `trillion serve` keeps the ML.ENERGY (vLLM) calibration.

Run: .venv/bin/python benchmarks/serving_trtllm.py [--mechanisms]
"""

from __future__ import annotations

import csv
import math
import re
import statistics
import sys
from functools import cache
from pathlib import Path

import numpy as np

from trillion.catalog.hardware import find_accelerator
from trillion.catalog.resolve import load_model
from trillion.count.dims import serve_dims
from trillion.errors import InputError
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import (
    ServeCalibration,
    decode_step,
    load_serve_calibration,
    prefill_batch_s,
    prefill_s,
)
from trillion.serve.plan import max_concurrency, memory_per_device, operating_points

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "serving_published.csv"
SOURCES = ("TRT9", "TRTPO", "MLP41")
OUT = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "trillion"
    / "catalog"
    / "calibration"
    / "serving-trtllm.toml"
)
# the engine constants fitted here (the device efficiencies too: one value for every device, so a
# device is never given the mean of others), with their bounds
FIT = {"eta_hbm": (0.3, 1.0), "eta_gemm": (0.2, 1.0), "eta_prefill": (0.1, 1.0),
       "step_overhead_s": (1e-5, 0.02), "per_sequence_s": (0.0, 2e-4)}  # fmt: skip
# --mechanisms: two more constants, the optional mechanisms of `ServeCalibration` (KV reads at their
# own bandwidth, routed experts' grouped GEMMs at a share of the dense efficiency)
MECHANISMS = {"eta_kv": (0.2, 1.0), "expert_gemm_share": (0.05, 1.0)}
WEIGHTS = {"fp16": "fp16", "fp8": "fp8", "fp4": "fp4"}


def _precision(text: str) -> str:
    return text.split(" ")[0].strip()


def _layout(parallelism: str, gpus: int, experts: int) -> list[ServeLayout]:
    """The published tensor-parallel group (EP + attention DP where stated); all tp sizes that
    divide an unpublished system."""
    p = parallelism.upper()
    if p.startswith("TP"):
        tp = int(p[2:].split(" ")[0].split(",")[0])
        if "EP" in p and experts and experts % tp == 0:
            return [ServeLayout(dp=tp, ep=tp)]
        return [ServeLayout(tp=tp)]
    return [ServeLayout(tp=t) for t in (1, 2, 4, 8) if gpus % t == 0]


@cache
def _dims(model: str, weights: str, kv: str):
    name = model.replace("config:llama4-scout", "llama-4-scout")
    return serve_dims(load_model(name), WEIGHTS.get(weights, weights), WEIGHTS.get(kv, kv))


def rows() -> list[dict]:
    return [r for r in csv.DictReader(DATA.open(encoding="utf-8")) if r["source_id"] in SOURCES]


def _limits(scenario: str) -> tuple[float, float]:
    """(p99 TTFT limit s, p99 TPOT limit s) from a scenario text such as 'TTFT<=2 s, TPOT<=200 ms p99'."""
    found = dict(re.findall(r"(TTFT|TPOT)<=([0-9.]+ *m?s)", scenario))
    seconds = lambda text: float(text.rstrip("ms ").strip()) / (1e3 if text.strip().endswith("ms") else 1)  # noqa: E731
    return seconds(found["TTFT"]), seconds(found["TPOT"])


def server_ttft_ms(r: dict, acc, d, layouts: list[ServeLayout], cal: ServeCalibration) -> float | None:
    """Mean TTFT (ms) at the highest rate the MLPerf Server limits allow (see the module doc)."""
    from trillion.serve.load import simulate_load
    from trillion.serve.plan import prefill_s_per_token

    ttft_limit, tpot_limit = _limits(r["scenario"])
    prompt, output, gpus = (
        int(float(r["input_tokens"])),
        max(1, round(float(r["output_tokens"]))),
        int(r["gpus"]),
    )
    best: tuple[float, float] | None = None  # (system qps, mean TTFT s)
    for lay in layouts:
        room = max_concurrency(d, memory_per_device(d, acc, lay, cal), lay, prompt + output / 2)
        if room < 1:
            continue
        steps = decode_step(
            d, acc, lay, np.arange(0, room + 1, dtype=float), prompt + output / 2, cal
        ).total_s
        per_token = prefill_s_per_token(d, acc, lay, prompt, cal)

        def run(qps: float, steps=steps, per_token=per_token):
            return simulate_load(steps, per_token, prompt, output, qps, requests=1500)

        def ok(res) -> bool:
            return res.stable and res.ttft_s["p99"] <= ttft_limit and res.tpot_s["p99"] <= tpot_limit

        lo, hi = 0.0, run(1.0).capacity_qps  # the rate per replica lies below its capacity
        for _ in range(14):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ok(run(mid)) else (lo, mid)
        if lo <= 0:
            continue
        system = lo * (gpus // lay.devices)
        if best is None or system > best[0]:
            best = (system, run(lo).mean_ttft_s)
    return None if best is None else 1e3 * best[1]


def predict(r: dict, cal: ServeCalibration) -> float | None:
    """The row's metric as trillion predicts it from the published set-up (None: not modelled)."""
    try:  # the file's `expressible` column predates L40S and RTX PRO 6000 in the catalog
        acc = find_accelerator(r["trillion_gpu"])
    except InputError:
        return None
    c = cal.for_device(acc.name)
    d = _dims(r["trillion_model"], _precision(r["weights"]), _precision(r["kv"]))
    prompt, output = int(float(r["input_tokens"])), max(1, round(float(r["output_tokens"] or 1)))
    gpus = int(r["gpus"])
    layouts = _layout(r["parallelism"], gpus, d.num_experts)
    if r["metric"] == "ttft_ms_mean":
        return server_ttft_ms(r, acc, d, layouts, c) if r["scenario"].startswith("MLPerf Server") else None
    if r["metric"] == "ttft_ms":
        return 1e3 * prefill_s(d, acc, layouts[0], prompt, c)
    if r["scenario"].startswith("static-batch"):
        lay, b = layouts[0], int(r["batch"])
        step = decode_step(d, acc, lay, [b], prompt + output / 2, c)
        total = prefill_batch_s(d, acc, lay, prompt, b, c) + output * float(step.tpot_s[0])
        return b * output / total / lay.devices
    best = 0.0
    for lay in layouts:
        room = max_concurrency(d, memory_per_device(d, acc, lay, c), lay, prompt + output / 2)
        if room < lay.dp:
            continue
        batches = np.unique(np.minimum(room, lay.dp * 2 ** np.arange(0, 14)))
        ops = operating_points(d, acc, lay, batches.astype(float), prompt, output, c)
        replica = max(o.tokens_per_s_per_replica for o in ops)
        best = max(best, replica * (gpus // lay.devices))
    return best or None


def _errors(rs: list[dict], cal: ServeCalibration) -> list[tuple[dict, float | None]]:
    out = []
    for r in rs:
        p = predict(r, cal)
        out.append((r, None if p is None else p / float(r["value"]) - 1))
    return out


def fit(
    rs: list[dict], base: ServeCalibration, bounds: dict[str, tuple[float, float]] = FIT
) -> ServeCalibration:
    from scipy.optimize import least_squares

    names = list(bounds)
    generic = base.with_(devices={})  # one value per constant for every device

    def residuals(x):
        cal = generic.with_(**dict(zip(names, x, strict=True)))
        res = []
        for r in rs:
            if r["metric"] == "ttft_ms_mean":
                continue  # predicted, not fitted on (a load simulation per residual)
            p = predict(r, cal)
            if p is not None and p > 0:
                res.append(math.log(p / float(r["value"])))
        return np.asarray(res)

    x0 = [
        v
        if (v := getattr(generic, n)) is not None and bounds[n][0] <= v <= bounds[n][1]
        else sum(bounds[n]) / 2
        for n in names
    ]
    lo, hi = zip(*(bounds[n] for n in names), strict=True)
    sol = least_squares(residuals, x0, bounds=(lo, hi), loss="soft_l1", f_scale=0.1, diff_step=1e-3)
    return generic.with_(**dict(zip(names, (float(v) for v in sol.x), strict=True)),
                         source="fitted on TensorRT-LLM's published rows (TRT9, TRTPO, MLP41)")  # fmt: skip


def _median(errs) -> str:
    vals = [abs(e) for e in errs if e is not None]
    return f"{statistics.median(vals):.1%} over {len(vals)}" if vals else "-"


def main(argv: list[str]) -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    rs = rows()
    bounds = {**FIT, **MECHANISMS} if "--mechanisms" in argv else FIT
    vllm = load_serve_calibration()
    before = dict((r["row_id"], e) for r, e in _errors(rs, vllm))
    full = fit(rs, vllm, bounds)
    inside = dict((r["row_id"], e) for r, e in _errors(rs, full))
    loso: dict[str, float | None] = {}
    held: dict[str, ServeCalibration] = {}
    for s in SOURCES:
        held[s] = fit([r for r in rs if r["source_id"] != s], vllm, bounds)
        for r, e in _errors([r for r in rs if r["source_id"] == s], held[s]):
            loso[r["row_id"]] = e
    print(
        "| row | source | model | GPU | set-up | metric | published | vLLM calibration | fitted (in-sample) | leave-one-source-out |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rs:
        cell = lambda e: "not modelled" if e is None else f"{e:+.0%}"  # noqa: E731
        setup = f"{r['gpus']}x {r['parallelism']}, {_precision(r['weights'])}, in {r['input_tokens']} / out {r['output_tokens']}" + (
            f", batch {r['batch']}" if r["batch"] else "")  # fmt: skip
        print(f"| {r['row_id']} | {r['source_id']} | {r['trillion_model']} | {r['trillion_gpu']} | {setup} | {r['metric']} "
              f"| {float(r['value']):,.1f} | {cell(before[r['row_id']])} | {cell(inside[r['row_id']])} | {cell(loso[r['row_id']])} |")  # fmt: skip
    print()
    for label, m in (
        ("throughput", lambda r: r["metric"].startswith("output")),
        ("TTFT", lambda r: r["metric"].startswith("ttft")),
    ):
        sel = [r["row_id"] for r in rs if m(r)]
        print(f"{label}: median |error| vLLM calibration {_median(before[i] for i in sel)}; fitted in-sample "
              f"{_median(inside[i] for i in sel)}; leave-one-source-out {_median(loso[i] for i in sel)}")  # fmt: skip
    refused = [r["row_id"] for r in rs if inside[r["row_id"]] is None]
    print(f"not predicted: {len(refused)} rows" + (f" ({', '.join(refused)})" if refused else ""))
    print("fitted constants: " + ", ".join(f"{n}={getattr(full, n):.4g}" for n in bounds)
          + "; at a bound: " + (", ".join(n for n, b in bounds.items() if min(abs(getattr(full, n) - v) for v in b) < 1e-3 * (b[1] - b[0])) or "none"))  # fmt: skip
    for s, c in held.items():
        print(f"  without {s}: " + ", ".join(f"{n}={getattr(c, n):.4g}" for n in bounds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
