"""Ten thousand generated or mutated inputs across config.json files, CLI arguments with units, run
CSVs and web API payloads: zero tracebacks; every failure one line naming the input; exit code 2.

Seeded (derandomized) so CI sees the same inputs every run; `benchmarks/fuzz_long.py` runs many more
(TRILLION_FUZZ_SCALE multiplies the counts and switches to fresh random inputs).
Counts: configs 4,000 + CLI 3,000 + run files 2,000 + API 1,000 = 10,000.
"""

from __future__ import annotations

import copy
import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trillion.cli import main
from trillion.errors import InputError
from trillion.io.hf_config import spec_from_hf_dict

SCALE = int(os.environ.get("TRILLION_FUZZ_SCALE", "1"))


def fuzz(n: int) -> settings:
    """Hypothesis settings for `n` examples (times SCALE); seeded unless scaled up."""
    return settings(
        max_examples=n * SCALE,
        derandomize=SCALE == 1,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )


BASES = [
    {"model_type": "llama", "vocab_size": 32000, "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 4,
     "num_attention_heads": 8, "num_key_value_heads": 2},
    {"model_type": "qwen3_moe", "vocab_size": 1000, "hidden_size": 256, "num_hidden_layers": 3, "num_attention_heads": 4,
     "num_key_value_heads": 2, "head_dim": 64, "moe_intermediate_size": 64, "num_experts": 8, "num_experts_per_tok": 2,
     "intermediate_size": 512},
    {"model_type": "deepseek_v3", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 512, "moe_intermediate_size": 64,
     "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "n_routed_experts": 8, "num_experts_per_tok": 2,
     "n_shared_experts": 1, "q_lora_rank": 64, "kv_lora_rank": 32, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16,
     "v_head_dim": 32, "first_k_dense_replace": 1},
    {"model_type": "gpt2", "vocab_size": 500, "n_embd": 128, "n_layer": 2, "n_head": 4, "n_positions": 256},
]  # fmt: skip
JUNK = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**64,
    1e308,
    float("nan"),
    float("inf"),
    "",
    "7",
    "abc",
    [],
    [1, 2],
    {},
    {"a": 1},
    3.5,
]


def _mutate(rng: random.Random, cfg: dict) -> dict:
    c = copy.deepcopy(cfg)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.4 and c:
            c[rng.choice(list(c))] = rng.choice(JUNK)
        elif op < 0.6 and c:
            c.pop(rng.choice(list(c)))
        elif op < 0.8:
            c[
                rng.choice(
                    [
                        "num_experts",
                        "head_dim",
                        "tie_word_embeddings",
                        "rope_theta",
                        "sliding_window",
                        "model_type",
                    ]
                )
            ] = rng.choice(JUNK)
        else:
            key = rng.choice(list(c)) if c else "hidden_size"
            if isinstance(c.get(key), int) and not isinstance(c.get(key), bool):
                c[key] = c[key] * rng.choice([0, -1, 2, 3, 1000]) + rng.choice([0, 1, -1])
    return c


def test_four_thousand_mutated_configs():
    rng = random.Random(9 if SCALE == 1 else None)
    outcomes = {"ok": 0, "error": 0}
    for i in range(4000 * SCALE):
        cfg = _mutate(rng, BASES[i % len(BASES)])
        try:
            spec_from_hf_dict(cfg, "config.json")
            outcomes["ok"] += 1
        except InputError as e:
            assert "\n" not in str(e) and str(e).startswith("config.json"), str(e)
            outcomes["error"] += 1
    assert outcomes["ok"] > 100 and outcomes["error"] > 1000


UNITS = st.one_of(
    st.text(alphabet="0123456789.eE+-kKMBTGgiWwsSm$/% ", max_size=10),
    st.sampled_from(
        [
            "1T",
            "36T",
            "2.5k",
            "1e12",
            "-3",
            "0",
            "nan",
            "inf",
            "1e400",
            "1.5.5",
            "",
            " ",
            "10M$",
            "50ms",
            "7 GB",
        ]
    ),
    st.text(max_size=8),
)
COMMANDS = [
    lambda v: ["model", "llama-3.1-8b", "--seq-len", v],
    lambda v: ["footprint", "--accelerator-hours", v, "--gpu", "h100"],
    lambda v: ["footprint", "--accelerator-hours", "1M", "--gpu", "h100", "--pue", v],
    lambda v: ["footprint", "--accelerator-hours", "1M", "--gpu", "h100", "--price", v],
    lambda v: ["footprint", "--accelerator-hours", "1M", "--gpu", "h100", "--intensity", v],
    lambda v: ["footprint", "--days", v, "--gpus", "8", "--gpu", "a100-80gb"],
    lambda v: ["afford", "--budget", v, "--gpu", "h100"],
    lambda v: ["serve", "llama-3.1-8b", "--gpu", "h100", "--latency-target", v, "--batch", "8"],
    lambda v: ["serve", "llama-3.1-8b", "--gpu", "h100", "--prompt", v, "--output", "10", "--batch", "4"],
    lambda v: ["fit", "llama-3.1-8b", "--on", v],
    lambda v: ["train", "llama-3.1-8b", "--tokens", v, "--gpus", "0"],
    lambda v: ["train", "llama-3.1-8b", "--gpus", v, "--tokens", "-1"],
    lambda v: ["scaling", "forecast", "--fit", "/nonexistent.json", "--flop", v],
]


@fuzz(3000)
@given(st.integers(0, len(COMMANDS) - 1), UNITS)
def test_three_thousand_cli_arguments(capsys, which, value):
    code = main(COMMANDS[which](value))
    out, err = capsys.readouterr()
    assert code in (0, 2), (COMMANDS[which](value), code, err[-500:])
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert err.count("\n") <= 1 or err.startswith("Usage"), err


CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30), st.text(max_size=6),
                  st.sampled_from(["", "1e9", "-0", "NaN", "1,000", "0x10"]))  # fmt: skip


@fuzz(2000)
@given(
    st.lists(
        st.sampled_from(["params", "tokens", "flop", "loss", "Model Size", "junk", ""]),
        min_size=0,
        max_size=5,
    ),
    st.lists(st.lists(CELLS, min_size=0, max_size=6), min_size=0, max_size=8),
    st.booleans(),
)
def test_two_thousand_run_files(tmp_path_factory, header, rows, as_json):
    from trillion.scaling.runs import read_runs

    d = tmp_path_factory.mktemp("runs", numbered=True)
    if as_json:
        f = d / "runs.json"
        f.write_text(json.dumps([dict(zip(header, r, strict=False)) for r in rows], default=str))
    else:
        f = d / "runs.csv"
        f.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]))
    try:
        read_runs(f, need=("params", "tokens", "loss"))
    except InputError as e:
        assert "\n" not in str(e) and str(e).startswith(str(f)), str(e)


FIELDS = ["model", "gpu", "gpus", "tokens", "region", "weights", "config"]
API_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.text(max_size=12),
                       st.sampled_from(["qwen3-max", "h100", "0", "-5", "1e30", "{}", "{\"model_type\": 3}", "Atlantis"]),
                       st.lists(st.integers(), max_size=2))  # fmt: skip


@pytest.fixture(scope="module")
def client():
    from starlette.testclient import TestClient

    from trillion.web.app import create_app

    return TestClient(create_app(), base_url="http://127.0.0.1", raise_server_exceptions=False)


@fuzz(1000)
@given(st.dictionaries(st.sampled_from(FIELDS), API_VALUES, min_size=1, max_size=4))
def test_one_thousand_api_payloads(client, body):
    body.setdefault(
        "gpus", "not-a-number"
    ) if "gpus" not in body and "tokens" not in body else None  # keep most requests cheap
    r = client.post(
        "/api/plan", content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code < 500, (body, r.text[:300])
    if r.status_code >= 400:
        assert r.json()["error"]
