"""Self-contained HTML for reports and comparisons: inline CSS and SVG, no script, no network.

Three rules keep the pages legible and honest:
- every label comes from `LABELS` (a key with no label is rendered raw, marked ``nolabel``, and the
  browser test fails on it: add the key to `LABELS`);
- every number goes through `fmt` (3-4 significant digits, SI prefixes for counts and money,
  the unit's symbol beside the value), the same function the terminal uses;
- a figure that is missing says why in its row (``-`` with a title and visible reason text).
"""

from __future__ import annotations

import math
from typing import Any

from jinja2 import Environment, select_autoescape

from trillion.report.kinds import KIND_LABEL, kind_key, kind_of
from trillion.units import format_bytes

# Every key build_report / build_compare emit, as a human label with its unit. A "section/key"
# entry overrides "key" in that section. Keep labels capitalised: the browser test treats a
# lower-case label equal to a key with its underscores as spaces as a raw key.
LABELS: dict[str, str] = {
    # architecture
    "layers": "Layers",
    "hidden_size": "Hidden size (model width)",
    "attention": "Attention",
    "experts": "Experts (mixture of experts)",
    "total_params": "Parameters, total",
    "active_params": "Parameters, active per token",
    "forward_flop_per_token": "Forward FLOP per token",
    "weight_bytes_bf16": "Weight memory in bf16",
    "kv_bytes_per_token_bf16": "KV cache per token in bf16",
    # set-up and training
    "model": "Model",
    "tokens": "Training tokens",
    "cluster": "Training cluster",
    "precision": "Training precision",
    "global_batch": "Global batch (sequences)",
    "seq_len": "Sequence length (tokens)",
    "framework": "Framework profile",
    "price": "Price (USD per device-hour)",
    "region": "Grid region",
    "serving_hardware": "Serving accelerator",
    "serving_workload": "Serving workload (tokens per query)",
    "fits": "Fits in memory",
    "layout": "Parallel layout (searched)",
    "mfu": "MFU (share of dense peak)",
    "train_flop": "Training compute, 3 x forward (FLOP)",
    "wall_clock_days": "Wall-clock time, expected (days)",
    "accelerator_hours": "Accelerator-hours, expected",
    "speed_of_light_days": "Speed of light: steps only, no failures (days)",
    "planned_days": "Planned, with failures (days)",
    "reality_gap": "Reality gap (expected / planned, P50)",
    "published_training/accelerator_hours": "Accelerator-hours, published",
    "published_training/energy_mwh": "Energy, published (MWh)",
    "published_training/tco2e": "CO2e, published (t)",
    "published_training/cost_usd": "Cost, published (USD)",
    # footprint
    "energy_mwh": "Energy (MWh, facility)",
    "co2e_location_t": "CO2e, location-based (t)",
    "co2e_embodied_t": "CO2e, embodied in hardware (t)",
    "water_m3": "Water, on-site + off-site (m³)",
    "cost_usd": "Cost (USD)",
    # scaling
    "train_compute_6nd": "Training compute, 6 N D (FLOP)",
    "predicted_loss": "Predicted loss (nats/token)",
    "tokens_per_active_param": "Tokens per active parameter",
    "compute_optimal_params": "Compute-optimal parameters at this compute",
    "compute_optimal_tokens": "Compute-optimal tokens at this compute",
    # serving (one row per weight precision)
    "weights": "Weights",
    "min_devices": "Minimum devices",
    "serving/layout": "Deployment assumed",
    "requests_per_s_per_replica": "Requests/s per replica",
    "tokens_per_s_per_device": "Output tokens/s per device",
    "energy_wh_per_query": "Energy per query (Wh, facility)",
    "cost_usd_per_million_tokens": "Cost per 1M output tokens (USD)",
    # published vs replay
    "quantity": "Quantity",
    "published": "Published",
    "replay": "trillion's replay, P50 (P10 - P90)",
    "difference": "Difference (replay / published - 1)",
    "basis": "Basis of the replay",
    "source": "Source",
    # benchmarks
    "benchmark": "Benchmark",
    "score": "Score",
    "protocol": "Protocol",
    "status": "Status",
    # compare
    "train_compute": "Training compute, 6 N D (FLOP)",
    "compare/accelerator_hours": "Accelerator-hours (published, else expected P50)",
    "compare/energy_mwh": "Training energy (MWh, facility, P50)",
    "co2e_t": "Training CO2e, location-based (t)",
    "compare/cost_usd": "Training cost (USD; published, else P50)",
    "serve_min_devices_fp8": "Serving in fp8: minimum devices",
    "serve_layout_fp8": "Serving in fp8: deployment assumed",
    "serve_tokens_per_s_fp8": "Serving in fp8: output tokens/s per device",
    "serve_wh_per_query": "Serving in fp8: Wh per query (facility)",
    "serve_usd_per_m_tokens_fp8": "Serving in fp8: trillion's cost (USD per million output tokens)",
    "api_usd_per_m_output": "API list price (USD per million output tokens)",
}
# What each figure kind looks like: (CSS class, words), the words `trillion.report.kinds`'.
_KIND_CSS = {
    "published": "pub",
    "rumour": "rum",
    "exact": "exact",
    "estimate": "est",
    "given": "given",
    "default": "dflt",
}
KINDS: dict[str, tuple[str, str]] = {k: (_KIND_CSS[k], words) for k, words in KIND_LABEL.items()}
_NOT_FIGURES = {"reason", "assumptions", "chart_svg"}  # section entries drawn elsewhere


def label(key: str, section: str | None = None) -> tuple[str, bool]:
    """The human label of `key` (with its unit) and whether one exists; a missing one is `key` itself."""
    found = LABELS.get(f"{section}/{key}") or LABELS.get(key)
    return (found, True) if found else (key, False)


# ---- numbers --------------------------------------------------------------------------------

_SI = ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _unit_style(unit: str) -> tuple[str, str, str, float]:
    """(kind, before, after, si_from) for a figure's unit text: SI prefixes from `si_from` up."""
    base = unit.replace(" (p10/p50/p90)", "").replace(" (P50)", "").strip()
    if base in ("bytes", "FLOP", "fraction of peak"):
        return base, "", "", math.inf
    if base.startswith("%"):
        return "plain", "", "%", math.inf
    if base.startswith("USD"):
        return "plain", "$", base[3:], 1e4
    if base in ("parameters", "tokens") or base.endswith("-hours"):
        return "plain", "", "", 1e4
    for start, after in (("MWh", " MWh"), ("Wh", " Wh"), ("t CO2e", " t"), ("m3", " m³"), ("days", " days")):
        if base.startswith(start):
            return "plain", "", after, 1e6
    if base == "t":
        return "plain", "", " t", 1e6
    if base.startswith("expected / planned"):
        return "plain", "", "x", math.inf
    return "plain", "", "", 1e6


def _decimals(m: float) -> int:
    """Decimals (negative: round to tens, hundreds) showing `m` to 3 significant digits, 4 in the
    thousands (so 2,352 keeps its digits and 17,720 becomes 17,700)."""
    if m == 0 or not math.isfinite(m):
        return 0
    e = math.floor(math.log10(m))
    return 0 if e == 3 else 2 - e


def _scale(ref: float, si_from: float) -> tuple[float, str, int]:
    """(divisor, prefix, decimals) that show `ref` readably; a range reuses its P50's scale."""
    a = abs(ref)
    if a >= si_from:
        a3 = float(f"{a:.3g}")
        for div, prefix in _SI:
            if a3 >= div:
                return div, prefix, _decimals(a3 / div)
    return 1.0, "", _decimals(a)


def _show(v: float, scale: tuple[float, str, int]) -> str:
    div, prefix, decimals = scale
    x = v / div
    if decimals < 0:
        x = round(x, decimals)
    return f"{x:,.{max(decimals, 0)}f}{prefix}"


def _number(v: float, unit: str, ref: float | None = None, bare: bool = False) -> str:
    """`v` in `unit`'s display form; `ref` (a P50) sets the scale; `bare` drops the unit symbols."""
    kind, before, after, si_from = _unit_style(unit)
    if kind == "bytes":
        return format_bytes(v)
    if kind == "FLOP":
        mantissa, exp = f"{float(v):.2e}".split("e")
        return f"{mantissa}e{int(exp)}" + ("" if bare else " FLOP")
    if kind == "fraction of peak":
        return f"{v * 100:.1f}%"
    # whole numbers as such, floats too (the page's script cannot tell 16.0 from 16)
    if float(v).is_integer() and abs(v) < si_from:
        text = f"{int(v):,}"
    elif v and abs(v) < 1e-3:
        mantissa, exp = f"{v:.2e}".split("e")
        text = f"{mantissa}e{int(exp)}"
    else:
        scale = _scale(v if ref is None else ref, si_from)
        text = _show(v, scale)
        if ref is not None and v and float(text.replace(",", "").rstrip("PTBMk") or 0) == 0:
            text = _show(v, _scale(v, si_from))  # too small for the P50's scale
    sign = "-" if text.startswith("-") else ""
    return text if bare else f"{sign}{before}{text.lstrip('-')}{after}"


def _num(v: Any, unit: str) -> str:
    if v is None:  # an undefined figure (e.g. no device count serves the model)
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        if "=" in v and "," in v and ", " not in v:  # a layout "dp=8,tp=4": let it wrap
            return v.replace(",", ", ")
        return v
    if isinstance(v, float) and not math.isfinite(v):
        return "-"
    return _number(v, unit)


def fmt(fig: dict[str, Any] | None) -> str:
    """A figure as text: "$1.84M (0.94M - 2.86M)", "1.03T", "2,352 MWh (1,846 - 3,002)", "30.4%".

    A P10/P50/P90 value shows its P50, then the range at the P50's scale; "-" when there is none.
    """
    if not fig:
        return "-"
    v, unit = fig["value"], fig.get("unit", "") or ""
    if isinstance(v, dict) and "p50" in v:
        if v["p10"] == v["p90"] == v["p50"] or not all(isinstance(v[k], int | float) for k in ("p10", "p90")):
            return _num(v["p50"], unit)
        ref = v["p50"]
        lo, hi = (_number(v[k], unit, ref, bare=True) for k in ("p10", "p90"))
        if _unit_style(unit)[0] == "FLOP":
            return f"{_num(ref, unit)} ({lo} - {hi})"
        return f"{_number(ref, unit, ref)} ({lo} - {hi})"
    return _num(v, unit)


def kind(fig: dict[str, Any] | None) -> str:
    """The CSS class of a figure's kind (published, exact count, estimate, ...)."""
    return KINDS[kind_key(fig)][0] if fig else ""


def kind_words(fig: dict[str, Any] | None) -> str:
    return kind_of(fig) if fig else ""


def provenance(fig: dict[str, Any] | None) -> str:
    if not fig:
        return ""
    return fig.get("source") or fig.get("note", "")


# ---- rows -----------------------------------------------------------------------------------


def section_rows(name: str, section: dict[str, Any], missing: dict[str, str] | None = None) -> list[dict]:
    """The table rows of one report section: label, value, kind and provenance per entry; a
    figure that is None, or a plan that does not fit, carries its reason."""
    rows = []
    for key, f in section.items():
        if key in _NOT_FIGURES:
            continue
        text, known = label(key, name)
        row = {"label": text, "known": known, "cls": "", "kind": "", "prov": "", "reason": ""}
        if isinstance(f, dict) and "value" in f:
            row.update(value=fmt(f), cls=kind(f), kind=kind_words(f), prov=provenance(f))
            if row["value"] == "-":
                row["reason"] = (missing or {}).get(key, "the figure is undefined for this model")
        elif f is None:
            why = (missing or {}).get(key, "not computed for this plan")
            row.update(value="-", cls="none", reason=why)
        elif isinstance(f, bool):
            row.update(
                value="yes" if f else "no",
                cls="ok" if f else "bad",
                kind="estimate",
                prov="the training planner's memory check",
            )
            if not f:
                row["reason"] = section.get("reason") or "no reason given"
        else:
            row.update(value=str(f))
        rows.append(row)
    return rows


def _serving_reason(s: dict[str, Any]) -> str:
    return s.get("reason") or f"{s['weights']} weights: the serving planner found no layout that fits"


def _money(x: float) -> str:
    return fmt({"value": x, "unit": "USD"})


def _usd(p: dict[str, float] | None) -> str:
    """USD P50 (P10 - P90) in the report's number format."""
    return fmt({"value": p, "unit": "USD"}) if p else "-"


def _year(p: dict[str, float], base: float) -> str:
    from trillion.footprint.over_time import NEVER
    from trillion.report.over_time_tables import year_text

    return year_text(p, base, NEVER).replace("-", " - ")


def _times(x: float | None) -> str:
    return "-" if x is None else f"x{x:.2f}"


_ENV = Environment(autoescape=select_autoescape(["html"]))
_ENV.filters.update(
    fmt=fmt,
    kind=kind,
    prov=provenance,
    words=kind_words,
    cap=lambda t: str(t)[:1].upper() + str(t)[1:],
    money=_money,
    usd=_usd,
    year=_year,
    times=_times,
    usd_or=lambda v, unit: fmt({"value": v, "unit": unit}),
)
_ENV.globals.update(label=lambda k, s=None: label(k, s)[0], serving_reason=_serving_reason, KINDS=KINDS)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1b1b1b;line-height:1.35}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}
table.fixed{table-layout:fixed}col.l{width:26%}col.v{width:25%}col.k{width:8.5em}
th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f4f4}td.k{font-size:.85em;color:#444}
.pub{background:#e8f4ea}.rum{background:#f3ecf8}.exact{background:#e8f0fa}.est{background:#fff7e0}
.given{background:#eef1f4}.dflt{background:#f3f3f3}.none{background:#fff}.bad{background:#fdecea}
.badge{font-size:.8em;padding:.1em .4em;border-radius:.3em;border:1px solid #bbb;white-space:nowrap}
.src{color:#555;font-size:.82em;overflow-wrap:anywhere}.warn,.reason{color:#9a3b00}.reason{font-size:.85em}.nolabel{outline:2px solid #d00}
.chart{margin:.8em 0}.chart svg{max-width:100%;height:auto}
"""

_LEGEND_TEMPLATE = """<p class="src">Each row says what its figure is: {% for k, (c, w) in KINDS.items() %}<span class="badge {{ c }}">{{ w }}</span> {% endfor %}
(published: the developer's or a paper's number, source given; exact count: counted by trillion from a published
architecture; estimate: trillion's model, method given; given: your input; trillion's choice: a default where nothing is
published). Ranges are P50 (P10 - P90). Generated by trillion, offline.</p>"""
_LEGEND = _ENV.from_string(_LEGEND_TEMPLATE).render(KINDS=KINDS)

REPORT = _ENV.from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trillion report: {{ r.display_name }}</title>
<style>{{ css }}</style></head><body>
<h1>{{ r.display_name }}</h1>
<p>{{ r.status_note|cap }}.</p>{{ legend|safe }}
{% macro table(rows, head="Quantity", value="Value") %}<table class="fixed"><colgroup><col class="l"><col class="v"><col class="k"><col></colgroup><tr><th>{{ head }}</th><th>{{ value }}</th><th>Kind</th><th>Source or method</th></tr>
{% for x in rows %}<tr class="{{ x.cls }}"><td class="l{{ '' if x.known else ' nolabel' }}">{{ x.label }}</td><td class="v"{% if x.reason %} title="{{ x.reason }}"{% endif %}>{{ x.value }}</td><td class="k">{{ x.kind }}</td><td class="src">{% if x.reason %}<span class="reason">{{ x.reason }}</span>{% if x.prov %}<br>{% endif %}{% endif %}{{ x.prov }}</td></tr>
{% endfor %}</table>{% endmacro %}
{% if r.setup %}<h2>Set-up of this report</h2>{{ table(rows.setup, "Input") }}{% endif %}
<h2>Architecture and counts</h2>{{ table(rows.architecture) }}
<h2>Training plan</h2>{{ table(rows.training) }}
{% if r.published_vs_replay %}<h3>Published figures beside trillion's replay of the same run</h3>
<table><tr><th>{{ label('quantity') }}</th><th>{{ label('published') }}</th><th>{{ label('replay') }}</th><th>{{ label('difference') }}</th><th>{{ label('basis') }}</th><th>{{ label('source') }}</th></tr>
{% for x in replay %}<tr><td>{{ x.quantity }}</td><td class="v pub">{{ x.published }}</td><td class="v est">{{ x.replay }}</td><td class="v">{{ x.difference }}</td><td class="src">{{ x.basis }}</td><td class="src">{{ x.source }}</td></tr>{% endfor %}</table>
{% elif r.published_training %}<h3>Published</h3>{{ table(rows.published_training) }}{% endif %}
<h2>Energy, carbon, water, cost</h2>
{% if r.footprint %}{{ table(rows.footprint, value="P50 (P10 - P90)") }}
<details><summary>Assumptions ({{ r.footprint.assumptions|length }})</summary><table><tr><th>Assumption</th><th>Value</th><th>Source</th></tr>
{% for a in r.footprint.assumptions %}<tr><td>{{ a.name|cap }}</td><td>{{ a.value }}</td><td class="src">{{ a.source }}</td></tr>{% endfor %}</table></details>
<div class="chart">{{ r.footprint.chart_svg|safe }}</div>
{% else %}<p class="warn reason">No footprint: the training plan does not fit ({{ 'the reason is under Training plan' if r.training.reason else 'no reason given' }}).</p>{% endif %}
<h2>Scaling</h2>{{ table(rows.scaling) }}
<div class="chart">{{ r.scaling.chart_svg|safe }}</div>
<h2>Serving economics per precision</h2>
<p class="src">{% if r.setup %}On {{ r.setup.serving_hardware.value }}, {{ r.setup.serving_workload.value }} tokens per query. {% endif %}Estimated by trillion's serving planner; the chart marks each precision's operating point.</p>
<table><tr><th>{{ label('weights', 'serving') }}</th><th>{{ label('min_devices', 'serving') }}</th><th>{{ label('layout', 'serving') }}</th><th>{{ label('requests_per_s_per_replica', 'serving') }}</th><th>{{ label('tokens_per_s_per_device', 'serving') }}</th><th>{{ label('energy_wh_per_query', 'serving') }}</th><th>{{ label('cost_usd_per_million_tokens', 'serving') }}</th><th>Method</th></tr>
{% for s in r.serving %}{% if s.fits %}<tr class="est"><td>{{ s.weights }}</td><td class="v">{{ s.min_devices|fmt }}</td><td>{{ s.layout|fmt }}</td><td class="v">{{ s.requests_per_s_per_replica|fmt }}</td><td class="v">{{ s.tokens_per_s_per_device|fmt }}</td><td class="v">{{ s.energy_wh_per_query|fmt }}</td>
<td{% if not s.cost_usd_per_million_tokens %} title="no shipped price for this accelerator"{% endif %}>{{ s.cost_usd_per_million_tokens|fmt if s.cost_usd_per_million_tokens else 'no shipped price' }}</td><td class="src">{{ s.min_devices|prov }}</td></tr>
{% else %}<tr class="bad"><td>{{ s.weights }}</td><td class="v" title="{{ serving_reason(s) }}">{{ s.min_devices|fmt }}</td><td colspan="5"><span class="reason">Does not fit: {{ serving_reason(s) }}</span></td><td class="src">{{ s.min_devices|prov }}</td></tr>{% endif %}{% endfor %}</table>
{% if r.serving_chart_svg %}<div class="chart">{{ r.serving_chart_svg|safe }}</div>{% endif %}
{% if r.hidden_costs and r.hidden_costs.reason %}<h2>Hidden costs over time</h2><p class="warn reason">{{ r.hidden_costs.reason|cap }}.</p>
{% elif r.hidden_costs %}{% set h = r.hidden_costs %}{% set o = h.over_time %}<h2>Hidden costs over time</h2>
<p class="src">Trillion's estimates from trends fitted on sourced points (<code>trillion trends</code>): the cloud price per FLOP and, for the same capability, algorithmic efficiency (training) or the inference price at fixed capability (serving). Today = the newest shipped price quote ({{ '%.1f'|format(o.base) }}); {{ o.year }} is {{ o.basis }}. Final training run only (compute rental; no experiments, staff or data).</p>
<table><tr><th>Cost (USD, P50 (P10 - P90))</th><th>Today</th><th>{{ o.year }}, same model</th><th>{{ o.year }}, same capability</th></tr>
<tr class="est"><td>Training, final run ({{ o.train_flop|usd_or('FLOP') }} on {{ o.train_gpu }})</td><td class="v">{{ o.train_cost_today_usd|usd }}</td><td class="v">{{ o.train_cost_usd.same_model|usd }}</td><td class="v">{{ o.train_cost_usd.same_capability|usd }}</td></tr>
{% if o.serve_year_usd %}<tr class="est"><td>Serving one replica a year ({{ o.serve_devices }} x {{ o.serve_gpu }})</td><td class="v">{{ o.serve_year_today_usd|usd }}</td><td class="v">{{ o.serve_year_usd.same_model|usd }}</td><td class="v">{{ o.serve_year_usd.same_capability|usd }}</td></tr>
{% else %}<tr class="bad"><td>Serving one replica a year</td><td colspan="3"><span class="reason">Does not fit: {{ o.serve_note }}</span></td></tr>{% endif %}</table>
<h3>Who can afford it, and when</h3>
<table><tr><th>Budget (published)</th><th>Kind</th><th>USD</th><th>Trains it (year)</th><th>Trains its capability</th><th>Serves it a year</th><th>Source</th></tr>
{% for b in o.budgets %}<tr><td class="pub">{{ b.label }}</td><td>{{ b.kind }}</td><td class="v pub">{{ b.usd|money }}</td><td class="v est">{{ b.trains_same_model|year(o.base) }}</td><td class="v est">{{ b.trains_same_capability|year(o.base) }}</td><td class="v est"{% if not b.serves_same_model %} title="no serving plan fits"{% endif %}>{{ b.serves_same_model|year(o.base) if b.serves_same_model else '-' }}</td><td class="src">{{ b.source }}</td></tr>{% endfor %}</table>
<div class="chart">{{ h.frontier_chart_svg|safe }}</div>
<h3>Efficiency levers (x the baseline, trillion's estimate)</h3>
<table><tr><th>Lever</th><th>Training cost</th><th>Training energy</th><th>Training CO2e</th><th>Serving USD per token</th><th>Serving energy per query</th><th>Serving CO2e per query</th><th>Note</th></tr>
{% for x in h.levers.levers %}<tr class="est"><td>{{ x.lever|cap }}</td>{% for k in ('train_cost_usd', 'train_energy_mwh', 'train_co2e_t', 'serve_usd_per_m_tokens', 'serve_wh_per_query', 'serve_g_co2e_per_query') %}<td class="v"{% if x.ratio[k] is none %} title="not estimated: no shipped price, or the plan does not fit"{% endif %}>{{ x.ratio[k]|times }}</td>{% endfor %}<td class="src">{{ x.note or ('changes the ' + x.changes|join(', ')) }}</td></tr>{% endfor %}</table>
<h3>Published quality effect of each lever (not trillion's estimate)</h3>
<table><tr><th>Lever</th><th>Recovery, median (range)</th><th>Rows</th><th>Published variant and sources</th></tr>
{% for x in h.levers.levers %}{% if x.quality %}<tr class="pub"><td>{{ x.lever|cap }}</td><td class="v">{% if x.quality.median_pct is defined %}{{ '%.0f'|format(x.quality.median_pct) }}% ({{ '%.0f'|format(x.quality.min_pct) }} - {{ '%.0f'|format(x.quality.max_pct) }}%){% else %}claims only{% endif %}</td><td class="v">{{ x.quality.rows }}</td><td class="src">{{ x.quality.lever }}: {{ x.quality.variant }}; {{ x.quality.sources|join('; ') }}</td></tr>{% endif %}{% endfor %}</table>
<div class="chart">{{ h.levers_chart_svg|safe }}</div>
<details><summary>Assumptions ({{ h.assumptions|length }})</summary><table><tr><th>Assumption</th><th>Value</th><th>Source</th></tr>
{% for a in h.assumptions %}<tr><td>{{ a.name|cap }}</td><td>{{ a.value }}</td><td class="src">{{ a.source }}</td></tr>{% endfor %}</table></details>
{% endif %}
{% if r.benchmarks %}<h2>Published benchmark scores</h2><table><tr><th>{{ label('benchmark') }}</th><th>{{ label('score') }}</th><th>{{ label('protocol') }}</th><th>{{ label('status') }}</th><th>{{ label('source') }}</th></tr>
{% for b in r.benchmarks %}<tr class="pub"><td>{{ b.benchmark }}</td><td class="v">{{ b.score|fmt }}</td><td>{{ b.protocol }}</td><td>{{ b.status }}</td><td class="src">{{ b.score.source }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Sources</h2><ul>{% for s in r.sources %}<li class="src">{{ s }}</li>{% endfor %}</ul>
</body></html>"""
)

COMPARE = _ENV.from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trillion compare</title><style>{{ css }}</style></head><body>
<h1>Frontier models side by side</h1>{{ legend|safe }}
<p class="src">Hover a cell for its source or method; all are listed below.</p>
<h2>What is published, what is estimated</h2>
<table class="fixed"><colgroup><col style="width:18%"><col style="width:41%"><col></colgroup><tr><th>Model</th><th>Published</th><th>Estimated (with its basis)</th></tr>
{% for m in models %}{% if m.card %}<tr><td>{{ m.display_name }}<br><span class="src">{{ m.card.published.developer }}, {{ m.card.published.weights }} weights</span></td>
<td class="pub">{{ cards[m.name][0] }}</td><td class="est">{{ cards[m.name][1] }}</td></tr>{% endif %}{% endfor %}</table>
<h2>Size, compute, footprint and serving</h2>
<table><tr><th>Quantity</th>{% for m in models %}<th>{{ m.display_name }}<br><span class="src">{{ m.status }}</span></th>{% endfor %}</tr>
{% for x in rows %}<tr><td class="l{{ '' if x.known else ' nolabel' }}">{{ x.label }}</td>{% for c in x.cells %}<td class="{{ c.cls }}" title="{{ c.title }}">{{ c.value }}{% if c.reason %} <span class="reason">{{ c.reason }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</table>
<div class="chart">{{ chart|safe }}</div>{% if undrawn %}<p class="src">Not drawn (no training compute): {{ undrawn|join(', ') }}.</p>{% endif %}
<h2>Benchmarks, like for like</h2>
<p class="src">Scores are ranked only within one benchmark, stage (base or post-trained) and protocol (shots, method, tools, thinking; "n/s": not stated by the source, which never matches a stated value). Measured by: <b>D</b> the developer, <b>O</b> another lab (a competitor's table), <b>I</b> an independent evaluator.</p>
<table class="fixed"><colgroup><col style="width:24%"><col style="width:9%"><col style="width:6%"><col style="width:22%"><col></colgroup>
{% for g in groups %}<tr><th colspan="5">{{ g.benchmark }} ({{ g.stage }}): {{ g.protocol }}{% if g.mixed %} <span class="reason">other protocols exist: not ranked across</span>{% endif %}</th></tr>
{% for r in g.rows %}<tr><td>{{ names.get(r.model, r.model) }}</td><td class="v">{{ num(r.score) }}</td><td>{{ r.by }}</td><td>{{ r.evaluator }}</td><td class="src">{{ r.source }}</td></tr>{% endfor %}{% endfor %}</table>
<h2>Which pairs are comparable</h2><ul>{% for p in pairs %}<li>{{ p }}</li>{% endfor %}</ul>
{% if value %}<h2>Score per dollar (blended list price, 3 input : 1 output tokens)</h2>
<table><tr><th>Benchmark and protocol</th><th>Model</th><th>Score</th><th>USD per million tokens</th><th>Points per USD/M</th><th>Price source</th></tr>
{% for v in value %}{% for x in v.models %}<tr><td>{{ v.benchmark }} ({{ v.protocol }})</td><td>{{ names.get(x.model, x.model) }}</td><td class="v">{{ num(x.score) }}</td><td class="v">{{ num(x.blended_usd_per_m) }}</td><td class="v">{{ num(x.points_per_usd_per_m) }}</td><td class="src">{{ x.price_source }} ({{ x.price_date or 'undated' }})</td></tr>{% endfor %}{% endfor %}</table>{% endif %}
<h2>Scale against capability</h2><p class="src">{{ capability_text }}</p>
<div class="chart">{{ capability_chart|safe }}</div>
<h2>Sources and methods</h2><ul>{% for s in sources %}<li class="src">{{ s }}</li>{% endfor %}</ul>
</body></html>"""
)


def _report_missing(report: dict[str, Any]) -> dict[str, str]:
    """Why a report's None figures are None, by key."""
    price = (report.get("setup") or {}).get("price") or {}
    return {
        "cost_usd": price.get("note", "") or "no shipped price for the training accelerator: pass --price"
    }


def render_report(report: dict[str, Any]) -> str:
    """The HTML report of `build_report`'s dict (self-contained)."""
    missing = _report_missing(report)
    rows = {
        name: section_rows(name, report[name], missing)
        for name in ("setup", "architecture", "training", "published_training", "footprint", "scaling")
        if isinstance(report.get(name), dict)
    }
    replay = [
        {
            "quantity": f"{x['quantity'][:1].upper()}{x['quantity'][1:]} ({x['unit']})",
            "published": fmt({"value": x["published"], "unit": x["unit"]}),
            "replay": fmt({"value": x["replay"], "unit": x["unit"]}),
            "difference": f"{x['difference']:+.0%}",
            "basis": x["basis"],
            "source": x["source"],
        }
        for x in report.get("published_vs_replay") or []
    ]
    return REPORT.render(r=report, rows=rows, replay=replay, css=CSS, legend=_LEGEND)


def _compare_reason(m: dict[str, Any], key: str) -> str:
    """Why model `m` has no figure under `key` on the compare page."""
    figs = m["figures"]
    if key == "api_usd_per_m_output":
        return "no API list price on file"
    if m.get("status") == "architecture unpublished":
        return "not estimated"  # the column's head says why
    if key == "serve_usd_per_m_tokens_fp8" and figs.get("serve_min_devices_fp8"):
        return "shown for open-weight models only (beside their list price)"
    if key in ("energy_mwh", "co2e_t", "cost_usd") and not figs.get("energy_mwh"):
        return "no footprint: the training plan does not fit"
    if key == "cost_usd":
        return "no shipped price for the training accelerator"
    if key.startswith("serve_"):
        return "fp8 serving does not fit"
    return "not available for this model"


def render_compare(c: dict[str, Any]) -> str:
    """The comparison page of `build_compare`'s dict: published and estimated facts per model,
    the quantities table, like-for-like benchmark groups, comparable pairs, score per dollar
    and scale against capability, with their charts."""
    from trillion.report.compare_text import card_facts, pair_lines

    models, rows = c["models"], c["rows"]
    table = []
    for key, fallback in rows:
        text, known = label(key, "compare")
        cells = []
        for m in models:
            f = m["figures"].get(key)
            value = fmt(f)
            why = _compare_reason(m, key) if value == "-" else ""
            title = "; ".join(x for x in (f.get("unit", "") if f else "", provenance(f)) if x) or why
            cells.append({"value": value, "cls": kind(f) if f else "none", "title": title, "reason": why})
        table.append({"label": text if known else fallback, "known": known or bool(fallback), "cells": cells})
    cards = {m["name"]: card_facts(m["card"]) for m in models if m.get("card")}
    pairs = [" ".join(x.strip() for x in block) for block in _blocks(pair_lines(c, 10**6)[1:])]
    cap = c.get("capability") or {}
    if "curve" in cap:
        cap_text = (f"{len(cap['points'])} base models' {cap['benchmark']} {cap['shots']}-shot scores (as published) against "
                    f"training compute; half-way at 10^{cap['c0_log10_flop']:.1f} FLOP, {cap['points_per_10x_at_midpoint']:.0f} "
                    f"points per 10x there; error {cap['in_sample_abs_error_median']:.1f} points in sample, "
                    f"{cap['leave_one_out_abs_error_median']:.1f} leave-one-model-out. Compute matters but is not all: "
                    "newer data buys more per FLOP, which this one-variable fit does not model. Expected from compute alone: "
                    + "; ".join(f"{n} {_cell_num(p['p50'])} ({_cell_num(p['p10'])}-{_cell_num(p['p90'])})"
                                for n, p in zip(c.get("capability_marks", []), cap["predictions"], strict=False)) + ".")  # fmt: skip
    else:
        cap_text = cap.get("error", "no fit")
    undrawn = [m["display_name"] for m in models if not m["figures"].get("train_compute")]
    names = {m["name"]: m["display_name"] for m in models}
    return COMPARE.render(models=models, rows=table, chart=c["chart_svg"], undrawn=undrawn, groups=c["groups"],
                          names=names, cards=cards, pairs=pairs, value=c["value_for_money"], capability_text=cap_text,
                          capability_chart=c.get("capability_svg", ""), sources=c["sources"], css=CSS, num=_cell_num,
                          legend=_LEGEND)  # fmt: skip


def _cell_num(x: float | None) -> str:
    """A score or ratio for a table cell: 4 significant digits, never an exponent."""
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _blocks(lines: list[str]) -> list[list[str]]:
    """Lines grouped by their unindented head line (a pair and its indented follow-ups)."""
    out: list[list[str]] = []
    for line in lines:
        if line.startswith("  ") and out:
            out[-1].append(line)
        else:
            out.append([line])
    return out
