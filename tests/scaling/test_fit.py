"""Estimators on synthetic data (exact recovery), the convergence flag, intervals, input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trillion.cli import main
from trillion.errors import InputError
from trillion.scaling.fit import ChinchillaFit
from trillion.scaling.fit_other import LawFit
from trillion.scaling.forecast import forecast, propose_dense
from trillion.scaling.isoflop import DownstreamFit, isoflop_profiles
from trillion.scaling.laws import EPOCH_REFIT, KAPLAN_2020, MUENNIGHOFF_2023
from trillion.scaling.runs import Runs, read_runs


def _grid_runs(law, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    n = np.repeat(np.logspace(7.5, 10, 8), 6)
    d = np.tile(np.logspace(9, 11.5, 6), 8)
    loss = law.loss(n, d) * np.exp(rng.normal(0, noise, n.size))
    return n, d, loss


def test_recovers_known_constants_exactly():
    n, d, loss = _grid_runs(EPOCH_REFIT)
    f = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    assert f.converged_ and f.objective_ < 1e-12
    for k, v in EPOCH_REFIT.to_dict().items():
        assert f.params_[k] == pytest.approx(v, rel=1e-3)


def test_bad_start_is_flagged():
    n, d, loss = _grid_runs(EPOCH_REFIT, noise=0.01)
    bad = ChinchillaFit(init=(1.0, 1.0, 0.5, 2.0, 2.0)).fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    good = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    assert good.converged_
    assert bad.objective_ > good.objective_ * 1.001 and not bad.converged_ and "not converged" in bad.warning_


def test_bootstrap_interval_covers_truth_and_forecast_interval():
    n, d, loss = _grid_runs(EPOCH_REFIT, noise=0.01, seed=3)
    f = ChinchillaFit(random_state=1).fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    ci = f.bootstrap(100)
    assert ci["alpha"][0] < EPOCH_REFIT.alpha < ci["alpha"][1]
    fc = forecast(f.to_dict(), flop=1e24)
    iv = fc.loss_interval
    assert (
        iv is not None and iv["p2.5"] <= iv["p50"] <= iv["p97.5"] and fc.warning
    )  # 1e24 is far beyond the data
    near = forecast(f.to_dict(), params=float(n.max()), tokens=float(d.max()))
    assert near.extrapolation["flop_oom"] == pytest.approx(0.0, abs=1e-9) and not near.warning


def test_loo_error_is_small_on_clean_data():
    n, d, loss = _grid_runs(EPOCH_REFIT, noise=0.005, seed=4)
    assert ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss)).loo_error() < 0.02


def test_other_laws_recover_their_constants():
    n, d, loss = _grid_runs(KAPLAN_2020)
    k = LawFit("kaplan").fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    assert k.params_["alpha_n"] == pytest.approx(0.076, rel=1e-2) and k.params_["alpha_d"] == pytest.approx(
        0.095, rel=1e-2
    )
    rng = np.random.default_rng(0)
    u = d / rng.choice([1, 2, 4, 8, 16, 40], d.size)
    loss = MUENNIGHOFF_2023.loss(n, d, u)
    m = LawFit("data-constrained").fit(Runs.from_arrays(params=n, tokens=d, unique_tokens=u, loss=loss))
    assert m.objective_ < 1e-6
    assert m.params_["rd_star"] == pytest.approx(MUENNIGHOFF_2023.rd_star, rel=0.05)


def test_isoflop_recovers_the_compute_optimal_exponent():
    law = EPOCH_REFIT
    rows = []
    for c in np.logspace(19, 22, 7):
        for n in np.logspace(
            np.log10(law.compute_optimal(c)[0]) - 1, np.log10(law.compute_optimal(c)[0]) + 1, 9
        ):
            rows.append((n, c, float(law.loss(n, c / (6 * n)))))
    n, c, loss = (np.asarray(x) for x in zip(*rows, strict=True))
    res = isoflop_profiles(Runs.from_arrays(params=n, flop=c, loss=loss)).to_dict()
    assert res["params_opt_exponent"] == pytest.approx(law.beta / (law.alpha + law.beta), abs=0.01)


def test_downstream_two_step():
    c = np.logspace(19, 24, 12)
    task = 0.8 + 3.0 * (c / c.max()) ** -0.12
    acc = 0.25 + 0.6 / (1 + np.exp(6 * (task - 2.0)))
    f = DownstreamFit().fit(Runs.from_arrays(flop=c, task_loss=task, accuracy=acc))
    assert float(f.accuracy(c[5])) == pytest.approx(acc[5], abs=0.01)
    assert np.all(np.diff(f.accuracy(np.logspace(19, 26, 8))) >= -1e-9)


def test_downstream_cli(tmp_path, capsys):
    c = np.logspace(19, 24, 12)
    task = 0.8 + 3.0 * (c / c.max()) ** -0.12
    acc = 0.25 + 0.6 / (1 + np.exp(6 * (task - 2.0)))
    f = tmp_path / "d.csv"
    f.write_text(
        "flop,task_loss,accuracy\n" + "".join(f"{a},{b},{x}\n" for a, b, x in zip(c, task, acc, strict=True))
    )
    assert main(["scaling", "downstream", str(f), "--flop", "1e25", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 0.25 < out["prediction"]["accuracy"] <= 0.85 + 1e-6
    assert main(["scaling", "downstream", str(f), "--floor", "2"]) == 2


def test_proposal_is_plannable_and_sized():
    cfg = propose_dense(7e10)
    assert abs(np.log(cfg["_approx_params"] / 7e10)) < 0.1
    assert cfg["num_attention_heads"] % cfg["num_key_value_heads"] == 0


def test_runs_reader_names_line_and_field(tmp_path):
    f = tmp_path / "runs.csv"
    f.write_text("params,tokens,loss\n1e9,2e10,2.5\n2e9,4e10,-1\n")
    with pytest.raises(InputError, match=r"runs.csv:3: loss: must be positive"):
        read_runs(f, need=("params", "tokens", "loss"))
    f.write_text("params,tokens,loss\n1e9,2e10,nan\n")
    with pytest.raises(InputError, match=r":2: loss: must be finite"):
        read_runs(f, need=("params", "tokens", "loss"))
    f.write_text("Model Size,Training FLOP,loss\n1e9,1.2e20,2.5\n")
    r = read_runs(f, "params=Model Size,flop=Training FLOP", need=("params", "tokens", "loss"))
    assert r["tokens"][0] == pytest.approx(2e10)
    j = tmp_path / "runs.json"
    j.write_text(json.dumps([{"params": 1e9, "tokens": 2e10, "loss": 2.5}]))
    assert len(read_runs(j, need=("params", "tokens", "loss"))) == 1


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("params,tokens,loss\n1e9,2e10,-2.5\n", "loss: must be positive"),
        ("params,tokens,loss\n0,2e10,2.5\n", "params: must be positive"),
        ("params,tokens,loss\n1e9,2e10,2.5\n2e9,2e10,2.4\n", "needs at least 6 runs"),
        ("params,tokens,loss\n1e9,2e10,NaN\n", "loss: must be finite"),
        ("params,loss\n1e9,2.5\n", "tokens: required column missing"),
        ("", "empty file"),
    ],
)
def test_bad_runs_file_is_one_line_exit_2(tmp_path, capsys, content, needle):
    f = tmp_path / "runs.csv"
    f.write_text(content)
    assert main(["scaling", "fit", str(f)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_cli_fit_forecast_plot(tmp_path, capsys):
    n, d, loss = _grid_runs(EPOCH_REFIT, noise=0.01)
    runs = tmp_path / "runs.csv"
    runs.write_text(
        "params,tokens,loss\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(n, d, loss, strict=True))
    )
    fit = tmp_path / "fit.json"
    assert main(["scaling", "fit", str(runs), "--bootstrap", "50", "--out", str(fit), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"E", "A", "B", "alpha", "beta"} == set(out["params"]) and "ci95" in out and out["converged"]
    assert main(["scaling", "forecast", "--fit", str(fit), "--flop", "3.8e25", "--json",
                 "--proposal", str(tmp_path / "p.json")]) == 0  # fmt: skip
    f = json.loads(capsys.readouterr().out)
    assert f["extrapolation"]["flop_oom"] > 1 and "warning" in f and f["loss_interval"]["p2.5"] < f["loss"]
    assert main(["model", str(tmp_path / "p.json"), "--json"]) == 0
    capsys.readouterr()
    for kind, name in (("frontier", "f.svg"), ("isoflop", "i.png")):
        args = ["scaling", "plot", str(runs), "--out", str(tmp_path / name), "--kind", kind]
        assert main(args + (["--fit", str(fit), "--mark-flop", "1e23"] if kind == "frontier" else [])) == 0
        assert (tmp_path / name).stat().st_size > 1000
    assert main(["scaling", "plot", str(runs), "--out", str(tmp_path / "x.gif"), "--fit", str(fit)]) == 2
    assert main(["scaling", "forecast", "--fit", str(runs), "--flop", "1e24"]) == 2


def test_large_inputs_search_a_subset_and_polish_on_all(monkeypatch):
    """Over SEARCH_ROWS runs the starts are ranked on a fixed subset; the polish on every run
    reaches the same minimum as the full search (here with the threshold lowered to 100)."""
    import trillion.scaling.fit as fit_mod

    rng = np.random.default_rng(5)
    n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), 400))
    d = np.exp(rng.uniform(np.log(1e9), np.log(1e12), 400))
    loss = EPOCH_REFIT.loss(n, d) * np.exp(rng.normal(0, 0.01, 400))
    full = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    monkeypatch.setattr(fit_mod, "SEARCH_ROWS", 100)
    sub = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    assert sub.converged_ and sub.objective_ == pytest.approx(full.objective_, rel=1e-6)
    assert sub.params_["alpha"] == pytest.approx(full.params_["alpha"], rel=1e-4)


def test_bootstrap_and_loo_work_is_bounded(monkeypatch):
    import trillion.scaling.fit as fit_mod

    n, d, loss = _grid_runs(EPOCH_REFIT, noise=0.01)
    f = ChinchillaFit().fit(Runs.from_arrays(params=n, tokens=d, loss=loss))
    monkeypatch.setattr(fit_mod, "MAX_BOOTSTRAP_WORK", 10 * n.size)
    with pytest.raises(InputError, match="at most 10 resamples"):
        f.bootstrap(11)
    monkeypatch.setattr(fit_mod, "MAX_LOO_RUNS", n.size - 1)
    with pytest.raises(InputError, match="bounded work"):
        f.loo_error()
