"""The report's "hidden costs over time" section: what training and serving the report's model
costs today and in `REPORT_YEAR` (same model, same capability), when the sourced example budgets
can train and serve it, and what each efficiency lever does to its costs, with charts.

Every figure here is trillion's estimate (trends fitted on sourced points, planners and the
footprint model) except the budgets and the levers' quality effects, which are published and
kept in their own columns.
"""

from __future__ import annotations

from typing import Any

REPORT_YEAR = 2030  # the year the report looks at: four years past today's quotes, within the trends' reach


def hidden_costs(spec: Any, tokens: int, *, year: int = REPORT_YEAR, region: str = "World",
                 plan: Any = None) -> dict[str, Any]:  # fmt: skip
    """The section's dict: ``over_time`` (`trillion.footprint.over_time.model_affordability`),
    ``levers`` (`trillion.footprint.levers.levers`, reusing the report's training `plan` where it is
    the levers' baseline), both charts and the assumptions."""
    from trillion.footprint.levers import levers
    from trillion.footprint.over_time import model_affordability
    from trillion.report import plots

    o = model_affordability(spec, tokens, year, region=region)
    lv = levers(spec, tokens, baseline_plan=plan)
    return {
        "year": year,
        "over_time": o,
        "levers": lv,
        "frontier_chart_svg": plots.frontier_over_time_svg(o),
        "levers_chart_svg": plots.levers_svg(lv),
        "assumptions": o["assumptions"] + lv["assumptions"],
    }
