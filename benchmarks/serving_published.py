"""Serving latency and throughput against published vLLM measurements of Llama-3.1-8B-Instruct.

Run:  .venv/bin/python benchmarks/serving_published.py

Independent of ML.ENERGY (whose rows calibrate the model): two public vLLM concurrency sweeps
with their configuration stated by their authors. trillion plans each point with the shipped
calibration (A100 has no fit of its own: it takes the mean of the fitted devices), the stated
prompt and output lengths, and the batch equal to the concurrency.
"""

from __future__ import annotations

import statistics

import numpy as np

from trillion import load_model
from trillion.catalog.hardware import find_accelerator
from trillion.count.dims import serve_dims
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import load_serve_calibration, prefill_s
from trillion.serve.plan import operating_points

# source, accelerator, prompt, output, concurrency, measured output tok/s (None if unpublished),
# measured median TPOT s (None if unpublished), note
POINTS = [
    ("johnmusgrave.com 'vLLM throughput-latency sweep on NVIDIA A100' (vLLM 0.23.0, BF16, random 1024 in / 128 out)",
     "a100-40gb", 1024, 128, 1, 75.0, None, "'decode at one request ... about 75 tokens/sec'"),
    ("as above", "a100-40gb", 1024, 128, 8, 6.6 * 75.0, None, "'a 6.6x gain' at concurrency 8"),
    ("yobitelcomm.github.io InferenceBench concurrency-sweep recipe (vLLM 0.21.0, fp16, H100-80GB HBM3, 2026-05-16)",
     "h100-sxm", 256, 128, 1, 122.2, 6.48e-3, "workload 'chatbot-short': lengths not stated, 256 in / 128 out assumed"),
    ("as above", "h100-sxm", 256, 128, 4, 580.3, 6.59e-3, "as above"),
    ("as above", "h100-sxm", 256, 128, 16, 1384.2, 10.94e-3, "as above"),
]  # fmt: skip


def main() -> None:
    cal = load_serve_calibration()
    spec = load_model("llama-3.1-8b")
    d = serve_dims(spec, "bf16", "bf16")
    print(
        "| source | GPU | in / out | concurrency | output tok/s meas / pred | error | TPOT ms meas / pred | error |"
    )
    print("|---|---|---|---|---|---|---|---|")
    tput_err, tpot_err = [], []
    for source, gpu, prompt, output, conc, tput, tpot, note in POINTS:
        acc = find_accelerator(gpu)
        c = cal.for_device(acc.name)
        op = operating_points(d, acc, ServeLayout(), np.asarray([float(conc)]), prompt, output, c)[0]
        # a closed-loop client: each request also waits its time to first token
        per_request = prefill_s(d, acc, ServeLayout(), prompt, c) + output * op.tpot_s
        pred_tput = conc * output / per_request
        e1 = pred_tput / tput - 1
        tput_err.append(abs(e1))
        cells = f"{tput:,.0f} / {pred_tput:,.0f} | {e1:+.1%}"
        if tpot is not None:
            e2 = op.tpot_s / tpot - 1
            tpot_err.append(abs(e2))
            cells += f" | {tpot * 1e3:.2f} / {op.tpot_s * 1e3:.2f} | {e2:+.1%}"
        else:
            cells += " | - | -"
        print(f"| {source} ({note}) | {gpu} | {prompt} / {output} | {conc} | {cells} |")
    print(
        f"\nthroughput: median |error| {statistics.median(tput_err):.1%} over {len(tput_err)} points; "
        f"time per output token: median |error| {statistics.median(tpot_err):.1%} over {len(tpot_err)} points"
    )


if __name__ == "__main__":
    main()
