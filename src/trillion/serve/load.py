"""Latency under load: a small discrete-event simulation of one replica's continuous batching.

Requests arrive as a Poisson process at `qps` per replica. Each step (vLLM's and SGLang's
scheduler loop) admits waiting requests while the KV room holds them, spends up to a chunked-prefill
token budget on the prompts of admitted requests (oldest first), and advances every request whose
prompt is done by one token (more with speculative decoding). A step lasts the decode step of the
batch decoding now plus the prefill tokens it carries (`decode_step` and the prefill cost per
prompt token of `trillion.serve.perf`). A request's time to first token runs from its arrival to
the end of the step that finishes its prompt; its time per output token is the rest of its life
over its remaining tokens. The first tenth of the requests warm the system up and are not counted.

A load at or above the replica's capacity (requests per second at its largest batch, prompts
included) has no steady state: reported as unstable, with the capacity and the utilisation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PERCENTILES = (50, 90, 99)
CHUNK_TOKENS = 8192  # prefill tokens one step may carry (vLLM's max_num_batched_tokens default)


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadResult:
    """Latency percentiles of one replica at `qps` (seconds), and how busy it ran."""

    qps: float
    requests: int
    seed: int
    stable: bool
    capacity_qps: float
    ttft_s: dict[str, float] = field(default_factory=dict)
    tpot_s: dict[str, float] = field(default_factory=dict)
    mean_concurrency: float = 0.0
    mean_latency_s: float = 0.0
    mean_ttft_s: float = float("nan")
    max_queue: int = 0

    @property
    def utilisation(self) -> float:
        return self.qps / self.capacity_qps if self.capacity_qps else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__}, "utilisation": self.utilisation}


def simulate_load(
    step_s: np.ndarray,
    prefill_s_per_token: float,
    prompt: int,
    output: int,
    qps: float,
    *,
    tokens_per_step: float = 1.0,
    requests: int = 2000,
    seed: int = 0,
    chunk_tokens: int = CHUNK_TOKENS,
) -> LoadResult:
    """Simulate `requests` arrivals at `qps` on one replica.

    `step_s[b]` is the decode step in seconds with b sequences decoding (b = 0 .. max concurrency;
    its length bounds the batch); `prefill_s_per_token` the replica's cost of one prompt token;
    lengths in tokens. Deterministic for a given `seed`.
    """
    max_conc = len(step_s) - 1
    if max_conc < 1 or qps <= 0:
        raise ValueError("needs room for one sequence and a positive arrival rate")
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / qps, size=requests))
    first = np.full(requests, np.nan)
    done = np.full(requests, np.nan)
    waiting: deque[int] = deque()
    prefilling: deque[list[int]] = deque()  # [request, prompt tokens left]
    # every decoding request advances by the same tokens per step, so with one output length they
    # finish in the order they started: (progress at which it is done, request), oldest first
    decoding: deque[tuple[float, int]] = deque()
    progress, t, nxt, area, max_queue = 0.0, 0.0, 0, 0.0, 0
    # requests per second at full batch: every request's decode share of the steps plus its prompt
    capacity = 1.0 / (
        output * float(step_s[max_conc]) / (max_conc * tokens_per_step) + prompt * prefill_s_per_token
    )
    cut_short = False
    while nxt < requests or waiting or prefilling or decoding:
        while nxt < requests and arrivals[nxt] <= t:
            waiting.append(nxt)
            nxt += 1
        if not (waiting or prefilling or decoding):
            t = float(arrivals[nxt])  # idle until the next arrival
            continue
        while waiting and len(prefilling) + len(decoding) < max_conc:
            prefilling.append([waiting.popleft(), prompt])
        max_queue = max(max_queue, len(waiting))
        budget, finished = chunk_tokens, []
        for item in prefilling:
            take = min(budget, item[1])
            item[1] -= take
            budget -= take
            if item[1] == 0:
                finished.append(item[0])
            if budget == 0:
                break
        used = chunk_tokens - budget
        batch = len(decoding)
        dt = float(step_s[batch]) + used * prefill_s_per_token
        area += (len(prefilling) + batch) * dt
        t += dt
        progress += tokens_per_step if batch else 0.0
        while decoding and decoding[0][0] <= progress + 1e-9:
            done[decoding.popleft()[1]] = t
        while prefilling and prefilling[0][1] == 0:
            prefilling.popleft()
        for r in finished:
            first[r] = t  # the prompt's last chunk also yields the first token
            if output > 1:
                decoding.append((progress + output - 1, r))
            else:
                done[r] = t
        if t > 50 * (arrivals[-1] + 1) and nxt == requests:  # hopelessly overloaded: stop early
            cut_short = True
            break
    counted = slice(requests // 10, requests)
    ttft = first[counted] - arrivals[counted]
    tpot = (done[counted] - first[counted]) / max(1, output - 1)
    ok = np.isfinite(ttft) & np.isfinite(tpot)
    span = arrivals[-1] - arrivals[requests // 10]
    # stable: the offered load is below the replica's capacity (utilisation < 1: a queue that does
    # not grow without bound) and every counted request finished
    stable = bool(ok.all()) and not cut_short and qps < capacity
    pct = (
        (lambda x: {f"p{p}": float(np.percentile(x[ok], p)) for p in PERCENTILES})
        if ok.any()
        else (lambda x: {})
    )
    return LoadResult(
        qps=qps, requests=requests, seed=seed, stable=stable, capacity_qps=float(capacity),
        ttft_s=pct(ttft), tpot_s=pct(tpot), mean_concurrency=float(area / t) if t else 0.0,
        mean_latency_s=float(np.nanmean(done[counted] - arrivals[counted])) if ok.any() else float("nan"),
        mean_ttft_s=float(np.mean(ttft[ok])) if ok.any() else float("nan"),
        max_queue=max_queue,
    ) if span > 0 else LoadResult(qps=qps, requests=requests, seed=seed, stable=False, capacity_qps=float(capacity))  # fmt: skip
