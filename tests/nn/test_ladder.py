"""The ladder end to end on the micro preset; energy labels; quantisation; bad input."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from trillion.catalog.hardware import accelerators
from trillion.cli import main
from trillion.nn import energy as energy_mod
from trillion.nn.data import prepare
from trillion.nn.fit import fit_ladder, ladder_calibration
from trillion.nn.ladder import family_spec, ladder_summary, run_ladder
from trillion.nn.quantize import quantize_tensor
from trillion.nn.trainer import TrainConfig, train_run
from trillion.plan.calibration import load_calibration


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    d = tmp_path_factory.mktemp("ladder")
    runs = run_ladder("micro", d)
    return d, runs


def test_micro_ladder_finishes_and_measures(ladder):
    d, runs = ladder
    assert len(runs) == 4 and all(r["status"] == "finished" for r in runs)
    for r in runs:
        res, prov = r["result"], r["provenance"]
        assert res["val_loss"] > 0 and res["tokens_per_s"] > 0 and 0 < res["mfu"] < 1.5
        assert res["energy_method"] in ("estimated", "rapl")
        if res["energy_method"] == "estimated":
            assert res["energy_note"].startswith("estimated")
        assert {"torch", "python", "git_commit", "seed", "device"} <= set(prov)
    by = {(r["config"]["depth"], r["config"]["tokens"]): r["result"]["val_loss"] for r in runs}
    assert by[(2, 32768)] < by[(1, 16384)]  # more compute, lower validation loss


def test_rerun_skips_finished_runs(ladder):
    d, runs = ladder
    before = {r["id"]: r["result"] for r in runs}
    again = run_ladder("micro", d)
    assert {r["id"]: r["result"] for r in again} == before


def test_fit_and_calibration(ladder, tmp_path):
    d, _ = ladder
    runs = ladder_summary(d)
    fit = fit_ladder(runs, bootstrap=50)
    assert fit.loss_falls_with_compute and fit.compute_trend["gamma"] > 0
    info = ladder_calibration(runs, tmp_path / "cal.toml")
    cal = load_calibration(tmp_path / "cal.toml")
    assert cal.eta_gemm == pytest.approx(info["eta_gemm"], rel=1e-5) and "ladder" in cal.source
    assert cal.device == info["device"]  # the file says what it was measured on
    argv = [
        "train",
        "llama-3.1-8b",
        "--tokens",
        "1T",
        "--gpus",
        "64",
        "--calibration",
        str(tmp_path / "cal.toml"),
    ]
    if cal.device in accelerators():  # a ladder run on a catalog GPU plans with its own measurement
        assert main([*argv, "--gpu", cal.device, "--json"]) == 0
    else:  # measured on a CPU (or an unlisted device): refused on an H100, naming the flag
        assert main([*argv, "--gpu", "h100"]) == 2


def test_quantisation_experiment(ladder, capsys):
    d, _ = ladder
    assert main(["ladder", "quantize", "--dir", str(d), "--json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)
    fmts = {r["format"] for r in rows}
    assert fmts == {"bf16", "int8", "int4"}
    for r in rows:
        if r["format"] == "int4":
            ref = next(x for x in rows if x["run"] == r["run"] and x["format"] == "bf16")
            assert r["weight_bytes"] < ref["weight_bytes"] and abs(r["delta_val_loss"]) < 0.2


def test_quantize_tensor_error_grows_as_bits_shrink():
    w = torch.randn(64, 128)
    e8 = (quantize_tensor(w, 8, None) - w).abs().mean()
    e4 = (quantize_tensor(w, 4, 32) - w).abs().mean()
    assert 0 < e8 < e4 < 0.2


def _fake_nvml(monkeypatch, joules_per_read=5.0):
    state = {"mj": 1_000_000.0}

    def energy(handle):
        state["mj"] += joules_per_read * 1e3
        return state["mj"]

    fake = types.SimpleNamespace(nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda i: "gpu0",
                                 nvmlDeviceGetTotalEnergyConsumption=energy)  # fmt: skip
    monkeypatch.setitem(sys.modules, "pynvml", fake)


def test_fake_nvml_energy_is_measured(monkeypatch, tmp_path):
    _fake_nvml(monkeypatch)
    meter = energy_mod.EnergyMeter("cuda:0")
    assert meter.method == "nvml" and meter.note.startswith("measured")
    meter.start()
    assert meter.stop() == pytest.approx(5.0)
    # the trainer reports the meter's joules and method
    import trillion.nn.trainer as trainer

    monkeypatch.setattr(trainer, "EnergyMeter", lambda device: energy_mod.EnergyMeter("cuda:0"))
    data = prepare(tmp_path / "data", max_bytes=2**19)
    res = train_run(
        family_spec(1, data.vocab_size),
        data,
        TrainConfig(tokens=2048, seq_len=32, batch=8, eval_batches=1),
        tmp_path / "r",
    )
    assert res["energy_method"] == "nvml" and res["energy_j"] == pytest.approx(5.0)


def test_cpu_without_rapl_is_estimated(monkeypatch, tmp_path):
    monkeypatch.setattr(energy_mod, "RAPL_ROOT", tmp_path / "no-powercap")
    meter = energy_mod.EnergyMeter("cpu")
    assert meter.method == "estimated" and "assumption" in meter.note


def test_moe_ladder_trains(tmp_path):
    runs = run_ladder("micro-moe", tmp_path)
    assert all(r["status"] == "finished" and r["result"]["val_loss"] < 6 for r in runs)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["ladder", "run", "--preset", "galactic"], "--preset: unknown preset 'galactic'"),
        (["ladder", "run", "--preset", "micro", "--corpus", "{empty}"], "--corpus: no text files"),
        (["ladder", "run", "--preset", "micro", "--device", "tpu"], "--device"),
        (["ladder", "fit", "--dir", "{empty}"], "no ladder here"),
        (
            ["ladder", "run", "--preset", "micro", "--tokens-scale", "0.001"],
            "--tokens-scale: 16 tokens is less than one step",
        ),
    ],
)
def test_bad_ladder_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = [a.replace("{empty}", str(empty)) for a in argv] + (
        ["--dir", str(tmp_path / "l")] if argv[1] == "run" else []
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_budget_too_small_for_one_step(tmp_path):
    from trillion.errors import InputError

    data = prepare(tmp_path / "data", max_bytes=2**19)
    with pytest.raises(InputError, match="less than one step"):
        train_run(
            family_spec(1, data.vocab_size),
            data,
            TrainConfig(tokens=100, seq_len=64, batch=8),
            tmp_path / "r",
        )


def test_user_corpus_bpe_tokenizer_and_deterministic_split(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(30):
        (folder / f"doc{i:02d}.txt").write_text(
            f"Document {i}: the quick brown fox jumps over the lazy dog. " * 20
        )
    a = prepare(tmp_path / "a", folder, tokenizer="bpe", vocab_size=300)
    b = prepare(tmp_path / "b", folder, tokenizer="bpe", vocab_size=300)
    assert 257 < a.vocab_size <= 300 and len(a.val) > 0 and len(a.train) > len(a.val)
    assert (a.train[:1000] == b.train[:1000]).all() and len(a.val) == len(b.val)
    x, y = a.batch("train", 3, 4, 16)
    assert (x[:, 1:] == y[:, :-1]).all() and int(x.max()) < a.vocab_size
