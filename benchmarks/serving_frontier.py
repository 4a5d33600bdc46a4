"""Published large-scale MoE deployments reproduced from their published set-up: DeepSeek's
inference system (Open Infra Index day 6, H800, prefill/decode disaggregated with expert
parallelism) and LMSYS's SGLang DeepSeek-V3 deployment on H100 (PD + DeepEP + two-batch overlap).

Rows come from ../shared/data/serving_published.csv (sources DS6 and LMEP). Nothing is fitted
here: the serving calibration is the shipped ML.ENERGY fit, the all-to-all efficiency is DeepEP's
published kernel table. Each row also shows the figure of the tensor x pipeline replica trillion
used before it had these layouts. Decode-only and prefill-only pools are modelled as such
(`decode_step` at the published batch per GPU and KV length; `prefill_tokens_per_s_per_device`).

Run: .venv/bin/python benchmarks/serving_frontier.py
"""

from __future__ import annotations

import csv
import statistics
import sys
from pathlib import Path

from trillion.catalog.hardware import find_accelerator
from trillion.catalog.resolve import load_model
from trillion.count.dims import serve_dims
from trillion.serve.layout import ServeLayout
from trillion.serve.perf import (
    Speculation,
    decode_step,
    load_serve_calibration,
    prefill_tokens_per_s_per_device,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "serving_published.csv"
NODE = 8
GPU_HOUR_USD = 2.0  # DeepSeek's own costing assumption (day-6 post)
# DeepSeek's 24-hour totals (day-6 post, as the rows' notes give them): input tokens (cache hits
# included), of them served from the on-disk KV cache, and output tokens
DS_INPUT, DS_HITS, DS_OUTPUT = 608e9, 342e9, 168e9

# row -> (published set-up as a layout, per-GPU batch, KV length or prompt, cache-hit share, speculation,
#         the tensor x pipeline replica used before, trillion command)
SETUPS = {
    "S166": ("decode", ServeLayout(dp=144, ep=144, redundant=32), 128, 4989, 0.0, None, ServeLayout(tp=8, pp=2),
             "trillion serve deepseek-v3 --gpu h800 --gpus 144 --weights fp8 --layout dp=144,ep=144,redundant=32 --batch 18432 --prompt 4489 --output 1000"),
    "S167": ("prefill", ServeLayout(dp=32, ep=32, redundant=32), None, 4096, DS_HITS / DS_INPUT, None, ServeLayout(tp=8, pp=2),
             "trillion serve deepseek-v3 --gpu h800 --gpus 32 --weights fp8 --layout dp=32,ep=32,redundant=32 --prompt 4096 --cache-hit 0.5625"),
    "S169": ("decode", ServeLayout(dp=72, ep=72, redundant=32), 256, 2000, 0.0, None, ServeLayout(tp=8, pp=2),
             "trillion serve deepseek-v3 --gpu h100 --gpus 72 --weights fp8 --layout dp=72,ep=72,redundant=32 --batch 18432 --prompt 1500 --output 1000"),
    "S171": ("decode", ServeLayout(dp=72, ep=72, redundant=32), 128, 4000, 0.0, Speculation(draft_tokens=1, acceptance=0.6),
             ServeLayout(tp=8, pp=2),
             "trillion serve deepseek-v3 --gpu h100 --gpus 72 --weights fp8 --layout dp=72,ep=72,redundant=32 --batch 9216 --draft-tokens 1 --acceptance 0.6"),
    "S173": ("prefill", ServeLayout(dp=32, ep=32, redundant=32), None, 2000, 0.0, None, ServeLayout(tp=8, pp=2),
             "trillion serve deepseek-v3 --gpu h100 --gpus 32 --weights fp8 --layout dp=32,ep=32,redundant=32 --prompt 2000"),
}  # fmt: skip


def per_node(kind, d, acc, lay, batch, length, hit, spec, cal) -> float:
    """Tokens per second per 8-GPU node of a decode-only or prefill-only pool."""
    if kind == "prefill":
        return NODE * prefill_tokens_per_s_per_device(d, acc, lay, int(length), cal, hit)
    if spec is not None and spec.draft_tokens and not spec.draft_cost:
        spec = Speculation(
            draft_tokens=spec.draft_tokens, acceptance=spec.acceptance, draft_cost=1 / d.num_layers
        )
    if lay.dp == 1:  # a tensor x pipeline replica: its KV room bounds the batch (MLA copied on every rank)
        from trillion.serve.plan import max_concurrency, memory_per_device

        room = max_concurrency(d, memory_per_device(d, acc, lay, cal), lay, length)
        micro = max(1, min(batch * lay.devices, room) // lay.pp)
        step = decode_step(d, acc, lay, [micro], length, cal, spec)
        return NODE * micro * lay.pp / float(step.tpot_s[0]) / lay.devices
    step = decode_step(d, acc, lay, [batch], length, cal, spec)
    return NODE * batch / float(step.tpot_s[0])


def fit_overlap(d, rows, setups, sources) -> float:
    """The two-batch-overlap share (0-1, step 0.01) minimising the mean |log(predicted/published)|
    over the throughput rows of `sources`."""
    import math

    best = (math.inf, 0.0)
    for i in range(101):
        ov, loss, n = i / 100, 0.0, 0
        for rid, (kind, lay, batch, length, hit, sp, _old, _cmd) in setups.items():
            if rows[rid]["source_id"] not in sources:
                continue
            acc = find_accelerator(rows[rid]["trillion_gpu"])
            cal = load_serve_calibration().for_device(acc.name).with_(overlap=ov)
            loss += abs(
                math.log(per_node(kind, d, acc, lay, batch, length, hit, sp, cal) / float(rows[rid]["value"]))
            )
            n += 1
        best = min(best, (loss / n, ov))
    return best[1]


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (../shared/data holds the published rows)")
        return 0
    rows = {r["row_id"]: r for r in csv.DictReader(DATA.open(encoding="utf-8"))}
    spec = load_model("deepseek-v3")
    d = serve_dims(spec, "fp8", "bf16")
    print(
        "| row | source | set-up (published) | metric | published | trillion | error | error, overlap fitted without this source | before (tp=8,pp=2) | error before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    errors, before_errors, figures, loso = [], [], {}, {}
    sources = sorted({rows[rid]["source_id"] for rid in SETUPS})
    fitted = fit_overlap(d, rows, SETUPS, set(sources))
    held_out = {s: fit_overlap(d, rows, SETUPS, set(sources) - {s}) for s in sources}
    for rid, (kind, lay, batch, length, hit, sp, old, _cmd) in SETUPS.items():
        r = rows[rid]
        acc = find_accelerator(r["trillion_gpu"])
        cal = load_serve_calibration().for_device(acc.name)
        other = cal.with_(overlap=held_out[r["source_id"]])
        loso[rid] = per_node(kind, d, acc, lay, batch, length, hit, sp, other) / float(r["value"]) - 1
        new = per_node(kind, d, acc, lay, batch, length, hit, sp, cal)
        prev = per_node(kind, d, acc, old, batch, length, hit, sp, cal)
        pub = float(r["value"])
        figures[rid] = new
        errors.append(new / pub - 1)
        before_errors.append(prev / pub - 1)
        setup = f"{lay.label()}, " + (
            f"batch {batch}/GPU, KV {length}"
            if kind == "decode"
            else f"prompt {length}, cache hits {hit:.1%}"
        )
        if sp:
            setup += f", MTP acceptance {sp.acceptance:.0%}"
        print(f"| {rid} | {r['source_id']} | {setup} | {r['metric']} | {pub:,.0f} | {new:,.0f} | {new / pub - 1:+.0%} "
              f"| {loso[rid]:+.0%} | {prev:,.0f} | {prev / pub - 1:+.0%} |")  # fmt: skip
    # DeepSeek's fleet cost: node-seconds of decode and prefill for one day's tokens at $2/GPU-hour
    decode_node_s = DS_OUTPUT / figures["S166"]
    prefill_node_s = DS_INPUT / figures["S167"]
    usd = (decode_node_s + prefill_node_s) * NODE * GPU_HOUR_USD / 3600
    pub_cost = float(rows["S168"]["value"])
    cost = usd / (DS_OUTPUT / 1e6)
    print(f"| S168 | DS6 | one day's tokens ({DS_INPUT / 1e9:.0f}B in, {DS_OUTPUT / 1e9:.0f}B out) on the pools above, "
          f"${GPU_HOUR_USD:.0f}/GPU-hour | cost_usd_per_mtok_output | {pub_cost:.3f} | {cost:.3f} | {cost / pub_cost - 1:+.0%} | - | - | - |")  # fmt: skip
    errors.append(cost / pub_cost - 1)
    print()
    print(
        f"cost per day: trillion ${usd:,.0f} (decode {decode_node_s / 86400:.1f} node-days, prefill "
        f"{prefill_node_s / 86400:.1f}) against DeepSeek's $87,072 for 226.75 nodes on average"
    )
    shipped = load_serve_calibration().overlap
    print(
        f"two-batch overlap: fitted on all sources {fitted:.2f} (shipped {shipped:.2f}); fitted without "
        + ", ".join(f"{s}: {v:.2f}" for s, v in held_out.items())
        + (" -- at its lower bound: a missing mechanism" if fitted == 0 else "")
    )
    print(
        f"5 throughput rows: median |error| {statistics.median(abs(e) for e in errors[:-1]):.0%} in-sample, "
        f"{statistics.median(abs(e) for e in loso.values()):.0%} leave-one-source-out; with the cost row "
        f"{statistics.median(abs(e) for e in errors):.0%}; before (tensor x pipeline replicas): "
        f"{statistics.median(abs(e) for e in before_errors):.0%}"
    )
    print()
    print("commands (the same set-ups as trillion serve plans, whole requests and chunked prefill included):")
    for rid, setup in SETUPS.items():
        print(f"  {rid}: {setup[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
