"""End to end in real headless Chromium (Playwright driving Debian's chromium), network blocked:
the web page loads, reacts to new inputs and to bad ones, explains an infeasible plan; the HTML
report and comparison open offline. Every page is checked for what a reader would trip on:
clipped or overlapping text (table cells, chart text), a raw JSON key used as a label, a "-"
without its reason, and machine leftovers (NaN, undefined, 1.8e+06). Full-page screenshots go
to $TRILLION_SCREENSHOTS when set (else a temporary directory) for a human to look at."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None or not __import__("importlib.util").util.find_spec("playwright"):
    if os.environ.get("CI"):
        pytest.fail("CI needs chromium and playwright: `make test` installs both", pytrace=False)
    pytest.skip(
        "needs Debian's chromium and the playwright package (`make test` installs them)",
        allow_module_level=True,
    )

from playwright.sync_api import sync_playwright  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}

# Run in the page with the JSON keys (underscores as spaces); returns the problems as strings.
CHECKS_JS = r"""(keys) => {
  keys = new Set(keys);
  const out = [], DASH = new Set(["-", "\u2013", "\u2014", "n/a", ""]);
  const text = (el) => (el.textContent || "").replace(/\s+/g, " ").trim();
  const own = (el) => { const c = el.cloneNode(true); c.querySelectorAll(".reason").forEach((r) => r.remove()); return text(c); };
  const ident = /\b[a-z0-9]+_[a-z0-9_]+\b/i, raw = /^[a-z0-9]+( [a-z0-9]+)*$/;
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.push(`page: ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window`);
  for (const el of document.querySelectorAll("th, td, h1, h2, h3, p, li, summary, label, button")) {
    if (el.clientWidth && el.scrollWidth > el.clientWidth + 1)
      out.push(`clipped (${el.scrollWidth} > ${el.clientWidth} px): ${text(el).slice(0, 80)}`);
  }
  for (const tr of document.querySelectorAll("tr")) {
    const cells = [...tr.children];
    const reasoned = [...tr.querySelectorAll(".reason")].some((r) => text(r) && r.getClientRects().length);
    cells.forEach((c, i) => {
      const t = text(c), src = c.classList.contains("src");
      if (i === 0 && raw.test(t) && keys.has(t)) out.push(`raw key as a label: "${t}"`);
      if (!src && ident.test(t)) out.push(`identifier in a cell: "${t.slice(0, 80)}"`);
      if (c.classList.contains("nolabel")) out.push(`key with no label: "${t}"`);
      if (!src && /NaN|undefined|\[object|\d[eE]\+\d|^null$/.test(t)) out.push(`machine text: "${t.slice(0, 80)}"`);
      if (c.tagName === "TD" && DASH.has(own(c)) && !(c.title || "").trim() && !reasoned)
        out.push(`"${own(c)}" without a reason in row: ${text(tr).slice(0, 80)}`);
    });
  }
  document.querySelectorAll("svg").forEach((svg, n) => {
    const box = svg.getBoundingClientRect();
    if (box.width < 640) out.push(`chart ${n}: ${Math.round(box.width)} px wide`);
    if (!svg.querySelector("text")) out.push(`chart ${n}: no text elements (labels drawn as paths?)`);
    const texts = [...svg.querySelectorAll("text")].filter((t) => text(t))
      .map((t) => ({ t: text(t), r: t.getBoundingClientRect() })).filter((x) => x.r.width > 0);
    for (const { t, r } of texts) {
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.push(`chart ${n}: text outside the chart: "${t}"`);
      if ((raw.test(t) && keys.has(t)) || ident.test(t)) out.push(`chart ${n}: raw key: "${t}"`);
    }
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push(`chart ${n}: "${texts[i].t}" overlaps "${texts[j].t}"`);
    }
  });
  return out;
}"""


def _keys(node: Any, out: set[str] | None = None) -> set[str]:
    """Every dict key in a report (and its row keys), underscores as spaces."""
    out = set() if out is None else out
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(str(k).replace("_", " "))
            _keys(v, out)
    elif isinstance(node, list | tuple):
        for v in node:
            _keys(v, out)
    return out


def _check(page, keys: set[str]) -> list[str]:
    return page.evaluate(CHECKS_JS, sorted(keys))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("TRILLION_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server():
    from trillion.web.server import make_server

    port = _free_port()
    srv = make_server("127.0.0.1", port)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _offline(context, allowed: str, blocked: list[str]) -> None:
    def handler(route):
        url = route.request.url
        if url.startswith(allowed) or url.startswith("file://") or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", handler)


def _open(browser, url: str, allowed: str):
    """(context, page, blocked requests) with `url` open and every request outside `allowed` blocked."""
    context = browser.new_context(viewport=VIEWPORT)
    blocked: list[str] = []
    _offline(context, allowed, blocked)
    page = context.new_page()
    page.goto(url)
    return context, page, blocked


def _open_file(browser, path: Path):
    return _open(browser, path.as_uri(), "file://")


def _web_keys() -> set[str]:
    from trillion.web.app import plan_payload

    return _keys(plan_payload({"model": "qwen3-max", "gpus": 1})) | _keys(plan_payload({}))


def test_web_page_end_to_end_offline(server, browser, shots):
    context, page, blocked = _open(browser, server + "/", server)
    page.wait_for_function(
        "document.getElementById('energy') && document.getElementById('energy').textContent !== '-'",
        timeout=60_000,
    )
    first = page.inner_text("#energy")
    assert page.locator("#chart > svg").count() == 3  # frontier, energy by part, serving trade-off
    assert "MWh" in first and "e+" not in first, first
    page.screenshot(path=str(shots / "web-default.png"), full_page=True)
    assert _check(page, _web_keys()) == []
    page.fill("#tokens", "72T")
    page.click("#go")
    page.wait_for_function(f"document.getElementById('energy').textContent !== {first!r}", timeout=60_000)
    assert page.inner_text("#energy") != first
    page.fill("#tokens", "banana")
    page.click("#go")
    page.wait_for_function("document.getElementById('error').textContent.length > 0", timeout=30_000)
    assert "tokens" in page.inner_text("#error")
    shot = shots / "web-bad-input.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert blocked == [], blocked
    context.close()


def test_web_page_explains_an_infeasible_plan(server, browser, shots):
    """One H100 cannot hold Qwen3-Max: every missing figure says why, in its row."""
    context, page, blocked = _open(browser, server + "/", server)
    page.wait_for_function("document.getElementById('fits')", timeout=60_000)
    page.select_option("#model", "qwen3-max")
    page.fill("#gpus", "1")
    page.click("#go")
    page.wait_for_function(
        "document.getElementById('fits') && document.getElementById('fits').textContent === 'does not fit'",
        timeout=60_000,
    )
    page.screenshot(path=str(shots / "web-infeasible.png"), full_page=True)
    first_row = page.locator("#results tbody tr").first.inner_text()
    assert "GiB" in first_row, first_row  # the planner's reason, in place
    assert page.inner_text("#energy") == "-" and page.get_attribute("#energy", "title")
    assert "does not fit" in page.inner_text("#chart-notes")
    assert _check(page, _web_keys()) == []
    assert blocked == [], blocked
    context.close()


@pytest.mark.parametrize("name, gpus", [("deepseek-v3", None), ("qwen3-max", None), ("qwen3-max", 1)])
def test_html_report_is_legible_offline(browser, shots, tmp_path, name, gpus):
    from trillion.cli import main
    from trillion.report.build import build_report

    out = tmp_path / "report.html"
    assert main(["report", name, "--html", str(out), *(["--gpus", str(gpus)] if gpus else [])]) == 0
    context, page, blocked = _open_file(browser, out)
    page.screenshot(
        path=str(shots / f"report-{name}{f'-on-{gpus}-gpus' if gpus else ''}.png"), full_page=True
    )
    r = build_report(name, gpus=gpus)
    fits = r["training"]["fits"]
    charts = (
        5 if fits else 2
    )  # with a plan: + the affordability frontier and the levers (hidden costs over time)
    assert r["display_name"] in page.title() and page.locator("div.chart > svg").count() == charts
    heads = (
        "Hidden costs over time",
        "Who can afford it, and when",
        "Efficiency levers (x the baseline, trillion's estimate)",
    )
    for head in heads if fits else heads[:1]:
        assert page.get_by_role("heading", name=head).count() == 1, head
    if not fits:
        assert "No training plan fits, so no costs to carry over time" in page.inner_text("body")
    published = 3 if name == "deepseek-v3" else 0  # Qwen3-Max's architecture is trillion's estimate
    assert page.locator("tr.pub").count() > published and page.locator("tr.est").count() > 3
    if not fits:  # the planner's reason, where the plan and the footprint would be
        assert r["training"]["reason"] in page.locator("tr.bad").first.inner_text()
        assert "No footprint: the training plan does not fit" in page.inner_text("body")
    keys = _keys(r)
    assert _check(page, keys) == []
    page.set_viewport_size({"width": 820, "height": 900})  # a narrow window: still nothing clipped
    assert _check(page, keys) == []
    assert blocked == [], blocked
    context.close()


def _check_compare(page, keys: set[str], width: int = 1280) -> None:
    assert page.locator("div.chart > svg").count() == 2  # compute per model, scale against capability
    for head in ("What is published, what is estimated", "Benchmarks, like for like", "Which pairs are comparable",
                 "Scale against capability"):  # fmt: skip
        assert page.get_by_role("heading", name=head).count() == 1, head
    assert _check(page, keys) == []
    page.set_viewport_size({"width": 820, "height": 900})  # a narrow window: still nothing clipped
    assert _check(page, keys) == []


@pytest.mark.parametrize("names", [[], ["qwen3-max", "gemini-ultra", "gpt-4"]])
def test_compare_is_legible_offline(browser, shots, tmp_path, names):
    from trillion.cli import main
    from trillion.report.compare import DEFAULT_SET, build_compare

    out = tmp_path / "compare.html"
    assert main(["compare", *names, "--html", str(out)]) == 0
    context, page, blocked = _open_file(browser, out)
    page.screenshot(path=str(shots / f"compare{'-' + '-'.join(names) if names else ''}.png"), full_page=True)
    text = page.inner_text("body")
    if names:
        assert "headline trap, MMLU" in text and "90.04" in text and "86.4" in text
    _check_compare(page, _keys(build_compare(tuple(names) or DEFAULT_SET)))
    assert blocked == [], blocked
    context.close()


def test_web_comparison_is_legible_offline(server, browser, shots):
    from trillion.report.compare import build_compare

    context, page, blocked = _open(browser, server + "/", server)
    page.click("text=Compare the frontier models")
    page.wait_for_selector("h1", timeout=120_000)
    assert page.url.endswith("/compare")
    page.screenshot(path=str(shots / "web-compare.png"), full_page=True)
    _check_compare(page, _keys(build_compare()))
    assert blocked == [], blocked
    context.close()


def test_the_checks_fail_on_a_bad_page(browser, tmp_path):
    """The checks above are not vacuous: each kind of fault on a made-up page is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        """<!doctype html><html><body><table style="table-layout:fixed;width:300px">
<tr><td>energy mwh</td><td style="white-space:nowrap;overflow:hidden">1,234,567,890,123,456,789 MWh (1,111,111 - 2,222,222)</td></tr>
<tr><td>Cost</td><td>-</td></tr><tr><td>Loss</td><td>NaN</td></tr><tr><td>speed_of_light_days</td><td>3</td></tr></table>
<svg width="700" height="100"><text x="10" y="50" font-size="14">first label</text><text x="20" y="52" font-size="14">second</text>
<text x="690" y="50" font-size="14">past the edge</text></svg></body></html>""",
        encoding="utf-8",
    )
    context, page, _ = _open_file(browser, bad)
    problems = "\n".join(_check(page, {"energy mwh", "cost usd"}))
    context.close()
    for expected in ("clipped", 'raw key as a label: "energy mwh"', '"-" without a reason', "machine text",
                     "identifier in a cell", "overlaps", "outside the chart"):  # fmt: skip
        assert expected in problems, (expected, problems)


def test_the_page_writes_numbers_as_the_report_does(server, browser):
    """The web page's script `fmt` and the report's Python `fmt` agree on every figure."""
    from trillion.report.build import build_report, figures
    from trillion.report.html import fmt

    figs = [f for _, f in figures(build_report("deepseek-v3"))] + [
        {"value": {"p10": 940_000.0, "p50": 1_840_000.0, "p90": 2_860_000.0}, "unit": "USD (p10/p50/p90)"},
        {
            "value": {"p10": 14130.745, "p50": 17720.218, "p90": 22402.342},
            "unit": "MWh facility (p10/p50/p90)",
        },
        {"value": 1.034e12, "unit": "parameters"},
        {"value": 16.0, "unit": "devices"},
        {"value": -0.3, "unit": ""},
        {"value": 0.000123, "unit": "USD"},
        {"value": 3 * 2**40, "unit": "bytes"},
        {"value": "dp=8,tp=4", "unit": ""},
    ]
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    script = page.evaluate("(figs) => figs.map((f) => fmt(f))", json.loads(json.dumps(figs)))
    context.close()
    assert fmt(figs[-8]) == "$1.84M (0.94M - 2.86M)" and fmt(figs[-7]) == "17,700 MWh (14,100 - 22,400)"
    assert fmt(figs[-6]) == "1.03T" and fmt(figs[-5]) == "16"
    assert [fmt(f) for f in figs] == script
