"""Emergence on the ladder: the addition corpus never holds a test problem, exact match scored
by teacher forcing equals greedy decoding, the micro preset end to end through the CLI (plot
with both metrics), and the analysis on data whose answer is known."""

from __future__ import annotations

import json

import numpy as np
import torch

from trillion.cli import main
from trillion.nn.emergence import held_out, held_out_problems, problem, score_model, write_corpus
from trillion.scaling.emergence import analyse, fit_threshold, sharpness


def test_the_corpus_never_holds_a_test_problem(tmp_path):
    write_corpus(tmp_path, digits=2, problems=5000, files=3)
    lines = "".join(p.read_text() for p in sorted(tmp_path.glob("*.txt"))).splitlines()
    assert len(lines) == 5000
    seen = {tuple(int(x) for x in line.split("=")[0].split("+")) for line in lines}
    assert not any(held_out(a, b) for a, b in seen)
    tests = held_out_problems(2, 100)
    assert len(set(tests)) == 100 and all(held_out(a, b) for a, b in tests) and not set(tests) & seen
    assert problem(12, 34) == ("12+34=", "46\n")


class _Oracle(torch.nn.Module):
    """Predicts the next byte of the true text: exact match 1, per-token accuracy 1."""

    def __init__(self, wrong_at: int | None = None):
        super().__init__()
        self.wrong_at = wrong_at

    def forward(self, ids):
        logits = torch.full((*ids.shape, 257), -10.0)
        logits[0, :-1, :].scatter_(1, ids[0, 1:, None], 10.0)  # the next true byte
        return logits


def test_scoring_counts_what_greedy_decoding_would_get_right():
    probs = [(12, 34), (50, 50), (99, 1)]

    class Last(torch.nn.Module):  # knows every byte except the one it must predict last
        def forward(self, ids):
            logits = _Oracle()(ids)
            logits[0, -1, :] = 0.0
            logits[0, -1, ord("7")] = 5.0  # the end of line is predicted as "7": answer wrong
            return logits

    s = score_model(Last(), probs)
    assert s["exact_match"] == 0.0 and 0.5 < s["token_accuracy"] < 1.0


def test_analysis_recovers_a_known_threshold():
    rng = np.random.default_rng(0)
    loss = np.linspace(1.6, 1.0, 12)
    em = 1 / (1 + np.exp((loss - 1.25) / 0.04)) + rng.normal(0, 0.01, 12)
    l_star, _ = fit_threshold(loss, np.clip(em, 0, 1))
    assert abs(l_star - 1.25) < 0.03
    acc = np.linspace(0.4, 0.95, 12)
    runs = [{"train_flop": 10.0**i, "val_loss": float(loss[i]), "depth": 1 + i % 3, "exact_match": float(acc[i] ** 3),
             "token_accuracy": float(acc[i]), "answer_loss": float(-np.log(acc[i]))} for i in range(12)]  # fmt: skip
    out = analyse(runs, answer_tokens=3.0)
    assert out["p_to_the_k_abs_error_median"] < 1e-9
    assert out["sharpness"]["exact_match"] > out["sharpness"]["token_accuracy"]  # p^3 is the sharper curve
    assert sharpness(np.array([0.0, 0.0, 1.0])) == 1.0


def test_emergence_end_to_end_on_the_micro_preset(tmp_path, capsys):
    plot = tmp_path / "emergence.svg"
    argv = ["scaling", "emergence", "--preset", "emergence-micro", "--dir", str(tmp_path / "em"), "--quiet",
            "--plot", str(plot), "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["runs"]) == 4 and out["task"] == "addition-2d"
    for r in out["runs"]:
        assert 0 <= r["exact_match"] <= r["token_accuracy"] <= 1 and r["answer_loss"] > 0
    assert out["published"] and all(len(s["models"]) >= 2 for s in out["published"])
    svg = plot.read_text()
    assert "exact match" in svg and "per-token accuracy" in svg  # both metrics in one plot
    assert main(argv) == 0  # resumed: every run is already finished
    capsys.readouterr()


def test_emergence_refuses_a_language_modelling_preset(capsys):
    assert main(["scaling", "emergence", "--preset", "micro"]) == 2
    assert "not an emergence preset" in capsys.readouterr().err
