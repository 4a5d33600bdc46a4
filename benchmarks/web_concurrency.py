"""The hardened web server under load and abuse, on loopback: 1,000 concurrent requests, 1,000
distinct plans at once, 200 abandoned plans, 400 half-sent requests.

Run:  .venv/bin/python benchmarks/web_concurrency.py [requests]      (default 1000)

The server runs in its own process (`trillion.web.server.make_server`, as `trillion ui`). Scenarios:
- mixed: `requests` at once — valid plans (eight distinct payloads, so the cache and both plan
  workers see traffic), bad input (4xx expected), page and list fetches; twice (memory stable?).
- distinct: `requests` different plans at once: at most 8 wait, the rest get 503 + Retry-After,
  so the latency of those served stays bounded instead of growing with the queue.
- abandoned: 200 clients post distinct plans and disconnect; then one normal request is timed.
- half-sent: 400 connections send half a request line and wait; one normal request is timed,
  then the time until the server has closed them all (header deadline 10 s).
Reports status counts, 5xx, p50/p99 latency, wall time and the server's resident memory (VmRSS
after each phase, VmHWM = its peak).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import socket
import subprocess
import sys
import time

import httpx

VALID = [{"model": m, "gpu": "h100", "gpus": g, "tokens": "1T", "region": r}
         for m in ("llama-3.1-8b", "mixtral-8x7b") for g in (64, 256) for r in ("USA", "FRA")]  # fmt: skip
BAD = [
    {"model": "no-such-model"},
    {"gpus": -1},
    {"tokens": "1e30"},
    {"region": "Atlantis"},
    {"config": "{oops"},
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mib(pid: int, key: str = "VmRSS") -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


async def _one(port: int, method: str, path: str, body: dict | None) -> tuple[int | str, float]:
    """One request on its own connection with a minimal asyncio client (httpx costs ~5-40 ms of
    client CPU per request, which on 2 cores would measure the client instead of the server)."""
    t0 = time.perf_counter()
    payload = json.dumps(body).encode() if body is not None else b""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()  # fmt: skip
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + payload)
        await writer.drain()
        data = await reader.read()
        writer.close()
        status_line = data.split(b"\r\n", 1)[0].split()
        code: int | str = int(status_line[1]) if len(status_line) > 1 else "no answer"
        if code == 503 and b"retry-after:" not in data.lower():
            code = "503 without Retry-After"
    except OSError as e:
        code = type(e).__name__
    return code, time.perf_counter() - t0


async def _burst(port: int, n: int, body_of) -> tuple[collections.Counter, list[float], float]:
    t = time.perf_counter()
    out = await asyncio.gather(*(_one(port, *body_of(i)) for i in range(n)))
    wall = time.perf_counter() - t
    codes = collections.Counter(c for c, _ in out)
    served = [s for c, s in out if c != 503]
    return codes, served, wall


def mixed(i: int):
    kind = i % 10
    if kind < 6:
        return "POST", "/api/plan", VALID[i % len(VALID)]
    if kind < 8:
        return "POST", "/api/plan", BAD[i % len(BAD)]
    return ("GET", "/", None) if kind == 8 else ("GET", "/api/models", None)


def distinct(i: int):
    return "POST", "/api/plan", {"model": "llama-3.1-8b", "gpus": 1000 + i, "tokens": "1T"}


def _post_raw(port: int, body: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST /api/plan HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
    return s


def _timed_get(base: str, body: dict) -> float:
    t = time.perf_counter()
    r = httpx.post(base + "/api/plan", json=body, timeout=600)
    assert r.status_code == 200, r.text[:200]
    return time.perf_counter() - t


def main(n: int = 1000) -> None:
    port = _port()
    code = f"from trillion.web.server import make_server; make_server('127.0.0.1', {port}).run()"
    server = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/api/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(_burst(port, len(VALID) + len(BAD), mixed))  # warm-up: every payload once
        rows.append(("warm-up", {}, [], 0.0, _mem_mib(server.pid)))
        for name in ("mixed, first", "mixed, second"):
            codes, lat, wall = asyncio.run(_burst(port, n, mixed))
            rows.append((name, codes, lat, wall, _mem_mib(server.pid)))
        codes, lat, wall = asyncio.run(_burst(port, n, distinct))
        rows.append(("distinct plans", codes, lat, wall, _mem_mib(server.pid)))
        socks = [
            _post_raw(port, f'{{"model": "llama-3.1-8b", "gpus": {5000 + i}}}'.encode()) for i in range(200)
        ]
        time.sleep(0.5)
        for s in socks:
            s.close()
        time.sleep(0.5)
        abandoned = _timed_get(base, {"model": "llama-3.1-8b", "gpus": 4321, "tokens": "1T"})
        half = []
        for _ in range(400):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")
            half.append(s)
        during = _timed_get(base, {"model": "llama-3.1-8b", "gpus": 4322, "tokens": "1T"})
        t = time.perf_counter()
        for s in half:
            s.settimeout(30)
            try:
                s.recv(16)
            except OSError:
                pass
            s.close()
        closed_after = time.perf_counter() - t
        peak = _mem_mib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"{n} concurrent requests per burst against the guarded server on loopback ({os.cpu_count()} cores)\n"
    )
    print(
        "| burst | status counts | 5xx other than 503 | p50 s (served) | p99 s (served) | wall s | RSS after (MiB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, codes, lat, wall, rss in rows:
        bad5 = sum(v for k, v in codes.items() if not isinstance(k, int) or (k >= 500 and k != 503))
        counts = dict(sorted(codes.items(), key=str)) if codes else "-"
        print(
            f"| {name} | {counts} | {bad5} | {_pct(lat, 50):.2f} | {_pct(lat, 99):.2f} | {wall:.1f} | {rss:.0f} |"
        )
    print(f"\nafter 200 abandoned plans: a new plan answered in {abandoned:.2f} s")
    print(f"with 400 half-sent requests open: a new plan answered in {during:.2f} s; all 400 closed by the server "
          f"within {closed_after:.1f} s more")  # fmt: skip
    print(f"server peak resident memory (VmHWM): {peak:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
