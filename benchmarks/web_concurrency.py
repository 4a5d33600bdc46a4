"""1,000 concurrent bounded requests to `trillion ui` on loopback: no 5xx, memory stable.

Run:  .venv/bin/python benchmarks/web_concurrency.py [requests]

Starts the server in a subprocess (uvicorn, 127.0.0.1), warms it with one request of each kind,
then sends all requests at once (httpx, asyncio): a mix of valid plans (eight distinct payloads,
so the cache and the two plan workers both see traffic), bad input (4xx expected), page and list
fetches. Reports status counts, wall time, and the server's resident memory (VmRSS) after the
warm-up, after the burst and after a second identical burst (stable = the second burst adds little).
"""

from __future__ import annotations

import asyncio
import collections
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


def _rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _burst(base: str, n: int) -> collections.Counter:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:

        async def one(i: int) -> int:
            kind = i % 10
            if kind < 6:
                r = await client.post("/api/plan", json=VALID[i % len(VALID)])
            elif kind < 8:
                r = await client.post("/api/plan", json=BAD[i % len(BAD)])
            elif kind == 8:
                r = await client.get("/")
            else:
                r = await client.get("/api/models")
            return r.status_code

        codes = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    return collections.Counter(c if isinstance(c, int) else type(c).__name__ for c in codes)


def main(n: int = 1000) -> None:
    port = _port()
    code = f"import uvicorn; from trillion.web.app import create_app; uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='error')"
    server = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/api/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(_burst(base, len(VALID) + len(BAD)))
        rss0 = _rss_mib(server.pid)
        t = time.perf_counter()
        first = asyncio.run(_burst(base, n))
        t1 = time.perf_counter() - t
        rss1 = _rss_mib(server.pid)
        t = time.perf_counter()
        second = asyncio.run(_burst(base, n))
        t2 = time.perf_counter() - t
        rss2 = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"{n} concurrent requests x 2 bursts against trillion ui on loopback (pid {server.pid}, {os.cpu_count()} cores)\n"
    )
    print("| burst | status counts | 5xx | wall s | server RSS after (MiB) |\n|---|---|---|---|---|")
    print(f"| warm-up | - | - | - | {rss0:.0f} |")
    for name, counts, rss, wall in (
        ("first", first, rss1, f"{t1:.1f}"),
        ("second", second, rss2, f"{t2:.1f}"),
    ):
        five = sum(v for k, v in counts.items() if isinstance(k, int) and k >= 500)
        print(f"| {name} | {dict(sorted(counts.items(), key=str))} | {five} | {wall} | {rss:.0f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
