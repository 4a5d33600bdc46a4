"""The local web page's JSON API (Starlette), hardened as if every request were hostile.

`Guard`, in front of every route, refuses before any work:
- a ``Host`` that is not one of the server's own names (DNS rebinding: 403), a cross-origin
  ``Origin`` or ``Sec-Fetch-Site`` (another site's page driving the API: 403), a POST whose
  ``Content-Type`` is not JSON (a form or ``text/plain`` post from another site: 415);
- a body over 256 KiB, counted as it streams whatever the transfer encoding (413, connection
  closed, nothing more read), or one that takes over 10 s to arrive (408).
The plan route parses with bounded depth and number literals (`trillion.io.files.loads_json`),
range-checks every number before converting it, and takes catalog names or a pasted config.json,
never a path. Plans run in worker threads two at a time; identical requests share one
computation and a small cache; at most 8 distinct plans wait, beyond which the answer is 503
with ``Retry-After``; a plan whose every client has gone is cancelled (before it starts, or at
its next stage). Every refusal is a 4xx (or that 503) with ``{"error": reason}``; a 500 is a bug.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from trillion.catalog import DEFAULT_MODEL
from trillion.errors import InputError, TrillionError, UnknownModelError
from trillion.io.files import dumps_strict, loads_json

MAX_BODY = 256 * 1024  # bytes: a config.json is a few KiB
BODY_TIMEOUT_S = 10.0  # the whole request body must arrive within this
MAX_CONCURRENT_PLANS = 2  # bounded compute: plans run in worker threads, at most this many at once
MAX_QUEUED_PLANS = 8  # distinct plans waiting for a worker; more get 503 + Retry-After
CACHE_SIZE = 64  # identical requests (same JSON) are answered from memory
MAX_GPUS = 1_000_000  # bounded work per request: ~5x the largest clusters announced
MAX_TOKENS = 10**16  # bounded work per request: ~250x the largest published training run (36T)
MAX_TEXT = 200  # characters in a model, accelerator or region name
MAX_REQUEST_DEPTH = 16  # nesting of the request body (a pasted config is 3-5 levels deep)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WEIGHTS = ("bf16", "fp8", "int8", "int4", "fp4")


class Cancelled(TrillionError):
    """Every client waiting for this plan has gone; the work stops at its next stage."""


def _bad(status: int, message: str, **headers: str) -> Response:
    return Response(dumps_strict({"error": message}), status_code=status, media_type="application/json",
                    headers=headers)  # fmt: skip


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``"127.0.0.1:8765"`` -> ("127.0.0.1", 8765); ``"[::1]"`` -> ("::1", None); None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        host, _, port_text = value.partition(":")
    if not host or (port_text and not (port_text.isdigit() and len(port_text) <= 5)):
        return None
    return host, int(port_text) if port_text else None


class Guard:
    """ASGI middleware: Host, Origin, method, content type and body size, before the app runs."""

    def __init__(self, app: Any, allowed_hosts: frozenset[str], port: int | None = None):
        self.app = app
        self.allowed = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self.port = port

    def _ours(self, host_port: tuple[str, int | None] | None) -> bool:
        if host_port is None or host_port[0] not in self.allowed:
            return False
        return self.port is None or host_port[1] in (None, self.port)

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host")
        if host is None:
            return 400, "request: no Host header"
        if not self._ours(_split_host(host)):
            return 403, f"request: Host {host[:80]!r} is not this server's address (DNS rebinding is refused)"
        origin = headers.get("origin")
        if origin is not None:
            scheme, sep, rest = origin.partition("://")
            if not sep or scheme.lower() != "http" or not self._ours(_split_host(rest)):
                return 403, f"request: cross-origin request from {origin[:80]!r} refused"
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in ("same-origin", "none"):
            return 403, f"request: cross-site request refused (Sec-Fetch-Site: {site[:40]})"
        if method not in ("GET", "HEAD", "POST"):
            return 405, f"request: method {method[:10]} not allowed"
        if method == "POST":
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                return 415, f"request: Content-Type must be application/json, got {media[:60]!r}"
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or len(length) > 12 or int(length) > MAX_BODY):
                return 413, f"request: body over {MAX_BODY // 1024} KiB"
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return  # no websockets: the connection is closed unanswered
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused = self.refusal(scope["method"], headers)
        if refused is not None:
            return await _bad(refused[0], refused[1], connection="close")(scope, receive, send)
        if scope["method"] != "POST":
            return await self.app(scope, receive, send)
        body = await self._body(scope, receive, send)
        if body is None:
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect arrives

        await self.app(scope, replay, send)

    async def _body(self, scope: dict[str, Any], receive: Any, send: Any) -> bytes | None:
        """The whole body, counted as it arrives; None after answering 413/408 (or a disconnect)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BODY_TIMEOUT_S
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                await _bad(
                    408, f"request: body not received within {BODY_TIMEOUT_S:g} s", connection="close"
                )(scope, receive, send)
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _bad(413, f"request: body over {MAX_BODY // 1024} KiB", connection="close")(
                    scope, receive, send
                )
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _text(data: dict[str, Any], key: str, default: str) -> str:
    raw = data.get(key)
    if raw in (None, ""):
        return default
    if not isinstance(raw, str):
        raise InputError(key, None, f"must be a string, got {type(raw).__name__}")
    if len(raw) > MAX_TEXT:
        raise InputError(key, None, f"{len(raw):,} characters is over the {MAX_TEXT}-character limit")
    return raw


def _int(data: dict[str, Any], key: str, lo: int, hi: int, default: int) -> int:
    """A whole number in [lo, hi] from a JSON number or a count string ("36T"); the size of the
    value is checked before any conversion (the literal itself was bounded by the parser)."""
    raw = data.get(key, default)
    if isinstance(raw, str):
        from trillion.units import parse_count

        value, _ = parse_count(raw, key)
        if value != value.to_integral_value():
            raise InputError(key, None, f"must be a whole number, got {raw[:40]!r}")
        if not lo <= value <= hi:
            raise InputError(key, None, f"must be between {lo:,} and {hi:,}, got {raw[:40]!r}")
        return int(value)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InputError(key, None, f"must be a number, got {str(raw)[:40]!r}")
    if not lo <= raw <= hi:
        raise InputError(key, None, f"must be between {lo:,} and {hi:,}, got {raw:.6g}")
    if raw != int(raw):
        raise InputError(key, None, f"must be a whole number, got {raw!r}")
    return int(raw)


def plan_payload(data: Any, check: Any = None) -> dict[str, Any]:
    """What the page shows for a request (the same figures as `trillion report --json`).

    `model` is a catalog name (never a path); `config` a pasted config.json (text or object).
    """
    from trillion.catalog import find
    from trillion.footprint.data import grid_intensity
    from trillion.io.hf_config import spec_from_hf_dict
    from trillion.report.build import build_report

    if not isinstance(data, dict):
        raise InputError("request", None, "expected a JSON object")
    region = _text(data, "region", "World")
    grid_intensity(region, where="region")
    weights = _text(data, "weights", "fp8")
    if weights not in WEIGHTS:
        raise InputError("weights", None, f"must be {', '.join(WEIGHTS)}, got {weights!r}")
    gpus = _int(data, "gpus", 1, MAX_GPUS, 1024)
    tokens = _int(data, "tokens", 1_000_000, MAX_TOKENS, 10**12)
    gpu = _text(data, "gpu", "h100")
    config = data.get("config")
    if config not in (None, ""):
        if isinstance(config, str):
            config = loads_json(config, "config.json", max_depth=MAX_REQUEST_DEPTH)
        spec = spec_from_hf_dict(config, "config.json", name="pasted-config")
        return build_report("pasted-config", region=region, gpu=gpu, gpus=gpus, spec=spec, tokens=tokens,
                            serve_weights=(weights,), check=check, hidden_costs=False)  # fmt: skip
    name = _text(data, "model", DEFAULT_MODEL)
    if "/" in name or "\\" in name or name.endswith(".json") or name.strip(". ") == "":
        raise InputError("model", None, "the web page takes catalog names or a pasted config.json, not paths")
    entry = find(name)
    return build_report(entry.name, region=region, gpu=gpu, gpus=gpus, entry=entry, tokens=tokens,
                        serve_weights=(weights,), check=check, hidden_costs=False)  # fmt: skip


@dataclass
class _Job:
    """One distinct plan: its task, who waits for it, and the flag its worker thread checks."""

    task: asyncio.Task = field(init=False)
    stop: threading.Event = field(default_factory=threading.Event)
    waiters: int = 0
    started: bool = False


def compare_names(data: Any) -> tuple[str, ...] | None:
    """The ``models`` list of a compare request: 1-12 names of at most `MAX_TEXT` characters
    (None: the default frontier set). Names are looked up in the catalog, never used as paths."""
    if not isinstance(data, dict):
        raise InputError("request", None, "must be a JSON object")
    names = data.get("models")
    if names is None:
        return None
    from trillion.report.compare import MAX_MODELS

    if not isinstance(names, list) or not 1 <= len(names) <= MAX_MODELS:
        raise InputError("request", "models", f"must be a list of 1-{MAX_MODELS} model names")
    for n in names:
        if not isinstance(n, str) or not 0 < len(n) <= MAX_TEXT or "/" in n or "\\" in n:
            raise InputError(
                "request",
                "models",
                f"each must be a model name of 1-{MAX_TEXT} characters, got {str(n)[:40]!r}",
            )
    return tuple(names)


def _compare_payload(names: tuple[str, ...] | None) -> dict[str, Any]:
    from trillion.report.compare import DEFAULT_SET, build_compare
    from trillion.report.html import render_compare

    c = build_compare(names or DEFAULT_SET)
    return {"html": render_compare(c), **{k: v for k, v in c.items() if not k.endswith("_svg")}}


async def _client_gone(request: Request) -> None:
    """Returns when the client disconnects (the body was already read: only that can arrive)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def create_app(allowed_hosts: frozenset[str] = LOOPBACK, port: int | None = None) -> Guard:
    """The ASGI app behind `Guard`. `allowed_hosts`: names the Host header may carry; `port`: the
    bound port (None: any), so a page served elsewhere on this machine cannot pose as ours."""
    gate = asyncio.Semaphore(MAX_CONCURRENT_PLANS)
    cache: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
    jobs: dict[str, _Job] = {}
    cache_pages: dict[str, str] = {}
    stats = {"mean_s": 2.0}  # running mean of a plan's seconds, for Retry-After

    async def page(request: Request) -> Response:
        from trillion.web.page import PAGE

        return HTMLResponse(PAGE)

    async def models(request: Request) -> Response:
        from trillion.catalog import catalog

        rows = [
            {"name": e.name, "display_name": e.display_name, "status": e.status} for e in catalog().values()
        ]
        return JSONResponse(rows)

    async def hardware(request: Request) -> Response:
        from trillion.catalog.hardware import accelerators

        return JSONResponse(
            [{"name": a.name, "display_name": a.display_name} for a in accelerators().values()]
        )

    async def bounded_compare(request: Request, names: tuple[str, ...] | None) -> dict[str, Any] | None:
        """`_compare_payload` in a worker under the plans' gate (bounded compute); None when the
        client left first (its answer is dropped; a waiting one never starts)."""
        from starlette.concurrency import run_in_threadpool

        async def work() -> dict[str, Any]:
            async with gate:
                return await run_in_threadpool(_compare_payload, names)

        task, gone = asyncio.ensure_future(work()), asyncio.ensure_future(_client_gone(request))
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        if not task.done():
            task.cancel()
            return None
        return task.result()

    async def compare_page(request: Request) -> Response:
        if "compare" not in cache_pages:
            payload = await bounded_compare(request, None)
            if payload is None:
                return Response(status_code=499)
            cache_pages["compare"] = payload["html"]
        return HTMLResponse(cache_pages["compare"])

    async def compare_api(request: Request) -> Response:
        try:
            data = loads_json(await request.body() or b"{}", "request", max_depth=MAX_REQUEST_DEPTH)
            payload = await bounded_compare(request, compare_names(data))
        except InputError as e:
            return _bad(400 if isinstance(e, UnknownModelError) else 422, str(e))
        if payload is None:
            return Response(status_code=499)  # the client has gone; nothing reads this
        return Response(dumps_strict(payload), media_type="application/json")

    async def plan(request: Request) -> Response:
        try:
            data = loads_json(await request.body() or b"{}", "request", max_depth=MAX_REQUEST_DEPTH)
        except InputError as e:
            return _bad(422, str(e))
        key = dumps_strict(data)
        if key in cache:
            cache.move_to_end(key)
            status, body = cache[key]
            return Response(body, status_code=status, media_type="application/json")
        job = jobs.get(key)
        if job is None:
            queued = sum(1 for j in jobs.values() if not j.started)
            if queued >= MAX_QUEUED_PLANS:
                wait_s = math.ceil(stats["mean_s"] * (queued / MAX_CONCURRENT_PLANS + 1))
                return _bad(
                    503,
                    f"busy: {queued} plans are waiting; try again shortly",
                    **{"retry-after": str(wait_s)},
                )
            job = jobs[key] = _Job()
            job.task = asyncio.ensure_future(compute(job, data))
            job.task.add_done_callback(functools.partial(settle, key, job))
        job.waiters += 1
        gone = asyncio.ensure_future(_client_gone(request))
        try:
            await asyncio.wait({job.task, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            job.waiters -= 1
            if job.waiters == 0 and not job.task.done():  # nobody left to answer: stop the work
                job.stop.set()
                job.task.cancel()
                if jobs.get(key) is job:  # a new request for the same plan starts afresh
                    del jobs[key]
        if not job.task.done() or job.task.cancelled():
            return Response(status_code=499)  # the client has gone; nothing reads this
        status, body = job.task.result()
        return Response(body, status_code=status, media_type="application/json")

    async def compute(job: _Job, data: Any) -> tuple[int, bytes]:
        from starlette.concurrency import run_in_threadpool

        def check() -> None:
            if job.stop.is_set():
                raise Cancelled("cancelled: every client left")

        async with gate:  # a cancelled job waiting here never starts
            job.started = True
            t0 = time.perf_counter()
            try:
                payload = await run_in_threadpool(plan_payload, data, check)
                return 200, dumps_strict(payload).encode()
            except InputError as e:
                return 400, dumps_strict({"error": str(e)}).encode()
            finally:
                stats["mean_s"] = 0.8 * stats["mean_s"] + 0.2 * (time.perf_counter() - t0)

    def settle(key: str, job: _Job, task: asyncio.Future) -> None:
        if jobs.get(key) is job:
            del jobs[key]
        if task.cancelled() or task.exception() is not None:
            return  # not cached; every waiter saw the same outcome
        cache[key] = task.result()
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    app = Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/api/models", models, methods=["GET"]),
            Route("/api/hardware", hardware, methods=["GET"]),
            Route("/api/plan", plan, methods=["POST"]),
            Route("/compare", compare_page, methods=["GET"]),
            Route("/api/compare", compare_api, methods=["POST"]),
        ]
    )
    return Guard(app, allowed_hosts, port)
