"""Training energy against the runs with measured power (Patterson et al. 2021 Table 4, PaLM, GLaM).

Run:  .venv/bin/python benchmarks/energy_runs.py

Part 1, given hardware, accelerator count, duration and the run's published MFU: trillion's power
model predicts the energy of each run with that run left out of every constant (leave-one-out: the TPU system power
is inverted from the *other* runs on the same chip; the V100 row uses the DGX-1 nameplate and no
run at all), at the run's published PUE. Compared on the run's own basis (facility energy, or IT
energy for PaLM, whose 3,179 MWh excludes PUE).

Part 2, chained with the training planner: the duration is trillion's planned wall clock instead
of the published one (runs whose model is in the catalog). TPU v4's ICI bandwidth is not in the
catalog: the value used is stated (an assumption, not a fit).

Rows not used: OLMo 2 7B (no GPU count or duration published; its energy is GPU-only, a lower
bound), GLaM's full 600B-token run (duration unpublished: its 280B-token run is used instead).
"""

from __future__ import annotations

import statistics

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, make_cluster
from trillion.dist import Dist
from trillion.footprint.data import table
from trillion.footprint.estimate import estimate_footprint
from trillion.footprint.of_train import footprint_of_plan
from trillion.footprint.validation import power_model_error
from trillion.plan.train import plan_training
from trillion.units import J_PER_MWH, parse_quantity

TPU_V4_ICI = "150 GB/s"  # assumption: 2,400 Gbit/s of ICI per chip, counted as both directions
TPU_V4_DCN = "6.25 GB/s"  # assumption: 50 Gbit/s data-centre network per chip (v5p's figure)

# run (as in measured_power.csv), catalog model, tokens, seq len, global batch (sequences), note
CHAINED = [
    ("GPT-3 175B", "gpt-3", 300e9, 2048, 1536, "3.2M-token batch (Brown et al. 2020 Table 2.1); fp16"),
    ("PaLM 540B", "palm-540b", 780e9, 2048, 1024, "batch ramps 512-1024-2048 sequences: 1024 used"),
    ("GLaM 280B-token run", "glam", 280e9, 1024, 1024, "1M-token batch (Du et al. 2021)"),
]


def _basis_energy(fp, row) -> float:
    """The run's own energy basis (IT or facility), in MWh as published."""
    return (fp.it_energy_j["p50"] if row["energy_basis"].startswith("IT") else fp.energy_j["p50"]) / J_PER_MWH


def given_duration() -> list[float]:
    print(
        "| run | chip | devices x hours | published MWh | trillion P50 | P10-P90 | error | in P10-P90 | power basis |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    errors = []
    for row in table("measured_power"):
        acc = find_accelerator(row["accelerator"])
        hours = int(row["num_devices"]) * float(row["hours"])
        fp = estimate_footprint(
            acc,
            Dist.point(hours),
            mfu=float(row["mfu"]),
            pue=Dist.point(float(row["pue"])),
            exclude_runs=(row["run"],),
            power_error=power_model_error((row["run"],)),
        )
        it = row["energy_basis"].startswith("IT")
        pct = {k: v / J_PER_MWH for k, v in (fp.it_energy_j if it else fp.energy_j).items()}
        published = float(row["energy_mwh"])
        err = pct["p50"] / published - 1
        errors.append(abs(err))
        inside = "yes" if pct["p10"] <= published <= pct["p90"] else "no"
        print(
            f"| {row['run']} | {acc.name} | {row['num_devices']} x {float(row['hours']):g} h | {published:,.1f}"
            f"{' (IT)' if it else ''} | {pct['p50']:,.1f} | {pct['p10']:,.1f}-{pct['p90']:,.1f} | {err:+.1%} | {inside} | {fp.power_basis} |"
        )
    print(
        f"\n{len(errors)} runs, leave-one-out: median |error| {statistics.median(errors):.2%},"
        f" mean {statistics.mean(errors):.1%}, max {max(errors):.1%}\n"
    )
    return errors


def chained() -> list[float]:
    rows = {r["run"]: r for r in table("measured_power")}
    print(
        "| run | planned days P50 | published days | planned MWh P50 | published MWh | error | MFU | notes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    errors = []
    for run, model, tokens, seq, batch, note in CHAINED:
        row = rows[run]
        acc = find_accelerator(row["accelerator"])
        n = int(row["num_devices"])
        if acc.name == "tpu-v4":
            cluster = make_cluster(
                acc,
                n,
                scale_up_bytes_per_s=parse_quantity(TPU_V4_ICI, "byte_per_s", "benchmark"),
                scale_out_bytes_per_s=parse_quantity(TPU_V4_DCN, "byte_per_s", "benchmark"),
            )
            note += f"; ICI {TPU_V4_ICI}, DCN {TPU_V4_DCN} assumed"
        else:
            if run.startswith("GPT-3"):
                n = 10240  # 10,000 (itself an assumption) has no layout dividing a 1,536-sequence batch
                note += "; 10,240 GPUs planned"
            cluster = make_cluster(acc, n)
        precision = "fp16" if "bf16" not in acc.peak_flop_per_s else "bf16"
        plan = plan_training(
            load_model(model),
            cluster,
            tokens=int(tokens),
            seq_len=seq,
            global_batch=batch,
            precision=precision,
        )
        if not plan.fits:
            print(
                f"| {run} | no layout | {float(row['hours']) / 24:.1f} | - | {float(row['energy_mwh']):,.0f} | - | - | {plan.reason[:160]} |"
            )
            continue
        fp = footprint_of_plan(plan, pue=Dist.point(float(row["pue"])), exclude_runs=(run,))
        published = float(row["energy_mwh"])
        got = _basis_energy(fp, row)
        err = got / published - 1
        errors.append(abs(err))
        print(
            f"| {run} | {plan.wall_clock_days['p50']:.1f} | {float(row['hours']) / 24:.1f} | {got:,.0f} | {published:,.0f} "
            f"| {err:+.1%} | {plan.mfu:.1%} | {note} |"
        )
    print(
        f"\n{len(errors)} runs chained: median |error| {statistics.median(errors):.1%}, max {max(errors):.1%}"
    )
    return errors


if __name__ == "__main__":
    given_duration()
    chained()
