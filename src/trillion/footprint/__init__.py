"""Footprint and cost: energy, carbon (location, market, embodied), water and money of a plan.

`estimate_footprint` turns accelerator-hours (or a training plan's samples) into P10/P50/P90
figures with every assumption and its source; `power` holds the power model, `data` the sourced
tables, `afford` the inverse question (what a budget buys).
"""

from trillion.dist import Dist, parse_dist
from trillion.footprint.estimate import Footprint, estimate_footprint

__all__ = ["Dist", "Footprint", "estimate_footprint", "parse_dist"]
