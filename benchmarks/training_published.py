"""Training throughput against published runs on modern stacks (H100 to GB300, FP8, MoE, FSDP2).

Run:  .venv/bin/python benchmarks/training_published.py [--fit] [--write-calibration] [--rows]

Reads ../shared/data/training_throughput_published.csv (34 published throughputs: Megatron-Bridge,
NeMo, NeMo Automodel, torchtitan) and predicts each row's tokens/s/GPU from its published set-up
(model, GPU, count, layout, batch, sequence length, precision, recompute, framework) with
`trillion.plan.perf.step_time`. Prints median |error| and MAPE per source and overall, for

- the shipped calibration (`published-throughput.toml` when it exists, else the vTrain default),
- with ``--fit``: the constants fitted in-sample on every row, and leave-one-source-out (fit on
  all sources but one, predict it) — the honest figure — beside a single-constant-MFU baseline
  fitted the same way.

Rows whose source gives only model TFLOP/s/GPU are converted to tokens/s with that publisher's
FLOP-per-token formula (NeMo's `llama2` formula in nemo/utils/flops_formulas.py, which is
Megatron's `num_floating_point_operations`: 6 FLOP per parameter per token over the GEMMs plus
12 s h per layer for attention, full (non-causal) square), so the comparison is of step time.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.catalog.resolve import load_model
from trillion.count.dims import ModelDims, model_dims
from trillion.count.flop import forward_flop
from trillion.errors import InputError
from trillion.plan.calibration import calibration_toml, for_run, load_calibration
from trillion.plan.perf import Calibration, step_time
from trillion.plan.recipes import RECIPES
from trillion.spec.hardware import Cluster
from trillion.spec.layout import Layout

VTRAIN = Path(__file__).resolve().parents[1] / "src/trillion/catalog/calibration/a100-vtrain-single.toml"
DATA = (
    Path(os.environ.get("TRILLION_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    / "training_throughput_published.csv"
)


@dataclass(frozen=True)
class Row:
    id: str
    source: str
    model: str
    gpu: str
    gpus: int
    tp: int
    pp: int
    vp: int
    cp: int
    ep: int
    dp: int
    fsdp: bool
    mbs: int
    global_batch: int
    seq_len: int
    precision: str
    recompute: str
    tokens_per_s_gpu: float  # measured (converted from TFLOP/s where that is all that was published)
    moe: bool
    notes: str

    @property
    def framework(self) -> str:
        """The stack: torchtitan and NeMo Automodel are FSDP2 (PyTorch-native); the others Megatron."""
        return "fsdp2" if self.source in ("torchtitan", "nemo-automodel") else "megatron"

    @property
    def compiled(self) -> bool:
        """Element-wise work fused: torch.compile in torchtitan (its notes say "eager" otherwise),
        Transformer Engine's kernels in NeMo Automodel; Megatron stacks are fused by TE anyway."""
        if self.source == "torchtitan":
            return "eager" not in self.notes
        return self.source == "nemo-automodel"


def nemo_flop_per_token(d: ModelDims, seq_len: int) -> float:
    """NeMo / Megatron model FLOP per token (training, 3x forward), dense llama-style models:
    ``6 * (L * (attn + mlp) + head) + 12 * L * s * h`` (the attention square, non-causal)."""
    gemm = d.num_layers * (d.attn_params + d.mlp_params) + d.head_params
    return 6 * gemm + 12 * d.num_layers * seq_len * d.hidden


def load(path: Path = DATA) -> list[Row]:
    rows = []
    with path.open() as f:
        for r in csv.DictReader(f):
            gpus = int(r["gpus"])
            seq = int(r["seq_len"])
            value = float(r["measured_value"])
            if r["measured_unit"] == "TFLOP/s/GPU":
                d = model_dims(load_model(r["model"]))
                value = value * 1e12 / nemo_flop_per_token(d, seq)
            elif r["measured_unit"] != "tokens/s/GPU":
                raise ValueError(f"{r['id']}: unit {r['measured_unit']!r}")
            # torchtitan's Dec 2024 tables ran on Meta's Grand Teton H100s (96GB HBM2e, 500 W), as
            # that file says; the csv names the family (h100-sxm)
            gpu = "h100-96gb-hbm2e" if "llama3_h100_202412" in r["source_ref"] else r["gpu"]
            rows.append(
                Row(
                    id=r["id"],
                    source=r["source"],
                    model=r["model"],
                    gpu=gpu,
                    gpus=gpus,
                    tp=int(r["tp"]),
                    pp=int(r["pp"]),
                    vp=int(r["vp"] or 1),
                    cp=int(r["cp"]),
                    ep=int(r["ep"]),
                    dp=int(r["dp"]),
                    fsdp=r["fsdp"] == "yes",
                    mbs=int(r["mbs"] or 1),
                    global_batch=int(r["global_batch"]),
                    seq_len=seq,
                    # the csv files MXFP8 runs as fp8 (their ids and notes say MXFP8): trillion has
                    # the recipe now
                    precision="mxfp8" if "mxfp8" in (r["id"] + r["notes"]).lower() else r["precision"],
                    recompute=r["recompute"] or "none",
                    tokens_per_s_gpu=value,
                    moe=r["moe"] == "yes",
                    notes=r["notes"],
                )
            )
    return rows


@cache
def _dims(model: str) -> ModelDims:
    return model_dims(load_model(model))


@cache
def _cluster(gpu: str, gpus: int) -> Cluster:
    return make_cluster(find_accelerator(gpu), gpus)


@cache
def _shipped(framework: str) -> Calibration:
    return load_calibration(framework=framework)


def predict(rows: list[Row], base: Calibration | None) -> np.ndarray:
    """Predicted tokens/s/GPU for every row (NaN where the planner refuses the layout); `base`
    None: each row's framework's shipped calibration, as `plan_training` picks it."""
    out = np.full(len(rows), np.nan)
    for i, r in enumerate(rows):
        cluster = _cluster(r.gpu, r.gpus)
        cal = for_run(
            base if base is not None else _shipped(r.framework),
            cluster.accelerator,
            RECIPES[r.precision].peak,
            framework=r.framework,
            compiled=r.compiled and r.framework == "fsdp2",
        )
        layout = Layout(
            dp=r.dp, tp=r.tp, pp=r.pp, cp=r.cp, ep=r.ep, mbs=r.mbs, vpp=r.vp,
            zero=3 if r.fsdp else 1, recompute=r.recompute,
        )  # fmt: skip
        try:
            layout.validate_for(r.gpus, r.id)
        except InputError as exc:  # a refused row is reported, not hidden
            print(f"  {r.id}: refused ({exc})", file=sys.stderr)
            continue
        st = step_time(
            _dims(r.model),
            cluster,
            **layout.step_kwargs(r.seq_len, r.global_batch),
            dtype=r.precision,
            cal=cal,
        )
        out[i] = r.global_batch * r.seq_len / float(np.asarray(st.step_s)) / r.gpus
    return out


def errors(pred: np.ndarray, rows: list[Row]) -> np.ndarray:
    meas = np.array([r.tokens_per_s_gpu for r in rows])
    return pred / meas - 1


def summary(err: np.ndarray) -> str:
    ok = err[np.isfinite(err)]
    return (
        f"median |err| {np.median(np.abs(ok)) * 100:5.1f}%  MAPE {np.mean(np.abs(ok)) * 100:5.1f}%"
        f"  signed median {np.median(ok) * 100:+5.1f}%  ({ok.size}/{err.size} rows)"
    )


def report(rows: list[Row], err: np.ndarray, label: str, show_rows: bool) -> None:
    print(f"\n## {label}: {summary(err)}")
    for src in sorted({r.source for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.source == src]
        print(f"  {src:16s} {summary(err[idx])}")
    if show_rows:
        for r, e in zip(rows, err, strict=True):
            print(f"    {r.id:28s} {r.precision:6s} {r.gpu:9s} {e * 100:+7.1f}%")


# the fitted constants: (framework or "" for a global field, field, lower, upper)
FIT = (
    ("", "eta_gemm", 0.3, 1.0),
    ("megatron", "eta_attn", 0.2, 1.0),
    ("fsdp2", "eta_attn", 0.2, 1.0),
    ("", "eta_hbm", 0.3, 1.0),
    ("", "moe_overhead_s", 0.0, 5e-3),
    ("megatron", "tp_overlap", 0.0, 1.0),
    ("megatron", "dp_overlap", 0.0, 1.0),
    ("megatron", "ep_overlap", 0.0, 1.0),
    ("fsdp2", "ep_overlap", 0.0, 1.0),
    ("fsdp2", "elementwise_factor", 1.0, 4.0),
)


def with_constants(base: Calibration, x: np.ndarray) -> Calibration:
    glob = {f: float(v) for (fw, f, _, _), v in zip(FIT, x, strict=True) if not fw}
    tables: dict[str, dict[str, float]] = {}
    for (fw, f, _, _), v in zip(FIT, x, strict=True):
        if fw:
            tables.setdefault(fw, {})[f] = float(v)
    tables.setdefault("fsdp2", {}).update(tp_overlap=0.0, dp_overlap=0.0)
    frameworks = tuple((k, tuple(sorted(v.items()))) for k, v in sorted(tables.items()))
    return base.with_(**glob, frameworks=frameworks)


def fit(rows: list[Row], base: Calibration) -> tuple[Calibration, np.ndarray]:
    """Least squares on log(predicted / measured) tokens/s over `rows`; (calibration, x)."""
    from scipy.optimize import least_squares

    meas = np.log([r.tokens_per_s_gpu for r in rows])
    lo = np.array([f[2] for f in FIT])
    hi = np.array([f[3] for f in FIT])

    def residuals(x: np.ndarray) -> np.ndarray:
        pred = predict(rows, with_constants(base, x))
        return np.where(np.isfinite(pred), np.log(pred) - meas, 3.0)

    best = None
    for start in (0.25, 0.5, 0.75):
        x0 = lo + start * (hi - lo)
        res = least_squares(residuals, x0, bounds=(lo, hi), x_scale=np.maximum(hi - lo, 1e-6) / 4)
        if best is None or res.cost < best.cost:
            best = res
    return with_constants(base, best.x), best.x


def single_mfu(rows: list[Row], fit_rows: list[Row]) -> np.ndarray:
    """Baseline: one MFU (the geometric mean of the fit rows' measured MFU) applied to every row."""

    def flop_per_token(r: Row) -> int:
        return 3 * forward_flop(load_model(r.model), r.seq_len).total

    def peak(r: Row) -> float:
        return find_accelerator(r.gpu).peak(RECIPES[r.precision].peak)

    u = float(np.exp(np.mean(np.log([r.tokens_per_s_gpu * flop_per_token(r) / peak(r) for r in fit_rows]))))
    return np.array([u * peak(r) / flop_per_token(r) for r in rows])


def bounds_note(x: np.ndarray) -> str:
    at = [f"{f[0] + '.' if f[0] else ''}{f[1]}" for f, v in zip(FIT, x, strict=True)
          if np.isclose(v, f[2], rtol=1e-3, atol=1e-9) or np.isclose(v, f[3], rtol=1e-3)]  # fmt: skip
    return ", ".join(at) or "none"


OUT = Path(__file__).resolve().parents[1] / "src/trillion/catalog/calibration/published-throughput.toml"


def write_calibration(cal: Calibration, rows: list[Row]) -> None:
    """The in-sample fit as the package's calibration file, with its provenance and spread."""
    log_res = np.log(predict(rows, cal) / np.array([r.tokens_per_s_gpu for r in rows]))
    fitted = [f"{fw + '.' if fw else ''}{f}" for fw, f, _, _ in FIT]
    deepspeed = (
        "deepspeed",
        (("dp_overlap", 0.0), ("elementwise_factor", 1.0), ("ep_overlap", 0.0), ("tp_overlap", 0.0)),
    )
    cal = cal.with_(
        attention_kernel="flash",
        log_sigma=round(float(np.std(log_res)), 4),
        source="fitted on published training throughput (H100-GB300, Megatron and FSDP2 stacks);"
        " benchmarks/training_published.py",
        frameworks=(*cal.frameworks, deepspeed),
    )
    header = [
        "Step-time efficiencies fitted by benchmarks/training_published.py --fit --write-calibration",
        f"on ../shared/data/training_throughput_published.csv ({len(rows)} published throughputs:",
        "Megatron-Bridge, NeMo, NeMo Automodel, torchtitan; H100 to GB300, BF16 and FP8). Fitted:",
        f"{', '.join(fitted)}; the rest are the vTrain fit's (a100-vtrain-single.toml).",
        "[framework.deepspeed]: Megatron-DeepSpeed as vTrain measured it, nothing overlapped.",
        "log_sigma: std of log(predicted/measured) on the fitted rows. Leave-one-source-out: BENCHMARKS.md 24.",
    ]
    OUT.write_text(calibration_toml(cal, header))
    print(f"wrote {OUT}")


def llm_analysis_baseline(rows: list[Row]) -> None:
    """llm-analysis 0.2.2 (pinned, in its own venv; benchmarks/baselines/llm_analysis_published.py)
    on the same rows, with the model dims and GPU figures trillion's catalog gives."""
    import json
    import subprocess
    import tempfile

    python = os.environ.get("LLM_ANALYSIS_PYTHON", "/tmp/llma/bin/python")
    if not Path(python).exists():
        print(
            f"\nllm-analysis baseline skipped: {python} not found (python3 -m venv /tmp/llma && "
            "/tmp/llma/bin/pip install llm-analysis==0.2.2; or set LLM_ANALYSIS_PYTHON)"
        )
        return
    model_keys = ("hidden", "num_layers", "heads", "kv_heads", "mla", "mlp_width", "gated", "num_experts",
                  "top_k", "expert_width", "vocab")  # fmt: skip
    payload = []
    for r in rows:
        a = find_accelerator(r.gpu)
        d = _dims(r.model)
        payload.append({
            "id": r.id, "gpus": r.gpus, "tp": r.tp, "pp": r.pp, "cp": r.cp, "ep": r.ep, "dp": r.dp,
            "fsdp": r.fsdp, "mbs": r.mbs, "global_batch": r.global_batch, "seq_len": r.seq_len,
            "dtype": r.precision, "recompute": r.recompute,
            "model": {k: getattr(d, k) for k in model_keys},
            "gpu": {"name": a.name, "memory_bytes": a.memory_bytes, "memory_bytes_per_s": a.memory_bytes_per_s,
                    "scale_up_bytes_per_s": a.scale_up_bytes_per_s, "scale_out_bytes_per_s": a.scale_out_bytes_per_s,
                    "scale_up_domain": a.scale_up_domain, "bf16_flop_per_s": a.peak("bf16"),
                    "fp8_flop_per_s": a.peak("fp8")},
        })  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payload, f)
    script = Path(__file__).parent / "baselines" / "llm_analysis_published.py"
    out = subprocess.run([python, str(script), f.name], capture_output=True, text=True, timeout=600)
    os.unlink(f.name)
    if out.returncode:
        print(f"\nllm-analysis baseline failed:\n{out.stderr[-2000:]}")
        return
    got = dict(line.split(",", 1) for line in out.stdout.splitlines() if "," in line)
    got = {r.id: got.get(r.id, "rejected: no output") for r in rows}
    rejected = {k: v for k, v in got.items() if v.startswith("rejected")}
    err = errors(np.array([np.nan if r.id in rejected else float(got[r.id]) for r in rows]), rows)

    def line(label: str, idx: list[int]) -> str:
        e = err[idx][np.isfinite(err[idx])]
        ok = np.abs(e)
        figs = (f"median |err| {np.median(ok) * 100:5.1f}%  MAPE {np.mean(ok) * 100:5.1f}%  signed median "
                f"{np.median(e) * 100:+6.1f}%" if ok.size else "no rows")  # fmt: skip
        return f"  {label:16s} {ok.size:2d} predicted / {len(idx) - ok.size:2d} rejected  {figs}"

    print("\n## llm-analysis 0.2.2 (README efficiencies: flops 0.5, HBM 0.9), tokens/s/GPU")
    for src in sorted({r.source for r in rows}):
        print(line(src, [i for i, r in enumerate(rows) if r.source == src]))
    print(line("overall", list(range(len(rows)))))
    for rid, why in rejected.items():
        print(f"    {rid}: {why}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", action="store_true", help="print every row's error")
    ap.add_argument("--fit", action="store_true", help="fit in-sample and leave-one-source-out")
    ap.add_argument("--write-calibration", action="store_true", help=f"write the in-sample fit to {OUT}")
    ap.add_argument("--llm-analysis", action="store_true", help="also run the llm-analysis 0.2.2 baseline")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} not found: the shared data folder sits beside the checkout")
    rows = load()
    report(rows, errors(predict(rows, load_calibration(VTRAIN)), rows), "vTrain calibration (before)", False)
    report(rows, errors(predict(rows, None), rows), "shipped calibrations (each row's framework)", args.rows)
    if args.llm_analysis:
        llm_analysis_baseline(rows)
    if not args.fit:
        return
    base = load_calibration(VTRAIN).with_(attention_kernel="flash")
    fitted, x = fit(rows, base)
    print(
        "\nfitted in-sample:",
        ", ".join(f"{f[0] + '.' if f[0] else ''}{f[1]} {v:.4g}" for f, v in zip(FIT, x, strict=True)),
    )
    print("at a bound:", bounds_note(x))
    report(rows, errors(predict(rows, fitted), rows), "fitted in-sample", args.rows)
    if args.write_calibration:
        write_calibration(fitted, rows)
    report(rows, errors(single_mfu(rows, rows), rows), "single MFU, in-sample", False)
    loso = np.full(len(rows), np.nan)
    mfu = np.full(len(rows), np.nan)
    for src in sorted({r.source for r in rows}):
        train = [r for r in rows if r.source != src]
        idx = [i for i, r in enumerate(rows) if r.source == src]
        cal_s, x_s = fit(train, base)
        print(f"  without {src}: at a bound: {bounds_note(x_s)}")
        loso[idx] = predict([rows[i] for i in idx], cal_s)
        mfu[idx] = single_mfu([rows[i] for i in idx], train)
    report(rows, errors(loso, rows), "leave-one-source-out", args.rows)
    report(rows, errors(mfu, rows), "single MFU, leave-one-source-out", False)


if __name__ == "__main__":
    main()
