"""Step-time accuracy against vTrain's measurements: fit on single-node rows only, test on multi-node.

Run:  .venv/bin/python benchmarks/step_time_vtrain.py [--write-calibration]

1. Fits the efficiency constants of `trillion.plan.perf.Calibration` (eta_gemm, eta_hbm, eta_net,
   gemm_overhead_s, net_latency_s, layer_overhead_s; the attention kernel as a discrete choice)
   by least squares on log step time over the 1,440 single-node rows (2-8 A100).
2. Predicts the 109 multi-node rows (64-512 A100) it never saw and prints MAPE and worst cases.
With --write-calibration the fitted constants are written to the package's default calibration
(src/trillion/catalog/calibration/a100-vtrain-single.toml) with this command as provenance.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).parent))
from vtrain import Row, gpt_spec, load  # noqa: E402

from trillion.catalog.hardware import find_cluster  # noqa: E402
from trillion.count.dims import model_dims  # noqa: E402
from trillion.plan.perf import Calibration, step_time  # noqa: E402

CLUSTER = find_cluster("vtrain-a100")
FIELDS = ("eta_gemm", "eta_hbm", "eta_net", "gemm_overhead_s", "net_latency_s", "layer_overhead_s")
LOWER = (0.2, 0.2, 0.1, 0.0, 0.0, 0.0)
UPPER = (1.0, 1.0, 1.0, 5e-5, 1e-4, 1e-2)


def predict(rows: list[Row], cal: Calibration) -> np.ndarray:
    """Predicted seconds per step for `rows` (vectorised per model shape)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.hidden, r.heads, r.layers, r.seq_len, r.tp)].append(i)
    out = np.empty(len(rows))
    for idx in groups.values():
        d = model_dims(gpt_spec(rows[idx[0]]))
        sub = [rows[i] for i in idx]

        def arr(name: str, sub: list[Row] = sub) -> np.ndarray:
            return np.array([getattr(r, name) for r in sub], dtype=float)

        st = step_time(
            d,
            CLUSTER,
            seq_len=sub[0].seq_len,
            global_batch=arr("global_batch"),
            dp=arr("dp"),
            tp=arr("tp"),
            pp=arr("pp"),
            mbs=arr("mbs"),
            recompute="full",
            dtype="fp16",
            cal=cal,
        )
        out[idx] = st.step_s
    return out


def fit(rows: list[Row]) -> Calibration:
    measured = np.array([r.measured_s for r in rows])
    best = None
    for kernel in ("unfused", "flash"):
        base = Calibration(attention_kernel=kernel, dp_overlap=0.0)

        def residuals(x: np.ndarray, base: Calibration = base) -> np.ndarray:
            cal = base.with_(**dict(zip(FIELDS, x, strict=True)))
            return np.log(predict(rows, cal)) - np.log(measured)

        x0 = np.array([getattr(base, f) for f in FIELDS])
        res = least_squares(residuals, x0, bounds=(LOWER, UPPER), x_scale=np.maximum(x0, 1e-6))
        if best is None or res.cost < best[0].cost:
            best = (res, base)
    res, base = best
    cal = base.with_(**dict(zip(FIELDS, (float(v) for v in res.x), strict=True)))
    return cal.with_(log_sigma=float(np.std(res.fun)))


def report(name: str, rows: list[Row], cal: Calibration, worst: int = 5) -> float:
    pred = predict(rows, cal)
    measured = np.array([r.measured_s for r in rows])
    ape = np.abs(pred - measured) / measured
    print(
        f"{name}: {len(rows)} rows, MAPE {ape.mean():.1%}, median APE {np.median(ape):.1%}, "
        f"within 10%: {(ape <= 0.10).mean():.0%}, max {ape.max():.1%}"
    )
    for i in np.argsort(-ape)[:worst]:
        r = rows[i]
        print(
            f"  worst: h={r.hidden} L={r.layers} gpus={r.gpus} tp={r.tp} dp={r.dp} pp={r.pp} mbs={r.mbs} "
            f"global_batch={r.global_batch}: measured {r.measured_s:.3f} s, predicted {pred[i]:.3f} s ({pred[i] / r.measured_s - 1:+.1%})"
        )
    return float(ape.mean())


def write_calibration(cal: Calibration, single_mape: float) -> Path:
    path = Path(__file__).resolve().parents[1] / "src/trillion/catalog/calibration/a100-vtrain-single.toml"
    path.parent.mkdir(exist_ok=True)
    lines = [
        "# Step-time efficiencies fitted by benchmarks/step_time_vtrain.py --write-calibration",
        "# on ../shared/data/vtrain_ground_truth_single.csv only (1,440 runs on 2-8 A100, Megatron-DeepSpeed).",
        f"# Fit residual on those rows: MAPE {single_mape:.2%}. The multi-node rows are never used here.",
        'name = "a100-vtrain-single"',
    ]
    for f in FIELDS:
        lines.append(f"{f} = {getattr(cal, f):.6g}")
    lines.append(f'attention_kernel = "{cal.attention_kernel}"')
    lines.append(f"log_sigma = {cal.log_sigma:.4g}  # std of log(measured/predicted) on the fitted rows")
    lines.append(
        'source = "fitted on vTrain single-node measurements (A100); benchmarks/step_time_vtrain.py"'
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def llm_analysis_baseline(multi: list[Row]) -> None:
    """Run llm-analysis (pinned, in its own venv; see benchmarks/baselines/) on the same rows."""
    import os
    import subprocess

    python = os.environ.get("LLM_ANALYSIS_PYTHON", "/tmp/llma/bin/python")
    script = Path(__file__).parent / "baselines" / "llm_analysis_vtrain.py"
    if not Path(python).exists():
        print(
            f"llm-analysis baseline skipped: {python} not found (python3 -m venv /tmp/llma && "
            "/tmp/llma/bin/pip install llm-analysis==0.2.2)"
        )
        return
    from vtrain import DATA

    out = subprocess.run(
        [python, str(script), str(DATA / "vtrain_ground_truth_multi.csv")],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    ape, rejected = [], 0
    for line in out.stdout.splitlines():
        i, value = line.split(",", 1)
        if value.startswith("rejected"):
            rejected += 1
            continue
        r = multi[int(i)]
        ape.append(abs(float(value) - r.measured_s) / r.measured_s)
    print(
        f"llm-analysis 0.2.2 (un-tuned defaults) on the same multi-node rows: {len(ape)} predicted, "
        f"{rejected} rejected, MAPE {np.mean(ape):.1%}, median APE {np.median(ape):.1%}"
    )


def main() -> None:
    try:
        single, multi = load("single"), load("multi")
    except FileNotFoundError as e:
        print(f"skipped: vTrain data not found ({e}); set TRILLION_SHARED_DATA")
        return
    cal = fit(single)
    print("fitted on single-node rows:", {f: round(getattr(cal, f), 6) for f in FIELDS}, cal.attention_kernel)
    s_mape = report("single-node (fit)", single, cal)
    report("multi-node (held out)", multi, cal, worst=8)
    llm_analysis_baseline(multi)
    if "--write-calibration" in sys.argv:
        print("wrote", write_calibration(cal, s_mape))


if __name__ == "__main__":
    main()
