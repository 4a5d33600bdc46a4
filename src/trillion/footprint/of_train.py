"""The footprint of a training plan: its wall-clock samples and step phases feed the estimate,
with the power model's measured error (`trillion.footprint.validation`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trillion.errors import InputError
from trillion.footprint.estimate import Footprint, estimate_footprint
from trillion.footprint.power import plan_activity
from trillion.footprint.validation import power_model_error
from trillion.plan.train import TrainPlan


def footprint_of_plan(plan: TrainPlan, *, seed: int = 0, **kwargs: Any) -> Footprint:
    """Energy, carbon, water and cost of `plan` (keyword arguments as `estimate_footprint`).

    Device-hours are the plan's Monte Carlo wall-clock draws x devices; activity follows the plan's
    compute / communication / bubble shares and its goodput draws, so slow and fast draws pair up.
    """
    if not plan.samples:
        raise InputError("plan", None, f"no feasible layout, so no footprint: {plan.reason}")
    rng = np.random.default_rng(seed + 1)
    notes: list[dict[str, str]] = []
    activity = plan_activity(plan.phases, plan.samples["goodput"], rng, notes)
    hours = plan.samples["wall_s"] * plan.cluster.num_devices / 3600
    kwargs.setdefault("power_error", power_model_error(tuple(kwargs.get("exclude_runs", ()))))
    fp = estimate_footprint(
        plan.cluster.accelerator, hours, activity=activity, tokens=plan.tokens, seed=seed, **kwargs
    )
    fp.assumptions[:0] = notes
    return fp
