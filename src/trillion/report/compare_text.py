"""`trillion compare` in plain text that reads at 80 columns and without colour: every figure's
kind and every score's measurer as an explicit letter, like-for-like groups, comparable pairs,
the headline trap, value for money; long sources as numbered notes, wrapped, never cut."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from trillion.catalog import landscape as L

KIND_MARK = {"published": "P", "rumour": "R", "exact count": "X"}  # anything else: E (estimated)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent]  # fmt: skip


def short(protocol: str) -> str:
    """A protocol's stated, positive parts ("5-shot", "CoT@32, thinking"): for prose where the
    full protocol was printed once above."""
    parts = [x for x in protocol.split(", ") if "n/s" not in x and not x.startswith("no ")]
    return ", ".join(parts) or "protocol as stated in the source"


def _score(x: float) -> str:
    return f"{x:.4g}"


class _Notes:
    """Sources as numbered notes: [n] in the text, the full source once at the end."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def __call__(self, source: str) -> str:
        if source not in self.items:
            self.items.append(source)
        return f"[{self.items.index(source) + 1}]"


def _plain(text: str) -> str:
    """Exponents as a reader writes them ("8.2e24", not "8.2E+24")."""
    return re.sub(r"(\d)[eE]\+?(\d)", r"\1e\2", text)


def card_facts(card: dict[str, Any]) -> tuple[str, str]:
    """(what is published, what is estimated with its basis) of a landscape card, in words."""
    pub, est = card["published"], card["estimated"]
    facts = []
    if pub["first_developer_report"]:
        facts.append(f"first developer report {pub['first_developer_report']}")
    if pub["context_tokens"]:
        facts.append(f"context {pub['context_tokens']:,} tokens")
    facts.append(f"{pub['claimed_scores']} developer-reported scores on file")
    for p in pub["prices"][-1:]:
        facts.append(
            f"API ${p['input']:g} in / ${p['output']:g} out per M tokens ({p['price_date'] or 'undated'})"
        )
    if not pub["prices"]:
        facts.append("no API list price on file")
    guesses: list[str] = []
    for where, out in ((pub, facts), (est, guesses)):
        if "train_flop" in where:
            out.append(
                f"training compute {where['train_flop']['train_flop']:.3g} FLOP ({where['train_flop']['basis']})"
            )
    if "architecture" in pub:
        facts.append(f"architecture published ({pub['architecture']['catalog']})")
    if "architecture" in est:
        guesses.append(f"architecture: {est['architecture']['basis']}")
    none = "nothing: trillion holds no architecture and no third-party compute estimate"
    return _plain("; ".join(facts)), _plain("; ".join(guesses) or none)


def card_lines(c: dict[str, Any], width: int) -> list[str]:
    pub = c["card"]["published"]
    published, estimated = card_facts(c["card"])
    out = [f"{c['display_name']} ({c['name']}): {pub['developer']}, {pub['weights']} weights"]
    return (
        out
        + _wrap("P published: " + published, width, "  ")
        + _wrap("E estimated: " + estimated, width, "  ")
    )


def group_lines(c: dict[str, Any], width: int, notes: _Notes) -> list[str]:
    names = {m["name"]: m["display_name"] for m in c["models"]}
    shared = [g for g in c["groups"] if len({r["model"] for r in g["rows"]}) >= 2]
    alone = [g for g in c["groups"] if g not in shared]
    out = ["Benchmarks, like for like (ranked only within one benchmark, stage and protocol;",
           "by: D developer, O another lab, I independent evaluator)"]  # fmt: skip
    for g in shared:
        flag = " [other protocols exist: not ranked across]" if g["mixed"] else ""
        out += _wrap(f"{g['benchmark']} ({g['stage']}): {g['protocol']}{flag}", width)
        for r in g["rows"]:
            name = names.get(r["model"], r["model"])
            out += _wrap(
                f"  {name:<26} {_score(r['score']):>7} {r['by']} {r['evaluator']} {notes(r['source'])}", width
            )
    if not shared:
        out.append("  no benchmark and protocol holds two of these models")
    if alone:
        count = sum(len(g["rows"]) for g in alone)
        out += _wrap(f"{count} more scores were measured under a protocol no other model here shares: not "
                     "comparable, listed by `--json` and on the HTML page.", width)  # fmt: skip
    return out


def pair_lines(c: dict[str, Any], width: int) -> list[str]:
    names = {m["name"]: m["display_name"] for m in c["models"]}
    out = ["Which pairs are comparable"]
    for p in c["pairs"]:
        a, b = p["a"], p["b"]
        head = f"{names[a]} vs {names[b]}: "
        if not (p["comparable"] or p["caution"]):
            out += _wrap(head + "no benchmark in common under one protocol: not comparable.", width)
        if p["comparable"]:
            items = "; ".join(f"{x['benchmark']} {short(x['protocol'])} {_score(x[a])} vs {_score(x[b])}"
                              for x in p["comparable"])  # fmt: skip
            out += _wrap(head + f"comparable (same protocol, same evaluator and table): {items}.", width)
        if p["caution"]:
            items = "; ".join(
                f"{x['benchmark']} ({x['protocol']}) {_score(x[a])} vs {_score(x[b])}" for x in p["caution"]
            )
            out += _wrap((head if not p["comparable"] else "  ") + "same protocol, different evaluators (harness "
                         f"differences remain): {items}.", width)  # fmt: skip
        for t in p["headline_trap"]:
            out += _wrap(f"  headline trap, {t['benchmark']}: the developers' own best figures are {_score(t[a])} "
                         f"({t['protocols'][a]}) vs {_score(t[b])} ({t['protocols'][b]}): different protocols, "
                         "not comparable.", width)  # fmt: skip
    return out


def value_lines(c: dict[str, Any], width: int) -> list[str]:
    names = {m["name"]: m["display_name"] for m in c["models"]}
    if not c["value_for_money"]:
        return []
    out = ["Score per blended list price (points per USD per million tokens, 3 in : 1 out)"]
    for v in c["value_for_money"]:
        out += _wrap(f"{v['benchmark']} ({v['protocol']}):", width)
        for x in v["models"]:
            out.append(f"  {names.get(x['model'], x['model']):<26} {_score(x['score']):>7} at "
                       f"${x['blended_usd_per_m']:.3g}/M = {x['points_per_usd_per_m']:.3g}")  # fmt: skip
    return out


def text_lines(c: dict[str, Any], width: int = 80) -> list[str]:
    """Everything `trillion compare` prints after the quantities table."""
    notes = _Notes()
    out: list[str] = []
    for m in c["models"]:
        if m.get("card"):
            out += card_lines(m, width)
    out.append("")
    out += group_lines(c, width, notes)
    out.append("")
    out += pair_lines(c, width)
    v = value_lines(c, width)
    if v:
        out += [""] + v
    out += ["", "Sources"]
    for i, s in enumerate(notes.items, 1):
        out += _wrap(f"[{i}] {s}", width)
    return out


__all__ = ["KIND_MARK", "L", "text_lines"]
