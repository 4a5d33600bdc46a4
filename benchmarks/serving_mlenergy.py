"""Serving energy per output token against ML.ENERGY's measured vLLM runs (H100, B200).

Run:  .venv/bin/python benchmarks/serving_mlenergy.py [--write-calibration] [--pooled]

Data: ../shared/data/mlenergy_v3_llm_summary.csv (ML.ENERGY Leaderboard v3.0, vLLM 0.11.1; GPU
energy only). Rows used: text tasks (lm-arena-chat, gpqa, sourcegraph-fim) of models whose
architecture is in trillion's catalog; identical rows listed under two selections counted once.
Multimodal tasks are left out (no vision encoder in the model), as are architectures without a
catalog entry (Nemotron Nano v2). The 2025 layer kinds the catalog gained later (gpt-oss: sinks
and 128-token windows; Llama 4: chunked attention; Gemma 3: 5 local : 1 global) are reported as a
further held-out table, outside the split, so the calibration is unchanged by their arrival.

Split rule (stated before fitting): the distinct architectures sorted by name; those at even
positions calibrate, those at odd positions are held out. Every row of an architecture (all
tasks, GPUs, batch sizes, precisions, instruct/thinking variants) falls on one side.

Calibrated on the calibration rows only (least squares on log time per output token, log
throughput and log GPU power): the serving efficiencies of `trillion.serve.perf`, the activity of
memory-bound decode, and each task's mean prompt length (not published in the summary).
Concurrency: vLLM's max_num_seqs capped by the KV-cache room trillion computes.
"""

from __future__ import annotations

import csv
import os
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from trillion import load_model
from trillion.catalog.hardware import find_accelerator
from trillion.count.dims import serve_dims
from trillion.serve.perf import ServeCalibration
from trillion.serve.plan import memory_per_device, operating_points, sequence_bytes_per_device, split

DATA = Path(os.environ.get("TRILLION_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
TEXT_TASKS = ("lm-arena-chat", "gpqa", "sourcegraph-fim")
ARCH = {  # ML.ENERGY model id prefix -> catalog architecture
    "meta-llama/Llama-3.1-8B": "llama-3.1-8b",
    "meta-llama/Llama-3.1-70B": "llama-3.1-70b",
    "meta-llama/Llama-3.3-70B": "llama-3.1-70b",
    "meta-llama/Llama-3.1-405B": "llama-3.1-405b",
    "Qwen/Qwen3-8B": "qwen3-8b",
    "Qwen/Qwen3-14B": "qwen3-14b",
    "Qwen/Qwen3-32B": "qwen3-32b",
    "Qwen/Qwen3-30B-A3B": "qwen3-30b-a3b",
    "Qwen/Qwen3-Coder-30B-A3B": "qwen3-30b-a3b",
    "Qwen/Qwen3-235B-A22B": "qwen3-235b-a22b",
    "Qwen/Qwen3-Coder-480B-A35B": "qwen3-coder-480b-a35b",
    "deepseek-ai/DeepSeek-V3.1": "deepseek-v3",
    "deepseek-ai/DeepSeek-R1-0528": "deepseek-v3",
}
NEW_ARCH = {  # validation only, never in the split (see module doc)
    "openai/gpt-oss-120b": "gpt-oss-120b",
    "openai/gpt-oss-20b": "gpt-oss-20b",
    "meta-llama/Llama-4-Scout-17B-16E": "llama-4-scout",
    "meta-llama/Llama-4-Maverick-17B-128E": "llama-4-maverick",
    "google/gemma-3-27b": "gemma-3-27b",
}
PRECISION = {"bfloat16": "bf16", "fp8": "fp8", "mxfp4": "mxfp4"}  # no mxfp4 row in the split (gpt-oss only)
GPU = {"H100": "h100-sxm", "B200": "b200"}
FITTED = ("eta_moe", "eta_gemm", "eta_prefill", "step_overhead_s", "per_sequence_s", "allreduce_latency_s")
PER_DEVICE = ("eta_hbm", "memory_bound_activity")  # one value per GPU type
# --pooled: no per-device constant at all — one HBM efficiency and one activity for every device,
# plus a per-layer launch floor (`ServeCalibration.layer_floor_s`), so a device's figures follow
# from its own specs (bandwidth, peaks, TDP), never from the mean of other devices
POOLED = (*FITTED, "eta_hbm", "memory_bound_activity", "layer_floor_s")
START = dict(eta_hbm=0.8, eta_moe=0.6, eta_gemm=0.6, eta_prefill=0.5, step_overhead_s=0.003, per_sequence_s=20e-6,
             allreduce_latency_s=15e-6, memory_bound_activity=0.5, layer_floor_s=2e-5)  # fmt: skip
BOUNDS = dict(eta_hbm=(0.2, 0.95), eta_moe=(0.1, 1.0), eta_gemm=(0.1, 0.95), eta_prefill=(0.1, 0.95),
              step_overhead_s=(1e-4, 0.03), per_sequence_s=(0.0, 5e-4), allreduce_latency_s=(1e-6, 2e-4),
              memory_bound_activity=(0.0, 1.0), layer_floor_s=(0.0, 3e-4))  # fmt: skip
PROMPT_BOUNDS = (100.0, 8000.0)


def _arch(model: str, table: dict[str, str] = ARCH) -> str | None:
    return next((a for prefix, a in table.items() if model.startswith(prefix)), None)


def load_rows(table: dict[str, str] = ARCH) -> list[dict]:
    path = DATA / "mlenergy_v3_llm_summary.csv"
    if not path.exists():
        sys.exit(f"skipped: {path} not found (set TRILLION_SHARED_DATA)")
    seen, rows = set(), []
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            arch = _arch(r["model"], table)
            if r["task"] not in TEXT_TASKS or arch is None or r["weight_precision"] not in PRECISION:
                continue
            key = (r["model"], r["task"], r["gpu"], r["num_gpus"], r["max_num_seqs"])
            if key in seen:
                continue
            seen.add(key)
            rows.append({**r, "arch": arch})
    return rows


def split_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    archs = sorted({r["arch"] for r in rows})
    cal_archs = set(archs[0::2])
    return [r for r in rows if r["arch"] in cal_archs], [r for r in rows if r["arch"] not in cal_archs]


def predict(r: dict, cal: ServeCalibration, prompt: float) -> dict[str, float]:
    acc = find_accelerator(GPU[r["gpu"]])
    d = serve_dims(load_model(r["arch"]), PRECISION[r["weight_precision"]], "bf16")
    n = int(r["num_gpus"])
    lay = split(acc, n)
    output = float(r["avg_output_tokens"])
    mem = memory_per_device(d, acc, lay, cal.for_device(acc.name))
    room = mem.kv_capacity / sequence_bytes_per_device(d, lay, prompt + output / 2)
    batch = max(1.0, min(float(r["max_num_seqs"]), room))
    op = operating_points(d, acc, lay, np.asarray([batch]), prompt, output, cal.for_device(acc.name))[0]
    energy = op.gpu_w * n * op.tpot_s / op.batch
    return {"tpot_s": op.tpot_s, "tokens_per_s": op.tokens_per_s_per_replica, "gpu_w": op.gpu_w,
            "energy_j": energy, "batch": batch}  # fmt: skip


def _unpack(x: np.ndarray, tasks: list[str]) -> tuple[ServeCalibration, dict[str, float]]:
    k = len(FITTED)
    devices = {}
    for i, gpu in enumerate(sorted(GPU.values())):
        values = x[k + i * len(PER_DEVICE) : k + (i + 1) * len(PER_DEVICE)]
        devices[gpu] = {name: float(v) for name, v in zip(PER_DEVICE, values, strict=True)}
    k += len(GPU) * len(PER_DEVICE)
    glob = {name: float(v) for name, v in zip(FITTED, x[: len(FITTED)], strict=True)}
    cal = ServeCalibration(**glob, devices=devices, source="fit")
    return cal, {task: float(v) for task, v in zip(tasks, x[k:], strict=True)}


def fit(rows: list[dict]) -> tuple[ServeCalibration, dict[str, float]]:
    tasks = sorted({r["task"] for r in rows})

    def residuals(x: np.ndarray) -> np.ndarray:
        cal, prompts = _unpack(x, tasks)
        out = []
        for r in rows:
            p = predict(r, cal, prompts[r["task"]])
            out += [
                np.log(p["tpot_s"] / (float(r["median_itl_ms"]) / 1e3)),
                np.log(p["tokens_per_s"] / float(r["output_tokens_per_s"])),
                np.log(p["gpu_w"] / (float(r["avg_power_w_all_gpus"]) / int(r["num_gpus"]))),
            ]
        return np.asarray(out)

    per = [k for _ in GPU for k in PER_DEVICE]
    x0 = np.asarray([START[k] for k in FITTED] + [START[k] for k in per] + [500.0] * len(tasks))
    lo = [BOUNDS[k][0] for k in FITTED] + [BOUNDS[k][0] for k in per] + [PROMPT_BOUNDS[0]] * len(tasks)
    hi = [BOUNDS[k][1] for k in FITTED] + [BOUNDS[k][1] for k in per] + [PROMPT_BOUNDS[1]] * len(tasks)
    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac")
    return _unpack(res.x, tasks)


def report(rows: list[dict], cal: ServeCalibration, prompts: dict[str, float], title: str) -> list[float]:
    print(f"\n### {title}\n")
    print(
        "| model | task | GPU | batch (max_num_seqs -> used) | ITL ms meas / pred | W per GPU meas / pred | J per token meas / pred | error |"
    )
    print("|---|---|---|---|---|---|---|---|")
    errors = []
    for r in sorted(
        rows, key=lambda r: (r["arch"], r["task"], r["gpu"], int(r["num_gpus"]), int(r["max_num_seqs"]))
    ):
        p = predict(r, cal, prompts.get(r["task"], statistics.median(prompts.values())))
        meas = float(r["energy_per_output_token_j"])
        err = p["energy_j"] / meas - 1
        errors.append(abs(err))
        print(
            f"| {r['model'].split('/')[1]} | {r['task']} | {r['num_gpus']}x{r['gpu']} | {r['max_num_seqs']} -> {p['batch']:.0f} "
            f"| {float(r['median_itl_ms']):.1f} / {p['tpot_s'] * 1e3:.1f} "
            f"| {float(r['avg_power_w_all_gpus']) / int(r['num_gpus']):.0f} / {p['gpu_w']:.0f} | {meas:.3f} / {p['energy_j']:.3f} | {err:+.1%} |"
        )
    print(
        f"\n{len(errors)} rows: median |error| {statistics.median(errors):.1%}, mean {statistics.mean(errors):.1%}"
    )
    return errors


def write_calibration(cal: ServeCalibration, prompts: dict[str, float], n_rows: int) -> None:
    path = (
        Path(__file__).resolve().parents[1]
        / "src"
        / "trillion"
        / "catalog"
        / "calibration"
        / "serving-mlenergy.toml"
    )
    lines = [
        "# Written by benchmarks/serving_mlenergy.py --write-calibration; do not edit by hand.",
        "[source]",
        f'title = "fitted on ML.ENERGY v3 vLLM runs (H100, B200): {n_rows} calibration rows, architectures at even'
        ' positions by name"',
        'data = "../shared/data/mlenergy_v3_llm_summary.csv (ml-energy/leaderboard@0cd52da)"',
        "",
        "[calibration]",
        *(f"{k} = {getattr(cal, k):.6g}" for k in FITTED),
        "# devices without their own fit: the mean of the fitted devices",
        *(f"{k} = {np.mean([over[k] for over in cal.devices.values()]):.6g}" for k in PER_DEVICE),
        "",
        *(
            line
            for gpu, over in cal.devices.items()
            for line in (f"[device.{gpu}]", *(f"{k} = {v:.6g}" for k, v in over.items()), "")
        ),
        "[task_prompt_tokens]  # mean prompt per ML.ENERGY task (fitted; used by the benchmark only)",
        *(f'"{k}" = {v:.0f}' for k, v in prompts.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")


def main() -> None:
    global FITTED, PER_DEVICE
    if "--pooled" in sys.argv:
        FITTED, PER_DEVICE = POOLED, ()
    rows = load_rows()
    cal_rows, test_rows = split_rows(rows)
    print(f"{len(rows)} usable rows: {len(cal_rows)} calibrate ({sorted({r['arch'] for r in cal_rows})}),")
    print(f"{len(test_rows)} held out ({sorted({r['arch'] for r in test_rows})})")
    cal, prompts = fit(cal_rows)
    print(
        "\nfitted: "
        + ", ".join(f"{k}={getattr(cal, k):.4g}" for k in FITTED)
        + "; per device: "
        + "; ".join(f"{g} " + ", ".join(f"{k}={v:.4g}" for k, v in o.items()) for g, o in cal.devices.items())
    )
    print("task mean prompt tokens: " + ", ".join(f"{k}={v:.0f}" for k, v in prompts.items()))
    report(cal_rows, cal, prompts, "calibration rows (in-sample)")
    report(test_rows, cal, prompts, "held-out rows")
    new_rows = load_rows(NEW_ARCH)
    report(
        new_rows,
        cal,
        prompts,
        "held-out rows of the 2025 layer kinds (gpt-oss, Llama 4, Gemma 3; outside the split)",
    )
    base = replace(ServeCalibration(), source="defaults")
    report(test_rows, base, {t: 500.0 for t in prompts}, "held-out rows, unfitted defaults (prompt 500)")
    if "--write-calibration" in sys.argv:
        write_calibration(cal, prompts, len(cal_rows))


if __name__ == "__main__":
    main()
