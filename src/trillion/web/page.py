"""The local web page: one self-contained HTML document (inline CSS and script, no CDN, no
fonts, no network) that talks to the JSON API of `trillion.web.app`.

Its labels and figure kinds are the HTML report's (`trillion.report.html.LABELS`, `KINDS`, put
into the script as JSON), and its `fmt` is a port of the report's `fmt` (the browser test checks
that both write every figure of a report the same way). A figure the plan lacks shows "-" with
its reason in the same row; an infeasible plan says why in the first row.
"""

import json

from trillion.catalog import DEFAULT_MODEL
from trillion.report.html import KINDS, LABELS

_TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trillion</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#1b1b1b;line-height:1.35}
form{display:grid;grid-template-columns:repeat(3,1fr);gap:.6em 1em;align-items:end}label{display:flex;flex-direction:column;font-size:.85em}
textarea{grid-column:1/4;height:6em;font-family:monospace}button{padding:.5em 1em}#error{color:#a00;margin:.6em 0}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.4em}
table{border-collapse:collapse;width:100%;margin-top:.6em;table-layout:fixed;font-size:.92em}
col.l{width:27%}col.v{width:24%}col.k{width:8.5em}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word}th{background:#f4f4f4}
td.k{font-size:.85em;color:#444}td.src{color:#555;font-size:.82em}.reason{color:#9a3b00;font-size:.85em}
.pub{background:#e8f4ea}.rum{background:#f3ecf8}.exact{background:#e8f0fa}.est{background:#fff7e0}
.given{background:#eef1f4}.dflt{background:#f3f3f3}.bad{background:#fdecea}.none{background:#fff}
#chart svg{display:block;max-width:100%;height:auto;margin:1em 0}#status{color:#555;font-size:.9em}
</style></head><body>
<h1>trillion</h1><p>What it takes to build and run a frontier model. Everything runs locally. <a href="/compare">Compare the frontier models</a> (benchmarks like for like, prices, scale against capability).</p>
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
<div id="error" role="alert"></div><div id="status"></div>
<h2>Plan</h2>
<table id="results"><colgroup><col class="l"><col class="v"><col class="k"><col></colgroup>
<thead><tr><th>Quantity</th><th>Value: P50 (P10 - P90)</th><th>Kind</th><th>Source or method</th></tr></thead><tbody></tbody></table>
<h2>Set-up of this plan</h2>
<table id="setup"><colgroup><col class="l"><col class="v"><col class="k"><col></colgroup>
<thead><tr><th>Input</th><th>Value</th><th>Kind</th><th>Source or method</th></tr></thead><tbody></tbody></table>
<h2>Charts</h2><div class="chart" id="chart"></div><p class="reason" id="chart-notes"></p>
<script>
const LABELS=__LABELS__, KINDS=__KINDS__, DEFAULT_MODEL=__DEFAULT__;
const $ = (id) => document.getElementById(id);
const L = (key, section) => LABELS[section+"/"+key] || LABELS[key] || key;
const SI=[[1e15,"P"],[1e12,"T"],[1e9,"B"],[1e6,"M"],[1e3,"k"]];
function unitStyle(unit){ const base=(unit||"").replace(" (p10/p50/p90)","").replace(" (P50)","").trim();
  if(["bytes","FLOP","fraction of peak"].includes(base)) return [base,"","",Infinity];
  if(base.startsWith("%")) return ["plain","","%",Infinity];
  if(base.startsWith("USD")) return ["plain","$",base.slice(3),1e4];
  if(base==="parameters"||base==="tokens"||base.endsWith("-hours")) return ["plain","","",1e4];
  for(const [s,a] of [["MWh"," MWh"],["Wh"," Wh"],["t CO2e"," t"],["m3"," m\\u00b3"],["days"," days"]]) if(base.startsWith(s)) return ["plain","",a,1e6];
  if(base==="t") return ["plain",""," t",1e6];
  if(base.startsWith("expected / planned")) return ["plain","","x",Infinity];
  return ["plain","","",1e6]; }
function decimals(m){ if(m===0||!isFinite(m)) return 0; const e=Math.floor(Math.log10(m)); return e===3?0:2-e; }
function scale(ref,siFrom){ const a=Math.abs(ref);
  if(a>=siFrom){ const a3=Number(a.toPrecision(3)); for(const [d,p] of SI) if(a3>=d) return [d,p,decimals(a3/d)]; }
  return [1,"",decimals(a)]; }
function commas(s){ const [i,f]=s.split("."); const neg=i.startsWith("-"); const g=(neg?i.slice(1):i).replace(/\\B(?=(\\d{3})+(?!\\d))/g,",");
  return (neg?"-":"")+g+(f===undefined?"":"."+f); }
function show(v,[d,p,dec]){ let x=v/d; if(dec<0){ const f=10**(-dec); x=Math.round(x/f)*f; } return commas(x.toFixed(Math.max(dec,0)))+p; }
function bytes(n){ for(const [u,e] of [["PiB",50],["TiB",40],["GiB",30],["MiB",20],["KiB",10]]) if(n>=2**e){ const v=n/2**e;
    return v.toFixed(v>=100?0:Math.max(2-(String(Math.trunc(v)).length-1),1))+" "+u; } return Math.trunc(n)+" B"; }
function number(v,unit,ref,bare){ const [kind,before,after,siFrom]=unitStyle(unit);
  if(kind==="bytes") return bytes(v);
  if(kind==="FLOP"){ const [m,e]=v.toExponential(2).split("e"); return m+"e"+parseInt(e,10)+(bare?"":" FLOP"); }
  if(kind==="fraction of peak") return (v*100).toFixed(1)+"%";
  let text;
  if(Number.isInteger(v)&&Math.abs(v)<siFrom) text=commas(String(v));
  else if(v!==0&&Math.abs(v)<1e-3){ const [m,e]=v.toExponential(2).split("e"); text=m+"e"+parseInt(e,10); }
  else { text=show(v,scale(ref==null?v:ref,siFrom));
    if(ref!=null&&v&&Number(text.replace(/,/g,"").replace(/[PTBMk]+$/,""))===0) text=show(v,scale(v,siFrom)); }
  const neg=text.startsWith("-"); return bare?text:(neg?"-":"")+before+(neg?text.slice(1):text)+after; }
function num(v,unit){ if(v==null) return "-"; if(typeof v==="boolean") return v?"yes":"no";
  if(typeof v==="string") return (v.includes("=")&&v.includes(",")&&!v.includes(", "))?v.replaceAll(",",", "):v;
  if(!isFinite(v)) return "-"; return number(v,unit); }
function fmt(f){ if(!f) return "-"; const v=f.value, unit=f.unit||"";
  if(v&&typeof v==="object"&&"p50" in v){ const ref=v.p50;
    if((v.p10===v.p90&&v.p90===v.p50)||typeof v.p10!=="number"||typeof v.p90!=="number") return num(ref,unit);
    const r=" ("+number(v.p10,unit,ref,true)+" - "+number(v.p90,unit,ref,true)+")";
    return (unitStyle(unit)[0]==="FLOP"?num(ref,unit):number(ref,unit,ref))+r; }
  return num(v,unit); }
function kindOf(f){ const k=(f&&(f.kind||(f.source?"published":"estimate")))||"estimate"; return KINDS[k]||KINDS.estimate; }
function row(label, f, id, why, briefWhy){ const tr=document.createElement("tr"); const [cls,words]=f?kindOf(f):["none",""];
  tr.className=cls; tr.innerHTML="<td></td><td></td><td class='k'></td><td class='src'></td>";
  const [l,v,k,s]=tr.children; l.textContent=label; v.textContent=fmt(f); if(id) v.id=id; k.textContent=words;
  if(v.textContent==="-"){ const why2=why||"not in this plan's results"; v.title=why2; tr.className="none";
    const span=document.createElement("span"); span.className="reason"; span.textContent=briefWhy||why2; s.append(span); }
  else s.textContent=f.source||f.note||""; return tr; }
async function load(){
  const m=await (await fetch("/api/models")).json(); const h=await (await fetch("/api/hardware")).json();
  for(const x of m){ const o=document.createElement("option"); o.value=x.name; o.textContent=x.name+" ("+x.status+")"; $("model").append(o); }
  for(const x of h){ const o=document.createElement("option"); o.value=x.name; o.textContent=x.name; $("gpu").append(o); }
  $("model").value=(m.find((x)=>x.name===DEFAULT_MODEL)||m[0]).name; $("gpu").value="h100-sxm"; await plan(); }
function render(r){
  const tb=$("results").tBodies[0]; tb.replaceChildren();
  const a=r.architecture, t=r.training, fp=r.footprint||{}, s=r.serving[0]||{}, setup=r.setup||{};
  const noPlan=t.fits?"":"the training plan does not fit: "+(t.reason||"no reason given");
  const brief="no plan: it does not fit (reason in the first row)";
  const status=document.createElement("tr"); status.className=t.fits?"est":"bad";
  status.innerHTML="<td>Training plan</td><td id='fits'></td><td class='k'>estimate</td><td class='src'></td>";
  status.children[1].textContent=t.fits?"fits in memory":"does not fit";
  if(t.fits) status.children[3].textContent="the training planner's memory check";
  else { const sp=document.createElement("span"); sp.className="reason"; sp.textContent=t.reason||"no reason given"; status.children[3].append(sp); }
  const price=(setup.price&&setup.price.note)||"no shipped price for this accelerator";
  const serveWhy=s.fits===false?(s.reason||s.weights+" weights: the serving planner found no layout that fits"):"";
  const serving=(k)=>"Serving, "+s.weights+" weights: "+L(k,"serving").charAt(0).toLowerCase()+L(k,"serving").slice(1);
  tb.append(status,
    row(L("total_params"),a.total_params,"total_params"), row(L("active_params"),a.active_params,"active_params"),
    row(L("tokens"),t.tokens,"train_tokens"), row(L("cluster"),t.cluster,"cluster"),
    row(L("speed_of_light_days"),t.speed_of_light_days,"sol_days",noPlan,brief),
    row(L("planned_days"),t.planned_days,"planned_days",noPlan,brief),
    row(L("wall_clock_days"),t.wall_clock_days,"days",noPlan,brief),
    row(L("reality_gap"),t.reality_gap,"gap",noPlan,brief),
    row(L("accelerator_hours"),t.accelerator_hours,"hours",noPlan,brief),
    row(L("energy_mwh"),fp.energy_mwh,"energy",noPlan,brief), row(L("co2e_location_t"),fp.co2e_location_t,"co2e",noPlan,brief),
    row(L("water_m3"),fp.water_m3,"water",noPlan,brief),
    row(L("cost_usd"),fp.cost_usd,"cost",noPlan||price,noPlan?brief:price),
    row(serving("min_devices"),s.min_devices,"serve_devices",serveWhy||"no device count the planner tries serves it"),
    row(serving("tokens_per_s_per_device"),s.tokens_per_s_per_device,"serve_tps",serveWhy),
    row(serving("energy_wh_per_query"),s.energy_wh_per_query,"serve_wh",serveWhy),
    row(serving("cost_usd_per_million_tokens"),s.cost_usd_per_million_tokens,"serve_cost",serveWhy||"no shipped price for the serving accelerator"),
    row(L("predicted_loss"),r.scaling.predicted_loss,"loss"));
  const sb=$("setup").tBodies[0]; sb.replaceChildren();
  for(const [k,f] of Object.entries(setup)) sb.append(row(L(k,"setup"),f,null));
  $("chart").innerHTML=r.scaling.chart_svg+(fp.chart_svg||"")+(r.serving_chart_svg||"");
  const notes=[]; if(!fp.chart_svg) notes.push("No energy chart: "+(noPlan||"no footprint")+".");
  if(!r.serving_chart_svg) notes.push("No serving chart: no weight precision fits.");
  $("chart-notes").textContent=notes.join(" "); }
async function plan(ev){ if(ev) ev.preventDefault(); $("error").textContent=""; $("status").textContent="planning...";
  const body={model:$("model").value,gpu:$("gpu").value,gpus:$("gpus").value,tokens:$("tokens").value,region:$("region").value,weights:$("weights").value,config:$("config").value};
  const res=await fetch("/api/plan",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify(body)});
  const r=await res.json().catch(()=>({})); $("status").textContent=""; if(!res.ok){ const wait=res.headers.get("retry-after");
    $("error").textContent=(r.error||("error "+res.status))+(wait?" (try again in "+wait+" s)":""); return; }
  render(r); }
$("f").addEventListener("submit", plan); load();
</script></body></html>"""


def _json(value: object) -> str:
    return json.dumps(value).replace("</", "<\\/")  # inside <script>


PAGE = (
    _TEMPLATE.replace("__LABELS__", _json(LABELS))
    .replace("__KINDS__", _json({k: list(v) for k, v in KINDS.items()}))
    .replace("__DEFAULT__", _json(DEFAULT_MODEL))
)
