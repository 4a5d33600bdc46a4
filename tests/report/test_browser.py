"""End to end in real headless Chromium (Playwright driving Debian's chromium), network blocked:
the web page loads, reacts to new inputs and to bad ones; the HTML report opens offline."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def test_web_page_end_to_end_offline(server, browser, tmp_path):
    context = browser.new_context()
    blocked: list[str] = []
    _offline(context, server, blocked)
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_function(
        "document.getElementById('energy') && document.getElementById('energy').textContent !== '-'",
        timeout=60_000,
    )
    first = page.inner_text("#energy")
    assert page.locator("#chart > svg").count() == 3  # frontier, energy by part, serving trade-off
    page.fill("#tokens", "72T")
    page.click("#go")
    page.wait_for_function(f"document.getElementById('energy').textContent !== {first!r}", timeout=60_000)
    assert page.inner_text("#energy") != first
    page.fill("#tokens", "banana")
    page.click("#go")
    page.wait_for_function("document.getElementById('error').textContent.length > 0", timeout=30_000)
    assert "tokens" in page.inner_text("#error")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert blocked == [], blocked
    context.close()


def test_html_report_opens_offline(browser, tmp_path):
    from trillion.cli import main

    out = tmp_path / "report.html"
    assert main(["report", "deepseek-v3", "--html", str(out)]) == 0
    context = browser.new_context()
    blocked: list[str] = []
    _offline(context, "file://", blocked)
    page = context.new_page()
    page.goto(out.as_uri())
    assert "DeepSeek-V3" in page.title() and page.locator("div.chart > svg").count() == 3
    assert page.locator("tr.pub").count() > 3 and page.locator("tr.est").count() > 3
    assert blocked == [], blocked
    context.close()
