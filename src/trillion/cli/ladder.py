"""``trillion ladder run | status | fit | quantize | presets``: the scaling ladder from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from trillion.cli.common import console, print_json
from trillion.errors import InputError

Opt = typer.Option
ladder_app = typer.Typer(
    help="Train a ladder of small models, measure them, fit laws, calibrate.", no_args_is_help=True
)
DirOpt = Annotated[str, Opt("--dir", help="Ladder folder (data, runs, ladder.sqlite).")]
JsonOpt = Annotated[bool, Opt("--json", help="Print JSON instead of a table.")]


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError("ladder", None, "needs the torch extra: pip install 'trillion[torch]'") from None


@ladder_app.command("run")
def run_cmd(
    preset: Annotated[str, Opt(help="cpu-tiny, cpu-tiny-moe, micro, micro-moe.")] = "cpu-tiny",
    directory: DirOpt = "ladder",
    corpus: Annotated[
        str | None, Opt(help="Folder of text files (default: the Python standard library).")
    ] = None,
    device: Annotated[str, Opt(help="cpu or cuda[:N].")] = "cpu",
    seed: Annotated[int, Opt(help="Seed of initialisation and data order.")] = 0,
    tokens_scale: Annotated[float, Opt("--tokens-scale", help="Multiply every run's token budget.")] = 1.0,
    backend: Annotated[
        str, Opt(help="local, torchrun (data parallel per run) or ray (runs as tasks).")
    ] = "local",
    nproc: Annotated[int, Opt(help="Processes per run for the torchrun backend.")] = 2,
    quiet: Annotated[bool, Opt("--quiet", help="No progress bars.")] = False,
) -> None:
    """Train every run of a preset that is not finished yet (interrupted runs resume)."""
    from trillion.nn.ladder import find_preset

    find_preset(preset)
    if device != "cpu" and not device.startswith("cuda"):
        raise InputError("--device", None, f"must be cpu or cuda[:N], got {device!r}")
    _need_torch()
    from trillion.nn.ladder import run_ladder

    runs = run_ladder(preset, directory, corpus=corpus, device=device, seed=seed, progress=not quiet,
                      tokens_scale=tokens_scale, backend=backend, nproc=nproc)  # fmt: skip
    done = [r for r in runs if r["status"] == "finished"]
    console.print(f"{len(done)}/{len(runs)} runs finished in {directory}/ladder.sqlite")


@ladder_app.command("status")
def status_cmd(directory: DirOpt = "ladder", as_json: JsonOpt = False) -> None:
    """The ladder's runs: configuration, status and measurements."""
    from rich.table import Table

    from trillion.nn.ladder import ladder_summary

    runs = ladder_summary(directory)
    if as_json:
        print_json(runs)
        return
    t = Table(title=f"ladder in {directory}")
    for col in ("run", "family", "depth", "tokens", "status", "val loss", "tokens/s", "MFU", "energy (J)"):
        t.add_column(col, justify="right")
    for r in runs:
        c, res = r["config"], r["result"] or {}
        energy = f"{res['energy_j']:.0f} ({res['energy_method']})" if res else "-"
        mfu = f"{res['mfu']:.1%}" if res.get("mfu") else "-"
        status = r["status"] if r["current"] else f"{r['status']} (other data or code: not fitted)"
        t.add_row(r["id"], c["family"], str(c["depth"]), f"{c['tokens']:,}", status,
                  f"{res['val_loss']:.4f}" if res else "-", f"{res['tokens_per_s']:,.0f}" if res else "-", mfu, energy)  # fmt: skip
    console.print(t)
    notes = {r["result"]["energy_note"] for r in runs if r["result"]}
    for n in notes:
        console.print(f"[dim]energy: {n}[/]")


@ladder_app.command("fit")
def fit_cmd(
    directory: DirOpt = "ladder",
    calibration: Annotated[str | None, Opt(help="Write a planner calibration TOML here.")] = None,
    bootstrap: Annotated[int, Opt(help="Bootstrap resamples for the intervals.")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Fit the measured runs: compute trend with its exponent interval, Chinchilla law, forecast."""
    from trillion.nn.fit import fit_ladder, ladder_calibration
    from trillion.nn.ladder import ladder_summary

    if not 10 <= bootstrap <= 10_000:
        raise InputError("--bootstrap", None, f"must be between 10 and 10000, got {bootstrap}")
    if calibration:
        from trillion.io.files import check_writable

        check_writable(calibration, "--calibration")
    runs = ladder_summary(directory)
    fit = fit_ladder(runs, bootstrap=bootstrap)
    cal = ladder_calibration(runs, calibration) if calibration else None
    if as_json:
        print_json({**fit.to_dict(), **({"calibration": cal} if cal else {})})
        return
    pl = fit.compute_power_law
    console.print(f"L ~ C^-alpha_C on the frontier: alpha_C = {pl['alpha_c']:.4f} "
                  f"(95%: {pl['alpha_c_ci95'][0]:.4f}-{pl['alpha_c_ci95'][1]:.4f})")  # fmt: skip
    ct = fit.compute_trend
    ci = ct["gamma_ci95"]
    console.print(f"{fit.runs} runs, {fit.frontier_runs} on the compute frontier; validation loss falls with "
                  f"compute: {'yes' if fit.loss_falls_with_compute else 'NO'}"
                  + (f" ({fit.runs_excluded} runs on other data or code not mixed in)" if fit.runs_excluded else ""))  # fmt: skip
    console.print(f"L(C) = {ct['E']:.3f} + {ct['A']:.3f} (C / {ct['flop_scale']:.3g})^-{ct['gamma']:.3f}"
                  + (f"   gamma 95%: {ci[0]:.3f}-{ci[1]:.3f}" if ci else ""))  # fmt: skip
    if fit.chinchilla:
        p = fit.chinchilla["params"]
        console.print(
            "Chinchilla fit: "
            + ", ".join(f"{k}={v:.4g}" for k, v in p.items())
            + f" ({fit.chinchilla['note']})"
        )
        if fit.forecast_1T_36T:
            f = fit.forecast_1T_36T
            console.print(
                f"forecast for 1T parameters on 36T tokens: loss {f['loss']:.3f}; {f.get('warning', '')}"
            )
        else:
            console.print(f"no forecast: {fit.chinchilla.get('warning', 'the fit is not identified')}")
    if cal:
        console.print(f"wrote {cal['path']} (eta_gemm {cal['eta_gemm']:.3f} from {cal['runs']} runs on {cal['device']}): "
                      f"use it with `trillion train --calibration {cal['path']}` on that device (refused on"
                      " any other: a measured efficiency does not carry)")  # fmt: skip


@ladder_app.command("quantize")
def quantize_cmd(directory: DirOpt = "ladder", as_json: JsonOpt = False) -> None:
    """Post-training int8 / int4 quantisation of the finished models: measured loss and memory change."""
    _need_torch()
    from rich.table import Table

    from trillion.nn.ladder import ladder_quantize

    rows = ladder_quantize(directory)
    if as_json:
        print_json(rows)
        return
    t = Table(title="post-training weight quantisation (round-to-nearest; measured)")
    for col in ("run", "depth", "format", "weights", "val loss", "change"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(r["run"], str(r["depth"]), r["format"], f"{r['weight_bytes'] / 2**20:.2f} MiB", f"{r['val_loss']:.4f}",
                  f"{r['delta_val_loss']:+.4f}")  # fmt: skip
    console.print(t)


@ladder_app.command("repair")
def repair_cmd(directory: DirOpt = "ladder", as_json: JsonOpt = False) -> None:
    """Recover a damaged ladder folder without losing a finished run.

    A store that fails SQLite's check is moved aside (ladder.sqlite.damaged-TIME) and rebuilt from
    the run folders (run.json, result.json) and whatever the damaged file still yields; a
    checkpoint that does not verify is moved aside and its run restarts from step 0 on the next
    `trillion ladder run`; damaged token files are moved aside and prepared again. Nothing is deleted.
    """
    from trillion.nn.ladder import repair_ladder

    done = repair_ladder(directory)
    if as_json:
        print_json(done)
        return
    console.print(f"store: {done['store']}")
    for path in done["moved"]:
        console.print(f"moved aside: {path}")
    for c in done["checkpoints_reset"]:
        console.print(f"checkpoint of run {c['run']} moved aside ({c['why']}): it restarts from step 0")
    if done["data_reset"]:
        console.print(f"token files moved aside ({done['data_reset']}): the next run prepares them again")
    console.print(f"{done['finished']}/{done['runs']} runs finished ({done['runs_restored']} restored from run folders); "
                  f"continue with `trillion ladder run --dir {directory}`")  # fmt: skip


@ladder_app.command("presets")
def presets_cmd(as_json: JsonOpt = False) -> None:
    """The ladder presets."""
    from trillion.nn.ladder import PRESETS, preset_dict

    data = [preset_dict(n) for n in PRESETS]
    if as_json:
        print_json(data)
        return
    for p in data:
        console.print(f"{p['name']}: {p['description']}")


def register(app: typer.Typer) -> None:
    app.add_typer(ladder_app, name="ladder")
