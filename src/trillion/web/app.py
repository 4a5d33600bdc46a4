"""The local web page: pick a model (catalog or a pasted config.json), hardware, tokens, region
and serving precision; see the plan, the footprint and the chart. A JSON API mirrors the CLI.

Every page asset is inline (no CDN, no fonts, no network). Bad input answers 4xx with a message:
`InputError` -> 400, a malformed body -> 422, an oversized body -> 413. Work is bounded: request
bodies up to 256 KiB, device counts and token budgets capped, plans computed in worker threads
at most two at a time, identical requests answered from a small cache.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from collections import OrderedDict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from trillion.errors import InputError

MAX_BODY = 256 * 1024  # bytes: a config.json is a few KiB
MAX_CONCURRENT_PLANS = 2  # bounded compute: plans run in worker threads, at most this many at once
CACHE_SIZE = 64  # identical requests (same JSON) are answered from memory
MAX_GPUS = 1_000_000  # bounded work per request: ~5x the largest clusters announced
MAX_TOKENS = 10**16  # bounded work per request: ~250x the largest published training run (36T)


def _encode(payload: Any) -> bytes:
    """Strict JSON (as JSONResponse writes it): a non-finite float becomes null, never NaN."""

    def finite(x: Any) -> Any:
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, dict):
            return {k: finite(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [finite(v) for v in x]
        return x

    return json.dumps(finite(payload), allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def _bad(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _int(data: dict[str, Any], key: str, lo: int, hi: int, default: int | None = None) -> int:
    raw = data.get(key, default)
    if isinstance(raw, str):
        from trillion.units import parse_count

        value, _ = parse_count(raw, key)
        if value != value.to_integral_value():
            raise InputError(key, None, f"must be a whole number, got {raw!r}")
        raw = int(value)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
        raise InputError(key, None, f"must be a number, got {raw!r}")
    if not lo <= raw <= hi:
        raise InputError(key, None, f"must be between {lo:,} and {hi:,}, got {raw:,}")
    return int(raw)


def plan_payload(data: dict[str, Any]) -> dict[str, Any]:
    """What the page shows for a request (the same figures as `trillion report --json`)."""
    from trillion.footprint.data import grid_intensity
    from trillion.io.hf_config import spec_from_hf_dict
    from trillion.report.build import build_report

    if not isinstance(data, dict):
        raise InputError("request", None, "expected a JSON object")
    region = str(data.get("region") or "World")[:64]
    grid_intensity(region, where="region")
    weights = str(data.get("weights") or "fp8")
    if weights not in ("bf16", "fp8", "int8", "int4", "fp4"):
        raise InputError("weights", None, f"must be bf16, fp8, int8, int4 or fp4, got {weights!r}")
    gpus = _int(data, "gpus", 1, MAX_GPUS, 1024)
    tokens = _int(data, "tokens", 1_000_000, MAX_TOKENS, 10**12)
    gpu = str(data.get("gpu") or "h100")[:64]
    config = data.get("config")
    spec = None
    name = str(data.get("model") or "qwen3-max")[:200]
    if config not in (None, ""):
        if isinstance(config, str):
            try:
                config = json.loads(config)
            except json.JSONDecodeError as e:
                raise InputError("config.json", None, f"not valid JSON (line {e.lineno}): {e.msg}") from None
        spec = spec_from_hf_dict(config, "config.json", name="pasted-config")
    elif "/" in name or name.endswith(".json"):
        raise InputError("model", None, "the web page takes catalog names or a pasted config.json, not paths")
    r = build_report(
        name, region=region, gpu=gpu, gpus=gpus, spec=spec, tokens=tokens, serve_weights=(weights,)
    )
    return r


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trillion</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#1b1b1b}
form{display:grid;grid-template-columns:repeat(3,1fr);gap:.6em 1em;align-items:end}label{display:flex;flex-direction:column;font-size:.85em}
textarea{grid-column:1/4;height:6em;font-family:monospace}button{padding:.5em 1em}#error{color:#a00;margin:.6em 0}
table{border-collapse:collapse;width:100%;margin-top:1em}td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left}
.est{background:#fff7e0}.pub{background:#e8f4ea}.chart svg{max-width:100%;height:auto}
</style></head><body>
<h1>trillion</h1><p>What it takes to build and run a frontier model. Everything runs locally.</p>
<form id="f">
<label>model<select id="model"></select></label>
<label>accelerator<select id="gpu"></select></label>
<label>accelerators<input id="gpus" value="16384"></label>
<label>training tokens<input id="tokens" value="36T"></label>
<label>grid region<input id="region" value="World"></label>
<label>serving weights<select id="weights"><option>fp8</option><option>bf16</option><option>int8</option><option>int4</option><option>fp4</option></select></label>
<textarea id="config" placeholder="or paste a config.json here (overrides the model)"></textarea>
<button id="go" type="submit">Plan</button>
</form>
<div id="error" role="alert"></div>
<table id="results"><tbody></tbody></table>
<div class="chart" id="chart"></div>
<script>
const $ = (id) => document.getElementById(id);
function fmt(f){ if(!f) return "-"; const v=f.value;
  const one=(x)=> typeof x==="number" ? (Math.abs(x)>=1e6||(x!==0&&Math.abs(x)<1e-3) ? x.toExponential(3) : x.toLocaleString(undefined,{maximumFractionDigits:3})) : String(x);
  return (v && typeof v==="object" && "p50" in v) ? one(v.p50)+" ("+one(v.p10)+" - "+one(v.p90)+")" : one(v); }
function row(label, f, id){ const tr=document.createElement("tr"); tr.className=f&&f.source?"pub":"est";
  tr.innerHTML="<td></td><td></td><td></td>"; tr.children[0].textContent=label; tr.children[1].textContent=fmt(f);
  tr.children[1].id=id; tr.children[2].textContent=f?(f.source||f.note||""):""; return tr; }
async function load(){
  const m=await (await fetch("/api/models")).json(); const h=await (await fetch("/api/hardware")).json();
  for(const x of m){ const o=document.createElement("option"); o.value=x.name; o.textContent=x.name+" ("+x.status+")"; $("model").append(o); }
  for(const x of h){ const o=document.createElement("option"); o.value=x.name; o.textContent=x.name; $("gpu").append(o); }
  $("model").value="qwen3-max"; $("gpu").value="h100-sxm"; await plan(); }
async function plan(ev){ if(ev) ev.preventDefault(); $("error").textContent="";
  const body={model:$("model").value,gpu:$("gpu").value,gpus:$("gpus").value,tokens:$("tokens").value,region:$("region").value,weights:$("weights").value,config:$("config").value};
  const res=await fetch("/api/plan",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify(body)});
  const r=await res.json(); if(!res.ok){ $("error").textContent=r.error||("error "+res.status); return; }
  const tb=$("results").tBodies[0]; tb.replaceChildren();
  const a=r.architecture, t=r.training, fp=r.footprint||{}, s=r.serving[0]||{};
  tb.append(row("total parameters",a.total_params,"total_params"), row("active parameters",a.active_params,"active_params"),
    row("wall-clock days",t.wall_clock_days,"days"), row("accelerator-hours",t.accelerator_hours,"hours"),
    row("energy (MWh)",fp.energy_mwh,"energy"), row("CO2e (t)",fp.co2e_location_t,"co2e"), row("cost (USD)",fp.cost_usd,"cost"),
    row("serving: minimum H200s ("+s.weights+")",s.min_devices,"serve_devices"), row("predicted loss",r.scaling.predicted_loss,"loss"));
  $("chart").innerHTML=r.scaling.chart_svg+(fp.chart_svg||"")+(r.serving_chart_svg||""); }
$("f").addEventListener("submit", plan); load();
</script></body></html>"""


def create_app() -> FastAPI:
    app = FastAPI(title="trillion", docs_url=None, redoc_url=None, openapi_url=None)
    gate = asyncio.Semaphore(MAX_CONCURRENT_PLANS)
    cache: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
    inflight: dict[str, asyncio.Future] = {}

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > MAX_BODY:
            return _bad(413, f"request body over {MAX_BODY // 1024} KiB")
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE

    @app.get("/api/models")
    def models() -> list[dict[str, Any]]:
        from trillion.catalog import catalog

        return [
            {"name": e.name, "display_name": e.display_name, "status": e.status} for e in catalog().values()
        ]

    @app.get("/api/hardware")
    def hardware() -> list[dict[str, Any]]:
        from trillion.catalog.hardware import accelerators

        return [{"name": a.name, "display_name": a.display_name} for a in accelerators().values()]

    @app.post("/api/plan")
    async def plan(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _bad(413, f"request body over {MAX_BODY // 1024} KiB")
        try:
            data = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            return _bad(422, f"request: not valid JSON: {e}")
        key = json.dumps(data, sort_keys=True, default=str)
        if key in cache:
            cache.move_to_end(key)
            status, body = cache[key]
        else:
            task = inflight.get(key)
            if task is None:  # identical requests in flight share one computation
                task = inflight[key] = asyncio.ensure_future(compute(data))
                task.add_done_callback(functools.partial(settle, key))
            # shielded: a client that disconnects cancels its own wait, not the shared plan
            status, body = await asyncio.shield(task)
        return Response(body, status_code=status, media_type="application/json")

    async def compute(data: Any) -> tuple[int, bytes]:
        from starlette.concurrency import run_in_threadpool

        async with gate:
            try:
                return 200, _encode(await run_in_threadpool(plan_payload, data))
            except InputError as e:
                return 400, _encode({"error": str(e)})

    def settle(key: str, task: asyncio.Future) -> None:
        inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return  # not cached; every waiter saw the same outcome
        cache[key] = task.result()
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    return app
