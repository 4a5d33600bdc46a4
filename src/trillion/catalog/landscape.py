"""The competitive landscape as data: every frontier model a reader may name (open or secret),
its sourced benchmark results with their protocols, dated API prices and training compute.

Files (``catalog/compare``): ``landscape.csv`` (model, display name, developer, weights,
architecture = the catalog entry trillion counts it with, if any, and aliases), ``results.csv``
(one row per model x benchmark x protocol, with who measured it and the source), ``api_prices.csv``
(USD per million input / output tokens, dated) and ``train_compute.csv`` (FLOP, published or a
third party's estimate with its basis).

**Like for like.** Two scores are comparable only on the same benchmark, the same stage (base or
post-trained) and the same protocol: shots, method (CoT@32, maj@k, pass@1, avg@k, ...), tools and
thinking mode, an unstated field counting as its own value ("not stated" never matches "5-shot").
Within a protocol, scores the same evaluator measured in the same table are *comparable*; scores
from different evaluators are *same protocol, different harness*; across protocols they are
*not comparable* and are never ranked together.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trillion.errors import UnknownModelError

MEASURED_BY = {"developer": "D", "other-lab": "O", "independent": "I"}
MEASURED_BY_LABEL = {
    "D": "the developer",
    "O": "another lab (a competitor's table)",
    "I": "an independent evaluator",
}
STAGES = ("base", "post-trained")
BLEND_INPUT_SHARE = 0.75  # blended price: 3 input tokens per output token (Artificial Analysis' convention)


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``catalog/compare/<name>.csv`` (stripped strings; read once per process)."""
    path = Path(str(resources.files("trillion.catalog") / "compare" / f"{name}.csv"))
    with path.open(encoding="utf-8", newline="") as f:
        return tuple({k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f))


@dataclass(frozen=True)
class Entry:
    """One model of the landscape. ``architecture``: the catalog entry trillion counts it with
    (empty when the architecture is secret and trillion holds no estimate)."""

    model: str
    display_name: str
    developer: str
    weights: str  # open | closed
    architecture: str
    aliases: tuple[str, ...]


@cache
def entries() -> dict[str, Entry]:
    return {
        r["model"]: Entry(
            r["model"],
            r["display_name"],
            r["developer"],
            r["weights"],
            r["architecture"],
            tuple(a for a in r["aliases"].split(";") if a),
        )  # fmt: skip
        for r in rows("landscape")
    }


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


@cache
def names() -> dict[str, str]:
    """Every name a reader may type -> landscape key: keys, display names, aliases, and the
    catalog aliases of a landscape model that is itself a catalog entry (qwen3-max-preview)."""
    from trillion.catalog import catalog

    out: dict[str, str] = {}
    for e in entries().values():
        for a in (e.model, e.display_name, *e.aliases):
            out[_key(a)] = e.model
        c = catalog().get(e.model)
        for a in c.aliases if c else ():
            out.setdefault(_key(a), e.model)
    return out


def find(name: str) -> Entry:
    """The landscape entry for a name or alias; `UnknownModelError` with "did you mean" otherwise."""
    table = names()
    key = table.get(_key(name))
    if key:
        return entries()[key]
    raise UnknownModelError(name, None, did_you_mean(name))


def did_you_mean(name: str) -> str:
    """ "not a model trillion knows; did you mean: a, b, c?" from names a reader types."""
    from trillion.catalog import catalog

    known = entries().get(names().get(_key(name), ""))
    if known is not None:
        return (f"{known.display_name}'s architecture is unpublished and trillion holds no estimate of it; "
                f"`trillion compare {known.model}` shows what is published")  # fmt: skip
    pool = sorted(set(names()) | {_key(c.name) for c in catalog().values()})
    close = difflib.get_close_matches(_key(name), pool, n=4, cutoff=0.5)
    family = [p for p in pool if _key(name) and p.startswith(_key(name)) and p not in close][:4]
    hints = list(dict.fromkeys(close + family))
    if hints:
        return f"not a model trillion knows; did you mean: {', '.join(hints)}? (`trillion models` lists the catalog)"
    return (
        "not a model trillion knows (`trillion models` lists the catalog, `trillion compare` the landscape)"
    )


def protocol(r: dict[str, str]) -> str:
    """A row's protocol in words: "5-shot", "CoT@32", "0-shot, pass@1, thinking", ...; fields the
    source leaves unstated say so, so that two rows print the same words only if they match."""
    parts = []
    parts.append(f"{r['shots']}-shot" if r["shots"] else "shots n/s")
    parts.append(r["method"].removeprefix("other:").replace("_", " ") if r["method"] else "method n/s")
    parts.append({"yes": "tools", "no": "no tools"}.get(r["tools"], "tools n/s"))
    parts.append({"yes": "thinking", "no": "no thinking"}.get(r["thinking"], "thinking n/s"))
    return ", ".join(parts)


def results(models: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Sourced results (optionally of some landscape keys), each with ``protocol`` in words,
    ``by`` (D / O / I) and ``score`` as a float."""
    out = []
    for r in rows("results"):
        if models is not None and r["model"] not in models:
            continue
        out.append(
            {**r, "score": float(r["score"]), "protocol": protocol(r), "by": MEASURED_BY[r["measured_by"]]}
        )
    return out


def groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Like-for-like groups: (benchmark, stage, protocol) -> its scores, best first, with the
    evaluators; a benchmark measured under several protocols is flagged ``mixed``."""
    by: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((r["benchmark"], r["stage"], r["protocol"]), []).append(r)
    protocols: dict[tuple[str, str], int] = {}
    for b, s, _ in by:
        protocols[(b, s)] = protocols.get((b, s), 0) + 1
    out = []
    for (b, s, p), rs in sorted(by.items()):
        rs = sorted(rs, key=lambda r: -r["score"])
        out.append({"benchmark": b, "stage": s, "protocol": p, "rows": rs,
                    "evaluators": sorted({r["evaluator"] for r in rs}), "mixed": protocols[(b, s)] > 1})  # fmt: skip
    return out


def pairs(rows: list[dict[str, Any]], models: tuple[str, ...]) -> list[dict[str, Any]]:
    """For each pair of models: the benchmarks where they can be compared like for like (same
    protocol; ``same_table`` when one evaluator measured both), and the headline trap: each one's
    developer-reported headline score on a benchmark when the two come from different protocols
    (Gemini Ultra's 90.0% MMLU with CoT@32 against GPT-4's 86.4% 5-shot)."""
    out = []
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            comparable: list[dict[str, Any]] = []
            caution: list[dict[str, Any]] = []
            trap: list[dict[str, Any]] = []
            for g in groups([r for r in rows if r["model"] in (a, b)]):
                ra = [r for r in g["rows"] if r["model"] == a]
                rb = [r for r in g["rows"] if r["model"] == b]
                if not ra or not rb:
                    continue
                same = [
                    (x, y)
                    for x in ra
                    for y in rb
                    if (x["source"], x["evaluator"]) == (y["source"], y["evaluator"])
                ]
                x, y = same[0] if same else (ra[0], rb[0])
                item = {"benchmark": g["benchmark"], "stage": g["stage"], "protocol": g["protocol"],
                        a: x["score"], b: y["score"], "sources": sorted({x["source"], y["source"]})}  # fmt: skip
                (comparable if same else caution).append(item)
            for bench in sorted(
                {r["benchmark"] for r in rows if r["model"] == a}
                & {r["benchmark"] for r in rows if r["model"] == b}
            ):
                own = {
                    m: [r for r in rows if r["model"] == m and r["benchmark"] == bench and r["by"] == "D"]
                    for m in (a, b)
                }
                if not own[a] or not own[b]:
                    continue
                best_a, best_b = (max(own[m], key=lambda r: r["score"]) for m in (a, b))
                if (best_a["protocol"], best_a["stage"]) != (best_b["protocol"], best_b["stage"]):
                    trap.append({"benchmark": bench, a: best_a["score"], b: best_b["score"],
                                 "protocols": {a: best_a["protocol"], b: best_b["protocol"]},
                                 "sources": {a: best_a["source"], b: best_b["source"]}})  # fmt: skip
            out.append({"a": a, "b": b, "comparable": comparable, "caution": caution, "headline_trap": trap})
    return out


def prices(model: str) -> list[dict[str, Any]]:
    """Dated API list prices of a landscape model (USD per million tokens), newest last."""
    out = []
    for r in rows("api_prices"):
        if r["model"] == model:
            i, o = float(r["usd_per_m_input"]), float(r["usd_per_m_output"])
            out.append(
                {**r, "input": i, "output": o, "blended": BLEND_INPUT_SHARE * i + (1 - BLEND_INPUT_SHARE) * o}
            )
    return out


def train_compute(model: str) -> dict[str, Any] | None:
    """Training compute of a landscape model: FLOP, ``published`` or ``estimated`` (with basis)."""
    r = next((r for r in rows("train_compute") if r["model"] == model), None)
    return None if r is None else {**r, "train_flop": float(r["train_flop"])}


def card(model: str) -> dict[str, Any]:
    """What is published about a model (developer, weights, first developer report, context,
    prices, claimed scores) apart from what is estimated (training compute by a third party,
    trillion's architecture estimate), each with its source or basis."""
    e = entries()[model]
    own = [r for r in results((model,)) if r["by"] == "D"]
    first = min((r["date"] for r in own if r["date"]), default="")
    ps = prices(model)
    ctx = next((p["context_tokens"] for p in reversed(ps) if p["context_tokens"]), "")
    published = {"developer": e.developer, "weights": e.weights, "first_developer_report": first,
                 "context_tokens": int(ctx) if ctx else None, "prices": ps,
                 "claimed_scores": len(own)}  # fmt: skip
    estimated: dict[str, Any] = {}
    tc = train_compute(model)
    if tc:
        (published if tc["kind"] == "published" else estimated)["train_flop"] = tc
    if e.architecture:
        from trillion.catalog import catalog

        c = catalog()[e.architecture]
        what = {"published": "published", "estimate": "trillion's estimate", "rumoured": "a rumour"}[c.status]
        target = published if c.status == "published" else estimated
        target["architecture"] = {"catalog": c.name, "status": c.status, "basis": f"{c.display_name}: {what}",
                                  "source": c.source.get("title", "")}  # fmt: skip
    return {"model": model, "display_name": e.display_name, "published": published, "estimated": estimated}
