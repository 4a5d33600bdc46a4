"""The command line: real output, JSON keys, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trillion.cli import main

REQUIRED_KEYS = {
    "total_params",
    "active_params",
    "embedding_params",
    "non_embedding_params",
    "forward_flop_per_token",
    "train_flop_per_token",
    "weight_bytes",
    "kv_cache_bytes_per_token",
}


def _json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_model_json_has_the_documented_keys(capsys):
    data = _json(capsys, "model", "llama-3.1-405b", "--json", "--seq-len", "8k")
    assert REQUIRED_KEYS <= set(data)
    assert data["total_params"] == 405_853_388_800 and data["seq_len"] == 8192
    assert set(data["weight_bytes"]) >= {"fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "nf4"}
    assert set(data["kv_cache_bytes_per_token"]) >= {"bf16", "fp8"}
    assert data["weight_bytes"]["bf16"] == 2 * data["total_params"]
    assert data["train_flop_per_token"] == 3 * data["forward_flop_per_token"]


def test_model_from_a_config_file(capsys, write_config):
    path = write_config(
        dict(
            model_type="qwen3_moe",
            vocab_size=1000,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=96,
            num_experts=4,
            num_experts_per_tok=2,
            moe_intermediate_size=32,
        )
    )
    data = _json(capsys, "model", str(path), "--json")
    assert data["active_params"] < data["total_params"]


def test_model_table(capsys):
    assert main(["model", "deepseek-v3"]) == 0
    out = capsys.readouterr().out
    assert "671.0B" in out and "37.55B" in out and "KV cache" in out and "GiB" in out


def test_models_lists_the_catalog(capsys):
    rows = _json(capsys, "models", "--json")
    by_name = {r["name"]: r for r in rows}
    assert by_name["qwen3-max"]["status"] == "estimate"
    assert by_name["gpt-4"]["status"] == "rumoured"
    assert main(["models"]) == 0
    assert "kimi-k2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["model", "gpt-17"], "not a model trillion knows"),
        (["model", "llama-2-7b", "--seq-len", "0"], "--seq-len"),
        (["model", "llama-2-7b", "--seq-len", "lots"], "--seq-len"),
        (["model", "llama-2-7b", "--attention", "sideways"], "--attention"),
        (["model", "/nonexistent/config.json"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, phrase):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert phrase in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "content, phrase",
    [
        ("", "empty"),
        ("not json", "not valid JSON"),
        (
            '{"model_type": "llama", "vocab_size": 100, "hidden_size": -8, "num_hidden_layers": 1, '
            '"num_attention_heads": 2, "intermediate_size": 8}',
            "hidden_size",
        ),
        (
            '{"model_type": "llama", "vocab_size": 100, "hidden_size": 10, "num_hidden_layers": 1, '
            '"num_attention_heads": 3, "intermediate_size": 8}',
            "num_attention_heads",
        ),
        (
            '{"model_type": "mixtral", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 1, '
            '"num_attention_heads": 2, "num_key_value_heads": 2, "intermediate_size": 8, '
            '"num_local_experts": 2, "num_experts_per_tok": 3}',
            "num_experts_per_tok",
        ),
        ('{"model_type": "rwkv"}', "model_type"),
    ],
)
def test_bad_config_files_exit_2(capsys, write_config, content, phrase):
    path = write_config(content, raw=True)
    assert main(["model", str(path)]) == 2
    err = capsys.readouterr().err
    assert phrase in err and str(path) in err and err.count("\n") == 1


def test_console_script_end_to_end(tmp_path):
    """The installed entry point, as a user runs it: exit codes 0 and 2, no traceback."""
    ok = subprocess.run(
        [sys.executable, "-m", "trillion", "model", "mixtral-8x7b", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total_params"] == 46_702_792_704
    bad = tmp_path / "config.json"
    bad.write_text("{")
    err = subprocess.run(
        [sys.executable, "-m", "trillion", "model", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert err.returncode == 2 and "Traceback" not in err.stderr and str(bad) in err.stderr


def test_usage_errors_exit_2(capsys):
    assert main(["model", "--no-such-flag"]) == 2
