"""Rich tables for the terminal: counts with SI prefixes, bytes with IEC prefixes."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from trillion.count import ModelCount
from trillion.count.bytes import WEIGHT_FORMATS
from trillion.units import format_bytes, format_count


def _kind(c: ModelCount) -> str:
    spec = c.spec
    a = spec.attention
    att = {"mla": "MLA", "mha": "MHA", "gqa": f"GQA ({a.num_kv_heads} KV heads)", "mqa": "MQA"}[a.kind]
    shape = f"{spec.num_layers} layers, d_model {spec.hidden_size}, {a.num_heads} heads, {att}"
    if spec.is_encoder_decoder:
        shape = (
            f"encoder-decoder ({spec.num_encoder_layers}+{spec.num_layers} layers), "
            + shape.split(", ", 1)[1]
        )
    if spec.moe is not None:
        m = spec.moe
        shared = f" + {m.num_shared_experts} shared" if m.num_shared_experts else ""
        zero = f" (+ {m.zero_experts} zero-computation)" if m.zero_experts else ""
        shape += f"; MoE {m.top_k} of {m.num_experts} experts{zero}{shared} in {len(spec.moe_layers)} layers"
    if spec.layers:
        from trillion.count import layer_kinds

        shape += "; layers: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in layer_kinds(spec).items())
    return shape


def model_tables(c: ModelCount, entry: Any | None) -> list[Any]:
    """The renderables `trillion model` prints: a header, the counts, the parameter breakdown."""
    out: list[Any] = []
    title = entry.display_name if entry is not None else c.spec.name
    header = Text(title, style="bold")
    if entry is not None and entry.status != "published":
        header.append(f"  [{entry.status}: see source notes]", style="yellow")
    out.append(header)
    out.append(Text(_kind(c), style="dim"))

    t = Table(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_column("exact", justify="right", style="dim")
    active = c.active_params.total
    t.add_row("total parameters", format_count(c.total_params), f"{c.total_params:,}")
    t.add_row("active parameters / token", format_count(active), f"{active:,}")
    t.add_row("embedding parameters", format_count(c.embedding_params), f"{c.embedding_params:,}")
    t.add_row("non-embedding parameters", format_count(c.non_embedding_params), f"{c.non_embedding_params:,}")
    s = c.seq_len
    t.add_row(
        f"forward FLOP / token (S={s}, {c.attention})",
        f"{c.forward_flop_per_token:.3e}",
        f"{c.forward_flop_per_token:,}",
    )
    t.add_row("  of which matmul", f"{c.forward_flop.get('matmul'):.3e}", "")
    t.add_row("  of which attention", f"{c.forward_flop.get('attention'):.3e}", "")
    for part, label in (("recurrent", "recurrent state updates"), ("conv", "short convolutions")):
        if c.forward_flop.get(part):
            t.add_row(f"  of which {label}", f"{c.forward_flop.get(part):.3e}", "")
    t.add_row("training FLOP / token (3x forward)", f"{c.train_flop_per_token:.3e}", "")
    t.add_row("  with full recompute (4x forward)", f"{c.train_flop_per_token_full_recompute:.3e}", "")
    t.add_row("  6·N reference (N = active)", f"{c.six_n_flop_per_token:.3e}", "")
    for name, n in c.weight_bytes.items():
        bits = WEIGHT_FORMATS[name].bits_per_weight
        t.add_row(f"weights, {name} ({bits:.3g} bits)", format_bytes(n), f"{n:,}")
    for name, n in c.kv_cache_bytes_per_token.items():
        if name in ("bf16", "fp8"):
            t.add_row(f"KV cache / token, {name}", format_bytes(n), f"{n:,}")
            t.add_row(f"KV cache at S={s}, {name}", format_bytes(c.kv_cache_bytes_at_seq_len[name]), "")
            if c.state_bytes_per_sequence[name]:
                state = c.state_bytes_per_sequence[name]
                t.add_row(f"recurrent state / sequence, {name}", format_bytes(state), f"{state:,}")
                t.add_row(f"one sequence at S={s}, {name}", format_bytes(c.sequence_bytes[name]), "")
    if c.mtp_params:
        t.add_row(
            "multi-token prediction modules (not in the total)",
            format_count(c.mtp_params),
            f"{c.mtp_params:,}",
        )
    out.append(t)

    b = Table(title="parameters by component", show_header=True, header_style="bold")
    b.add_column("component")
    b.add_column("total", justify="right")
    b.add_column("active", justify="right")
    b.add_column("share", justify="right")
    for path, _ in sorted(c.params.children().items(), key=lambda kv: -kv[1]):
        for sub, m in sorted(c.params.children(path).items(), key=lambda kv: -kv[1]):
            b.add_row(
                sub, format_count(m), format_count(c.active_params.get(sub)), f"{m / c.total_params:.1%}"
            )
    out.append(b)
    if entry is not None:
        out.append(Text(f"source: {entry.source.get('title', '')}", style="dim"))
    return out


def _why_tables(plan: Any) -> list[Any]:
    """Why this plan: where a step goes, the batches tried and the next-best layouts."""
    out: list[Any] = []
    lay = plan.layout
    w = Table(title="why this plan", show_header=True, header_style="bold")
    w.add_column("quantity")
    w.add_column("value", justify="right")
    w.add_row(
        "tokens per step", f"{plan.global_batch * plan.seq_len:,} ({plan.global_batch} x {plan.seq_len})"
    )
    w.add_row("micro-batches per pipeline", f"{plan.global_batch // (lay.dp * lay.mbs)} for {lay.pp} stages")
    names = {"compute": "computing", "communication": "exposed communication", "idle": "pipeline bubble"}
    for k, v in plan.phases.items():
        w.add_row(f"step share: {names.get(k, k)}", f"{v:.1%}")
    out.append(w)
    if plan.batch_search:
        b = Table(title="global batches tried (best layout each)", show_header=True, header_style="bold")
        for c in ("sequences", "tokens", "best layout", "step s", "days, no failures", "bubble"):
            b.add_column(c, justify="left" if c == "best layout" else "right")
        for r in plan.batch_search:
            mark = " (chosen)" if r["chosen"] else ""
            if r["layout"] is None:
                b.add_row(f"{r['global_batch']}{mark}", f"{r['tokens_per_step']:,}", "none fits", "", "", "")
                continue
            b.add_row(
                f"{r['global_batch']}{mark}",
                f"{r['tokens_per_step']:,}",
                r["layout"],
                f"{r['step_seconds']:.2f}",
                f"{r['days_without_failures']:.1f}",
                f"{r['phases']['idle']:.0%}",
            )
        out.append(b)
    if plan.alternatives:
        a = Table(title="next-best layouts at this batch", show_header=True, header_style="bold")
        a.add_column("layout")
        a.add_column("step s", justify="right")
        a.add_column("vs chosen", justify="right")
        a.add_column("memory", justify="right")
        for alt in plan.alternatives[:3]:
            a.add_row(
                alt["layout"],
                f"{alt['step_seconds']:.2f}",
                f"{alt['step_seconds'] / plan.step_s - 1:+.1%}",
                format_bytes(alt["memory_bytes"]),
            )
        out.append(a)
    return out


def train_tables(plan: Any) -> list[Any]:
    """The renderables `trillion train` prints."""
    from trillion.units import format_flop

    acc = plan.cluster.accelerator
    out: list[Any] = [
        Text(f"{plan.model} on {plan.cluster.num_devices:,} x {acc.display_name}", style="bold")
    ]
    if plan.layout is None:
        out.append(Text(f"no feasible plan: {plan.reason}", style="red"))
        return out
    t = Table(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("P50", justify="right")
    t.add_column("P10 - P90", justify="right")
    t.add_row("layout", plan.layout.label(), "")
    t.add_row("fits in memory", "yes" if plan.fits else f"NO: {plan.reason}", "")
    t.add_row(
        "memory per device", format_bytes(plan.memory_bytes["total"]), f"of {format_bytes(acc.memory_bytes)}"
    )
    t.add_row("step time", f"{plan.step_s:.2f} s", "")
    t.add_row("MFU", f"{plan.mfu:.1%}", "")
    t.add_row("steps", f"{plan.steps:,}", f"{plan.global_batch} x {plan.seq_len} tokens")
    t.add_row("training FLOP", format_flop(plan.train_flop), "")
    d, h = plan.wall_clock_days, plan.accelerator_hours
    t.add_row("days, no failures", f"{plan.speed_of_light_days:.1f}", "speed of light")
    if plan.planned_days:
        q = plan.planned_days
        t.add_row("days, with failures", f"{q['p50']:.1f}", f"{q['p10']:.1f} - {q['p90']:.1f}")
    t.add_row("wall-clock days", f"{d['p50']:.1f}", f"{d['p10']:.1f} - {d['p90']:.1f} expected")
    rel = plan.reliability
    if rel:
        g, n, c = rel["goodput"], rel["interruptions"], rel["checkpoint_interval_minutes"]
        t.add_row("goodput", f"{g['p50']:.1%}", f"{g['p10']:.1%} - {g['p90']:.1%}")
        t.add_row("interruptions", f"{n['p50']:,.0f}", f"{n['p10']:,.0f} - {n['p90']:,.0f}")
        t.add_row("checkpoint every", f"{c['p50']:.1f} min", f"{c['p10']:.1f} - {c['p90']:.1f} min")
    t.add_row(
        "accelerator-hours", format_count(h["p50"]), f"{format_count(h['p10'])} - {format_count(h['p90'])}"
    )
    out.append(t)
    out.extend(_why_tables(plan))
    m = Table(title="memory per device (busiest stage)", show_header=True, header_style="bold")
    m.add_column("component")
    m.add_column("bytes", justify="right")
    for k, v in plan.memory_bytes.items():
        if k != "total":
            m.add_row(k, format_bytes(v))
    out.append(m)
    for a in plan.assumptions:
        out.append(Text(f"assumes {a}", style="dim"))
    return out


def deadline_table(by: Any) -> Table:
    """The sizes `trillion.plan.deadline.plan_for_deadline` tried, the answer marked."""
    t = Table(
        title=f"devices to finish in {by.deadline_days:g} days: {by.devices_p50:,} expected (P50), "
        + (f"{by.devices_p90:,} for P90" if by.devices_p90 else "P90 not reached on the sizes tried"),
        header_style="bold",
    )
    for col in ("devices", "days, no failures", "with failures P50", "expected P50", "P10-P90", ""):
        t.add_column(col, justify="left" if not col else "right")
    for r in by.tried:
        if not r["fits"]:
            t.add_row(f"{r['devices']:,}", "does not fit", "", "", "", "")
            continue
        e = r["expected_days"]
        marks = [m for m, on in (("answer", r["answer"]), ("P90", r["devices"] == by.devices_p90)) if on]
        t.add_row(
            f"{r['devices']:,}",
            f"{r['speed_of_light_days']:.1f}",
            f"{r['planned_days_p50']:.1f}",
            f"{e['p50']:.1f}",
            f"{e['p10']:.1f}-{e['p90']:.1f}",
            ", ".join(marks),
        )
    return t
