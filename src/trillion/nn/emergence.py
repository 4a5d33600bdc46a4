"""Emergence on the ladder: a synthetic multi-digit addition task trained through the ladder's
own machinery, each finished model scored two ways.

The corpus is text, one problem per line (``123+456=579``), written into the ladder folder and
trained on as any other corpus (byte tokenizer, random windows), so the runs are ladder runs:
hashed, stored, resumable. Held-out problems (never in the corpus) are scored by teacher forcing
with a few solved problems as context:

- **exact match**: every answer byte (and the end of line) is the model's argmax. Under greedy
  decoding this is exactly the probability the generated answer is right, since a greedy decode
  sees the correct prefix until its first mistake;
- **per-token accuracy**: the fraction of answer bytes that are the argmax (a smooth metric);
- **answer loss**: mean cross-entropy of the answer bytes, nats per token (smooth, continuous).

Schaeffer et al. 2023 (arXiv:2304.15004) argue that exact match, a nonlinear function of the
per-token probability (roughly p^k for k answer tokens), manufactures "emergence" from smooth
improvement; Du et al. 2024 (arXiv:2403.15796) that the jump sits at a pre-training loss
threshold. `trillion.scaling.emergence` fits both readings to these scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trillion.errors import InputError

TASK = "addition"
CONTEXT_PROBLEMS = 3  # solved problems before each test problem (the training distribution's context)
TEST_PROBLEMS = 150  # held-out problems scored per run (2-digit additions hold out 156)


def problem(a: int, b: int, reverse: bool = False) -> tuple[str, str]:
    """(prompt, answer) of one addition problem: ``"123+456="`` and ``"579\\n"`` (the sum's digits
    least significant first when `reverse`, the order in which carries are computed)."""
    total = str(a + b)
    return f"{a}+{b}=", (total[::-1] if reverse else total) + "\n"


HELD_OUT_MODULUS = 53  # a pair (a, b) is a test problem iff (1009 a + b) mod 53 == 0: never in the corpus


def held_out(a: int, b: int) -> bool:
    return (1009 * a + b) % HELD_OUT_MODULUS == 0


def _pairs(rng: np.random.Generator, n: int, digits: int, test: bool) -> list[tuple[int, int]]:
    lo, hi = 10 ** (digits - 1) if digits > 1 else 0, 10**digits
    out: list[tuple[int, int]] = []
    while len(out) < n:
        for a, b in rng.integers(lo, hi, size=(2 * n, 2)).tolist():
            if held_out(a, b) == test and len(out) < n:
                out.append((a, b))
    return out


def write_corpus(folder: str | Path, *, digits: int, problems: int, files: int = 20, seed: int = 0) -> Path:
    """Write `problems` random `digits`-digit additions (none of them a held-out test problem) as
    `files` text files under `folder`; deterministic in `seed`, and rewritten only when absent, so
    a resumed ladder sees the same bytes."""
    if not 1 <= digits <= 6:
        raise InputError("digits", None, f"must be between 1 and 6, got {digits}")
    from trillion.io.files import write_file

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    pairs = _pairs(np.random.default_rng((seed, digits)), problems, digits, test=False)
    step = -(-len(pairs) // files)
    for i in range(files):
        path = root / f"{TASK}-{digits}d-{i:02d}.txt"
        if not path.exists():
            write_file(path, "".join("".join(problem(a, b)) for a, b in pairs[i * step : (i + 1) * step]))
    return root


def held_out_problems(digits: int, n: int, seed: int = 99) -> list[tuple[int, int]]:
    """`n` distinct held-out problems (`held_out`): by construction never in any training corpus."""
    lo, hi = 10 ** (digits - 1) if digits > 1 else 0, 10**digits
    rng = np.random.default_rng((seed, digits))
    if digits <= 3:  # enumerate the held-out grid
        a, b = np.meshgrid(np.arange(lo, hi), np.arange(lo, hi), indexing="ij")
        mask = (1009 * a + b) % HELD_OUT_MODULUS == 0
        pairs = np.stack([a[mask], b[mask]], axis=1)
        if len(pairs) < n:
            raise InputError(
                "digits", None, f"{digits}-digit additions hold out {len(pairs)} problems, fewer than {n}"
            )
        return [(int(x), int(y)) for x, y in pairs[rng.permutation(len(pairs))[:n]]]
    return list(dict.fromkeys(_pairs(rng, 2 * n, digits, test=True)))[:n]


def answer_tokens(digits: int) -> float:
    """Mean answer length in tokens (sum digits plus the end of line) over held-out problems: the
    ``k`` of exact match ~ per-token accuracy ** k."""
    return float(np.mean([len(problem(a, b)[1]) for a, b in held_out_problems(digits, TEST_PROBLEMS)]))


def score_model(model: Any, problems: list[tuple[int, int]], device: str = "cpu") -> dict[str, float]:
    """Exact match, per-token accuracy and answer loss (nats/token) of `model` on `problems`
    (byte tokenizer; each problem preceded by `CONTEXT_PROBLEMS` solved ones)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    exact, correct, tokens, nll = 0, 0, 0, 0.0
    with torch.no_grad():
        for i, (a, b) in enumerate(problems):
            shots = [problems[(i + j + 1) % len(problems)] for j in range(CONTEXT_PROBLEMS)]
            context = "\n" + "".join("".join(problem(x, y)) for x, y in shots)
            prompt, answer = problem(a, b)
            ids = list((context + prompt + answer).encode())
            start = len(ids) - len(answer.encode())
            x = torch.tensor([ids[:-1]], device=device)
            logits = model(x)[0, start - 1 :].float()
            target = torch.tensor(ids[start:], device=device)
            hit = logits.argmax(-1) == target
            exact += int(hit.all())
            correct += int(hit.sum())
            tokens += len(target)
            nll += float(F.cross_entropy(logits, target, reduction="sum"))
    return {
        "exact_match": exact / len(problems),
        "token_accuracy": correct / tokens,
        "answer_loss": nll / tokens,
    }


def score_ladder(
    out_dir: str | Path, digits: int, n_test: int = TEST_PROBLEMS, device: str = "cpu"
) -> list[dict[str, Any]]:
    """Score every finished run of the ladder folder: its size, compute, validation loss and the
    three task metrics."""
    import torch

    from trillion.nn.checkpoint import checkpoint_problem
    from trillion.nn.ladder import family_spec, ladder_summary
    from trillion.nn.model import build_model

    problems = held_out_problems(digits, n_test)
    rows = []
    for run in ladder_summary(out_dir):
        if run["status"] != "finished" or not run.get("current", True):
            continue
        c, r = run["config"], run["result"]
        model = build_model(family_spec(c["depth"], c["vocab"], c["family"]))
        path = Path(out_dir) / "runs" / run["id"] / "model.pt"
        problem = checkpoint_problem(path)
        if problem:
            raise InputError(str(path), None, f"{problem}: run `trillion ladder repair --dir {out_dir}`")
        model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
        rows.append({"id": run["id"], "depth": c["depth"], "params": r["params"], "tokens": r["tokens"],
                     "train_flop": r["train_flop"], "val_loss": r["val_loss"],
                     **score_model(model.to(device), problems, device)})  # fmt: skip
    return sorted(rows, key=lambda row: row["train_flop"])


def run_emergence(out_dir: str | Path, preset: str = "emergence-cpu", *, progress: bool = False,
                  device: str = "cpu") -> dict[str, Any]:  # fmt: skip
    """Write the addition corpus into ``out_dir/corpus``, train the preset's ladder on it (resuming
    finished runs), score every run, and save the scores as ``out_dir/emergence.json``."""
    from trillion.io.files import dumps_strict, write_file
    from trillion.nn.ladder import find_preset, run_ladder

    p = find_preset(preset)
    if not p.task:
        raise InputError("preset", None, f"{preset!r} is not an emergence preset (try emergence-cpu)")
    digits = int(p.task.removeprefix("addition-").removesuffix("d"))
    out = Path(out_dir)
    line_bytes = 3 * digits + 4  # "a+b=" (2 digits + 2) + the sum (digits + 1 at most) + "\n"
    corpus = write_corpus(out / "corpus", digits=digits, problems=p.max_bytes // line_bytes)
    run_ladder(preset, out, corpus=str(corpus), device=device, progress=progress)
    rows = score_ladder(out, digits, device=device)
    result = {"task": p.task, "digits": digits, "preset": preset, "held_out_problems": TEST_PROBLEMS,
              "context_problems": CONTEXT_PROBLEMS, "runs": rows}  # fmt: skip
    write_file(out / "emergence.json", dumps_strict(result, indent=1))
    return result
