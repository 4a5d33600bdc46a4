"""``trillion scaling fit | forecast | plot | isoflop | laws``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trillion.cli.common import console, print_json
from trillion.errors import InputError
from trillion.io.files import check_writable, dumps_strict, write_file

Opt = typer.Option
scaling_app = typer.Typer(help="Scaling laws: fit, forecast, isoFLOP profiles, plots.", no_args_is_help=True)
JsonOpt = Annotated[bool, Opt("--json", help="Print JSON instead of a table.")]
ColumnsOpt = Annotated[
    str | None, Opt(help='Map headers to columns, e.g. "params=Model Size,flop=Training FLOP".')
]


MAX_FIT_BYTES = 64 * 2**20  # a fit file with 100,000 bootstrap samples of 5 parameters is ~10 MiB


def _load_fit(path: str) -> dict[str, Any]:
    from trillion.io.files import read_json

    data = read_json(path, MAX_FIT_BYTES, path)
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise InputError(path, "params", "not a fit file written by `trillion scaling fit --out`")
    return data


def _count(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    from trillion.units import parse_count

    value, _ = parse_count(text, flag)
    if value <= 0:
        raise InputError(flag, None, f"must be positive, got {text!r}")
    return float(value)


@scaling_app.command("fit")
def fit_cmd(
    runs: Annotated[str, typer.Argument(help="CSV or JSON of runs (params, tokens or flop, loss).")],
    law: Annotated[str, Opt(help="chinchilla, kaplan, data-constrained or moe.")] = "chinchilla",
    columns: ColumnsOpt = None,
    drop_highest: Annotated[int, Opt("--drop-highest", help="Drop the N highest-loss runs first.")] = 0,
    bootstrap: Annotated[int, Opt(help="Bootstrap resamples for 95% intervals (0: none).")] = 0,
    delta: Annotated[float, Opt(help="Huber delta on log-loss residuals.")] = 1e-3,
    init: Annotated[
        str | None, Opt(help="One start A,B,E,alpha,beta instead of the grid (checked against it).")
    ] = None,
    loo: Annotated[bool, Opt("--loo", help="Also report leave-one-out error.")] = False,
    out: Annotated[str | None, Opt(help="Write the fit (for forecast/plot) to this JSON file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit a scaling law by Huber loss on log loss, multi-start L-BFGS-B, with a convergence check."""
    from trillion.scaling.runs import read_runs

    if not 0 < delta < 1:
        raise InputError("--delta", None, f"must be between 0 and 1, got {delta}")
    if out:
        check_writable(out, "--out")  # before the fit, not after it
    if not 0 <= bootstrap <= 10_000:
        raise InputError("--bootstrap", None, f"must be between 0 and 10000, got {bootstrap}")
    from trillion.scaling.fit_other import estimator, needs

    columns_needed = needs(law)
    data = read_runs(runs, columns, need=columns_needed).drop_highest_loss(drop_highest)
    start = None
    if init:
        if law != "chinchilla":
            raise InputError("--init", None, "a single start is for the chinchilla law")
        try:
            start = tuple(float(x) for x in init.split(","))
        except ValueError:
            start = ()
        if len(start) != 5 or any(not x > 0 for x in start):
            raise InputError("--init", None, f"expected five positive numbers A,B,E,alpha,beta, got {init!r}")
    est: Any = estimator(law, delta=delta, init=start).fit(data)
    if bootstrap:
        est.bootstrap(bootstrap)
    if loo and law == "chinchilla":
        est.loo_error()
    elif loo:
        raise InputError("--loo", None, f"leave-one-out error is computed for the chinchilla law, not {law}")
    result = {**est.to_dict(), "runs": len(data), "source": data.source, "notes": data.notes}
    if out:
        write_file(out, dumps_strict(result, indent=1) + "\n", "--out")
    if as_json:
        print_json({k: v for k, v in result.items() if k not in ("bootstrap_samples", "residuals_log")})
        return
    from rich.table import Table

    t = Table(title=f"{law} fit on {len(data)} runs ({data.source})")
    for col in ("parameter", "value", "95% interval"):
        t.add_column(col, justify="right")
    for k, v in result["params"].items():
        ci = result.get("ci95", {}).get(k)
        t.add_row(k, f"{v:.6g}", f"{ci[0]:.4g} - {ci[1]:.4g}" if ci else "-")
    console.print(t)
    console.print(f"objective {result['objective']:.6g} (summed Huber, delta {delta:g}); starts {result['starts']}; "
                  f"converged: {'yes' if result['converged'] else 'NO'}")  # fmt: skip
    if result.get("warning"):
        console.print(f"[bold red]warning:[/] {result['warning']}")
    if "loo_mean_abs_log_error" in result:
        console.print(f"leave-one-out mean |log-loss error| {result['loo_mean_abs_log_error']:.4f}")
    for note in data.notes:
        console.print(f"[dim]{note}[/]")


@scaling_app.command("forecast")
def forecast_cmd(
    fit: Annotated[str, Opt(help="A fit file from `trillion scaling fit --out`.")],
    flop: Annotated[str | None, Opt(help="Training compute budget, e.g. 3.8e25.")] = None,
    params: Annotated[str | None, Opt(help="Parameters, e.g. 1T (with --tokens).")] = None,
    tokens: Annotated[str | None, Opt(help="Training tokens, e.g. 36T (with --params).")] = None,
    proposal: Annotated[str | None, Opt(help="Write a config.json of the proposed model here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predicted loss with its interval, N* and D*, extrapolation distance, and a model proposal."""
    from trillion.scaling.forecast import forecast
    from trillion.units import format_count

    if (flop is None) == (params is None and tokens is None):
        raise InputError("forecast", None, "give --flop, or --params with --tokens")
    if proposal:
        check_writable(proposal, "--proposal")
    f = forecast(_load_fit(fit), flop=_count(flop, "--flop"), params=_count(params, "--params"),
                 tokens=_count(tokens, "--tokens"))  # fmt: skip
    if proposal:
        cfg = {k: v for k, v in f.proposal.items() if not k.startswith("_")}
        write_file(proposal, dumps_strict(cfg, indent=1) + "\n", "--proposal")
    if as_json:
        print_json(f.to_dict())
        return
    iv = f.loss_interval
    span = f" (95%: {iv['p2.5']:.4f}-{iv['p97.5']:.4f})" if iv else " (no bootstrap in the fit: no interval)"
    console.print(f"compute {f.flop:.3g} FLOP: {format_count(f.params)} parameters x {format_count(f.tokens)} tokens "
                  f"({f.tokens_per_param:.1f} tokens/param)")  # fmt: skip
    console.print(f"predicted loss {f.loss:.4f}{span}")
    co = f.compute_optimal
    console.print(f"compute-optimal at this budget: {format_count(co['params'])} x {format_count(co['tokens'])} "
                  f"({co['tokens_per_param']:.1f} tokens/param), loss {co['loss']:.4f}")  # fmt: skip
    e = f.extrapolation
    console.print(f"beyond the fitted runs: params {e['params_oom']:.1f}, tokens {e['tokens_oom']:.1f}, "
                  f"compute {e['flop_oom']:.1f} orders of magnitude")  # fmt: skip
    if f.warning:
        console.print(f"[bold red]warning:[/] {f.warning}")
    p = f.proposal
    console.print(f"proposal: {p['num_hidden_layers']} layers x d_model {p['hidden_size']} "
                  f"(~{format_count(p['_approx_params'])} params)"
                  + (f", written to {proposal}: plan it with `trillion train {proposal} --tokens {format_count(f.tokens)}`"
                     if proposal else ""))  # fmt: skip


@scaling_app.command("isoflop")
def isoflop_cmd(runs: Annotated[str, typer.Argument(help="CSV or JSON of runs.")], columns: ColumnsOpt = None,
                as_json: JsonOpt = False) -> None:  # fmt: skip
    """Chinchilla's approach 2: a parabola per compute budget and the exponent of N_opt(C)."""
    from trillion.scaling.isoflop import isoflop_profiles
    from trillion.scaling.runs import read_runs

    data = read_runs(runs, columns, need=("params", "tokens", "loss"))
    res = isoflop_profiles(data)
    if as_json:
        print_json(res.to_dict())
        return
    if not res.profiles:
        raise InputError(runs, None, "no compute budget has three or more model sizes (runs within 5% of the same "
                         "FLOP), so there is no isoFLOP profile to fit")  # fmt: skip
    for v in res.profiles:
        console.print(
            f"{v['flop']:.3g} FLOP: optimum {v['params_opt']:.3g} params, loss {v['loss_opt']:.4f} ({v['runs']} runs)"
        )
    if res.params_opt_exponent is not None:
        console.print(f"N_opt ~ C^{res.params_opt_exponent:.3f}, D_opt ~ C^{res.tokens_opt_exponent:.3f}")


@scaling_app.command("downstream")
def downstream_cmd(
    runs: Annotated[
        str, typer.Argument(help="CSV or JSON with flop (or params and tokens), task_loss, accuracy.")
    ],
    flop: Annotated[str | None, Opt(help="Predict accuracy at this training compute.")] = None,
    floor: Annotated[float, Opt(help="Chance accuracy of the task (0.25 for 4-way multiple choice).")] = 0.25,
    columns: ColumnsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Two-step downstream fit: compute -> task loss (power law) -> accuracy (sigmoid)."""
    from trillion.scaling.isoflop import DownstreamFit
    from trillion.scaling.runs import read_runs

    if not 0 <= floor < 1:
        raise InputError("--floor", None, f"must be in [0, 1), got {floor}")
    data = read_runs(runs, columns, need=("task_loss", "accuracy"))
    if "flop" not in data.columns:
        raise InputError(runs, "flop", "required column missing (or params and tokens)")
    est = DownstreamFit(floor=floor).fit(data)
    result = est.to_dict()
    at = _count(flop, "--flop")
    if at:
        result["prediction"] = {
            "flop": at,
            "task_loss": float(est.task_loss(at)),
            "accuracy": float(est.accuracy(at)),
        }
    if as_json:
        print_json(result)
        return
    console.print(
        f"task loss = {est.step1_['E']:.4g} + {est.step1_['A']:.4g} (C / {est.step1_['flop_scale']:.3g})^-{est.step1_['alpha']:.4g}"
    )
    s = est.step2_
    console.print(
        f"accuracy = {s['floor']:.3g} + ({s['ceiling']:.3g} - {s['floor']:.3g}) / (1 + exp({s['k']:.3g} (loss - {s['L0']:.4g})))"
    )
    if at:
        p = result["prediction"]
        console.print(f"at {at:.3g} FLOP: task loss {p['task_loss']:.4f}, accuracy {p['accuracy']:.3f}")


@scaling_app.command("emergence")
def emergence_cmd(
    directory: Annotated[str, Opt("--dir", help="Ladder folder for the addition runs.")] = "emergence",
    preset: Annotated[
        str, Opt(help="emergence-cpu (8 runs, minutes) or emergence-micro (seconds).")
    ] = "emergence-cpu",
    plot: Annotated[str | None, Opt(help="Write both metrics' curves to this .png/.svg/.pdf.")] = None,
    device: Annotated[str, Opt(help="cpu or cuda[:N].")] = "cpu",
    quiet: Annotated[bool, Opt("--quiet", help="No progress bars.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Emergence, measured: ladder models trained on additions, scored by exact match and smoothly;
    the published per-scale results beside them; a loss threshold for the jump."""
    from trillion.nn.ladder import find_preset
    from trillion.scaling.plot import check_out

    if not find_preset(preset).task:
        raise InputError(
            "--preset", None, f"{preset!r} is not an emergence preset (emergence-cpu, emergence-micro)"
        )
    if device != "cpu" and not device.startswith("cuda"):
        raise InputError("--device", None, f"must be cpu or cuda[:N], got {device!r}")
    if plot:
        check_out(plot)
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError("emergence", None, "needs the torch extra: pip install 'trillion[torch]'") from None
    from trillion.catalog import landscape
    from trillion.nn.emergence import answer_tokens, run_emergence
    from trillion.scaling.emergence import analyse, published_series

    scored = run_emergence(directory, preset, progress=not (quiet or as_json), device=device)
    result = analyse(scored["runs"], answer_tokens(scored["digits"]))
    result["task"] = scored["task"]
    result["published"] = published_series(list(landscape.rows("emergence_published")))
    if plot:
        from trillion.scaling.plot import plot_emergence

        plot_emergence(result, plot)
    if as_json:
        print_json(result)
        return
    from rich.table import Table

    t = Table(title=f"{scored['task']} on the ladder ({len(result['runs'])} runs, held-out problems)")
    for col in (
        "depth",
        "train FLOP",
        "val loss",
        "exact match",
        "token acc.",
        f"acc.^{result['answer_tokens']:.2g}",
        "answer loss",
    ):
        t.add_column(col, justify="right")
    for r in result["runs"]:
        t.add_row(str(r["depth"]), f"{r['train_flop']:.3g}", f"{r['val_loss']:.3f}", f"{r['exact_match']:.3f}",
                  f"{r['token_accuracy']:.3f}", f"{r['exact_match_from_token_accuracy']:.3f}", f"{r['answer_loss']:.3f}")  # fmt: skip
    console.print(t)
    sh = result["sharpness"]
    console.print("sharpness (share of the whole rise taken in the largest step): "
                  + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" if v is not None else f"{k} flat" for k, v in sh.items()))  # fmt: skip
    console.print(
        f"exact match vs per-token accuracy^k: median absolute difference {result['p_to_the_k_abs_error_median']:.3f}"
    )
    th = result["threshold"]
    if "l_star_nats_per_token" in th:
        lodo = th["leave_one_depth_out_abs_error_median"]
        console.print(f"loss threshold L* = {th['l_star_nats_per_token']:.3f} nats/byte (width {th['scale']:.3f}); exact match "
                      f"error median {th['in_sample_abs_error_median']:.3f} in sample, "
                      + (f"{lodo:.3f} leave-one-depth-out" if lodo is not None else "no leave-one-depth-out fit"))  # fmt: skip
        if th["note"]:
            console.print(th["note"])
    else:
        console.print(f"loss threshold: {th['error']}")
    pt = Table(title="Published per-scale results (5-shot; Lu et al. 2024 re-ran BIG-bench tasks)")
    for col in ("task", "model", "params", "exact match", "edit distance"):
        pt.add_column(col, justify="right" if col != "task" else "left", overflow="fold")
    for s in result["published"]:
        for m in s["models"]:
            pt.add_row(s["task"], m["model"], f"{m['params']:.3g}", f"{m.get('exact_match_accuracy', float('nan')):.3f}",
                       f"{m.get('edit_distance', float('nan')):.1f}")  # fmt: skip
    console.print(pt)
    if plot:
        console.print(f"wrote {plot}")


@scaling_app.command("plot")
def plot_cmd(
    runs: Annotated[str, typer.Argument(help="CSV or JSON of runs.")],
    out: Annotated[str, Opt(help="Output file: .svg, .png or .pdf.")],
    fit: Annotated[str | None, Opt(help="Fit file for the frontier plot.")] = None,
    kind: Annotated[str, Opt(help="frontier or isoflop.")] = "frontier",
    columns: ColumnsOpt = None,
    mark_flop: Annotated[str | None, Opt("--mark-flop", help="Mark the forecast at this compute.")] = None,
) -> None:
    """Loss against compute with the fitted frontier, or isoFLOP curves."""
    from trillion.scaling.plot import check_out
    from trillion.scaling.runs import read_runs

    check_out(out)
    data = read_runs(runs, columns, need=("params", "tokens", "loss"))
    if kind == "frontier":
        if not fit:
            raise InputError("--fit", None, "the frontier plot needs a fit file")
        from trillion.scaling.forecast import forecast, law_from_fit
        from trillion.scaling.plot import plot_frontier

        fit_data = _load_fit(fit)
        mark = None
        if mark_flop:
            f = forecast(fit_data, flop=_count(mark_flop, "--mark-flop"))
            mark = {"flop": f.flop, "loss": f.loss, "label": f"{f.flop:.2g} FLOP"}
        path = plot_frontier(data["params"], data["flop"], data["loss"], law_from_fit(fit_data), out, mark)
    elif kind == "isoflop":
        from trillion.scaling.isoflop import isoflop_profiles
        from trillion.scaling.plot import plot_isoflop

        path = plot_isoflop(data["params"], data["flop"], data["loss"], isoflop_profiles(data).to_dict(), out)
    else:
        raise InputError("--kind", None, f"must be frontier or isoflop, got {kind!r}")
    console.print(f"wrote {path}")


@scaling_app.command("laws")
def laws_cmd(as_json: JsonOpt = False) -> None:
    """Published constant sets with their sources, and Chinchilla 70B / 1.4T under each."""
    from trillion.scaling.laws import (
        CHINCHILLA_PAPER,
        CHINCHILLA_UNROUNDED,
        EPOCH_REFIT,
        KAPLAN_2020,
        MUENNIGHOFF_2023,
    )

    rows = []
    for law in (CHINCHILLA_PAPER, CHINCHILLA_UNROUNDED, EPOCH_REFIT):
        n, d = law.compute_optimal(5.76e23)
        rows.append({"constants": law.to_dict(), "source": law.source, "loss_70B_1.4T": float(law.loss(70e9, 1.4e12)),
                     "tokens_per_param_at_5.76e23": float(d / n)})  # fmt: skip
    rows.append({"constants": KAPLAN_2020.to_dict(), "source": KAPLAN_2020.source})
    rows.append({"constants": MUENNIGHOFF_2023.to_dict(), "source": MUENNIGHOFF_2023.source})
    if as_json:
        print_json(rows)
        return
    for r in rows:
        extra = f"  L(70B, 1.4T) = {r['loss_70B_1.4T']:.4f}" if "loss_70B_1.4T" in r else ""
        console.print(f"{r['source']}{extra}\n  {r['constants']}")


def register(app: typer.Typer) -> None:
    app.add_typer(scaling_app, name="scaling")
