"""Published training-carbon figures reproduced from the same inputs (hours, power basis, PUE, grid).

Run:  .venv/bin/python benchmarks/carbon_published.py

Each row of catalog/footprint/published_carbon.csv states the accounting convention the source
used (Llama cards: GPU-hours x peak power "adjusted for PUE"; GPT-3: measured system power x PUE
x US average grid; BLOOM: GPU-hours x TDP x French grid, dynamic only). trillion's footprint
pipeline is run with exactly those inputs (`--power`, `--pue`, `--intensity`) and its
location-based tCO2e compared with the published one. Where a source does not state its grid
intensity (Llama), the intensity implied by the family's published total is used: one number for
the whole family, so the per-model rows still test the arithmetic.
"""

from __future__ import annotations

import statistics

from trillion.catalog.hardware import find_accelerator
from trillion.dist import Dist
from trillion.footprint.data import table
from trillion.footprint.estimate import estimate_footprint
from trillion.units import G_PER_T


def main() -> None:
    print("| run | device-hours | W per device | PUE | g/kWh | published t | trillion t | error |")
    print("|---|---|---|---|---|---|---|---|")
    errors = []
    for row in table("published_carbon"):
        fp = estimate_footprint(
            find_accelerator(row["accelerator"]),
            Dist.point(float(row["device_hours"])),
            power_w=Dist.point(float(row["power_w_per_device"])),
            pue=Dist.point(float(row["pue"])),
            intensity=Dist.point(float(row["g_co2e_per_kwh"])),
        )
        got, published = fp.co2e_g["location"]["p50"] / G_PER_T, float(row["published_t"])
        errors.append(abs(got / published - 1))
        print(
            f"| {row['run']} | {float(row['device_hours']):,.0f} | {row['power_w_per_device']} | {row['pue']} "
            f"| {row['g_co2e_per_kwh']} | {published:,.2f} | {got:,.2f} | {got / published - 1:+.2%} |"
        )
    print(f"\n{len(errors)} figures: max |error| {max(errors):.2%}, median {statistics.median(errors):.2%}")


if __name__ == "__main__":
    main()
