"""The local web page: one self-contained HTML document (inline CSS and script, no CDN, no
fonts, no network) that talks to the JSON API of `trillion.web.app`."""

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
  $("model").value=(m.find((x)=>x.default)||m[0]).name; $("gpu").value="h100-sxm"; await plan(); }
async function plan(ev){ if(ev) ev.preventDefault(); $("error").textContent="";
  const body={model:$("model").value,gpu:$("gpu").value,gpus:$("gpus").value,tokens:$("tokens").value,region:$("region").value,weights:$("weights").value,config:$("config").value};
  const res=await fetch("/api/plan",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify(body)});
  const r=await res.json().catch(()=>({})); if(!res.ok){ const wait=res.headers.get("retry-after");
    $("error").textContent=(r.error||("error "+res.status))+(wait?" (try again in "+wait+" s)":""); return; }
  const tb=$("results").tBodies[0]; tb.replaceChildren();
  const a=r.architecture, t=r.training, fp=r.footprint||{}, s=r.serving[0]||{};
  tb.append(row("total parameters",a.total_params,"total_params"), row("active parameters",a.active_params,"active_params"),
    row("days, speed of light",t.speed_of_light_days,"sol_days"), row("wall-clock days, expected",t.wall_clock_days,"days"),
    row("accelerator-hours, expected",t.accelerator_hours,"hours"),
    row("energy (MWh)",fp.energy_mwh,"energy"), row("CO2e (t)",fp.co2e_location_t,"co2e"), row("cost (USD)",fp.cost_usd,"cost"),
    row("serving: minimum H200s ("+s.weights+")",s.min_devices,"serve_devices"), row("predicted loss",r.scaling.predicted_loss,"loss"));
  $("chart").innerHTML=r.scaling.chart_svg+(fp.chart_svg||"")+(r.serving_chart_svg||""); }
$("f").addEventListener("submit", plan); load();
</script></body></html>"""
