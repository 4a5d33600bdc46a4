"""How wrong the power model has been: the spread of its leave-one-out residuals on measured runs.

The power model (`trillion.footprint.power`) carries the uncertainty of its inputs (activity,
nameplate load, host share, the measured runs it inverts), but not its own structural error: on
the runs with measured energy its P10-P90 bands held only 2 of 7 measurements. This module
measures that error. Each run in ``measured_power.csv`` is predicted from its hardware, device
count, duration, MFU and PUE with *that run left out* of every constant, on the run's own energy
basis; the residual is ``ln(measured / predicted P50)``. The model error is the root mean square
of those residuals (about zero, so a shared bias widens it rather than being corrected), applied to
system power as a log-normal factor with median 1.

Validation stays leave-one-out: `power_model_error(exclude_runs=(run,))` recomputes the spread
without `run`, so a run's own residual never widens its own band.

This module sits above `trillion.footprint.estimate` (it runs the estimator on each measured run);
the estimator never calls it. The pricing adapters (`of_train`, `of_serve`, `afford`) and the CLI
pass the error in.
"""

from __future__ import annotations

import functools
import math

from trillion.catalog.hardware import find_accelerator
from trillion.dist import Dist
from trillion.footprint import data
from trillion.footprint.estimate import PowerError, estimate_footprint
from trillion.units import J_PER_MWH


@functools.lru_cache(maxsize=64)
def power_model_error(exclude_runs: tuple[str, ...] = ()) -> PowerError:
    """Sigma of ln(measured / predicted) (dimensionless), the runs used and their names, over
    the measured runs not in `exclude_runs`. Source: measured_power.csv (Patterson et al. 2021
    Table 4; Chowdhery et al. 2022; Du et al. 2021), each predicted leave-one-out."""

    residuals: list[float] = []
    names: list[str] = []
    for row in data.table("measured_power"):
        if row["run"] in exclude_runs:
            continue
        fp = estimate_footprint(
            find_accelerator(row["accelerator"]),
            Dist.point(int(row["num_devices"]) * float(row["hours"])),
            mfu=float(row["mfu"]),
            pue=Dist.point(float(row["pue"])),
            exclude_runs=(*exclude_runs, row["run"]),
        )
        basis = fp.it_energy_j if row["energy_basis"].startswith("IT") else fp.energy_j
        residuals.append(math.log(float(row["energy_mwh"]) * J_PER_MWH / basis["p50"]))
        names.append(row["run"])
    if len(residuals) < 2:
        return PowerError(0.0, len(residuals), ", ".join(names))
    sigma = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    return PowerError(sigma, len(residuals), ", ".join(names))
