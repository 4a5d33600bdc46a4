"""Hostile CLI invocations, one generator per class of input that once ended in a traceback or
unbounded work: huge or tiny numbers in flags, files with 5,000-digit integers, deep nesting,
oversized or special files (FIFO, /dev/zero, folders), long or odd model names, impossible
layouts, non-finite budgets, huge architectures, unwritable output paths, damaged ladder folders,
and --json on plans that do not fit (strict JSON).

Shared by tests/robustness/test_fuzz_hostile.py (a fixed seed, every class, in CI) and
benchmarks/fuzz_hostile.py (100,000 fresh invocations with per-call time and memory limits).
`Arena` builds the hostile files once; `case(rng)` returns (class, argv) drawing fresh values.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
from pathlib import Path

CLASSES = ("number", "file-digits", "file-depth", "file-size", "name", "layout", "budget", "wide-config",
           "out-path", "ladder-damage", "strict-json")  # fmt: skip

SMALL_LLAMA = {"model_type": "llama", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 512,
               "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}  # fmt: skip


def hostile_number(rng: random.Random) -> str:
    """A number as a careless or hostile user types it."""
    big = rng.choice([309, 400, 4300, 5000, 99999, 999999, 1000000, 10**7])
    digits = rng.choice([20, 61, 100, 4301, 5000, 20000])
    forms = [
        f"1e{big}", f"-1e{big}", f"1e-{big}", f"9.99e{big}", "9" * digits, "0." + "0" * digits + "1",
        f"{rng.randint(0, 10**6)}{rng.choice(['k', 'K', 'M', 'B', 'T', 'P', 'G', 'Ki', 'E', 'x', ''])}",
        rng.choice(["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-0", "0", "", " ", "1_000", "1,5", "0x10",
                    "1e", "e5", "--1", "1..2", "١٢٣", "1\u00a0000", "½"]),
        f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 30)}f}", f"{rng.randint(1, 9)}e{rng.randint(-500, 500)}",
    ]  # fmt: skip
    return rng.choice(forms)


def nested(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


class Arena:
    """A folder of hostile files, made once (cheap to reuse; the generator varies how they are used)."""

    def __init__(self, root: Path, ladder: Path | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        w = self.write
        self.configs = {
            "digits": w("digits/config.json", json.dumps(SMALL_LLAMA)[:-1] + ', "hidden_size": ' + "7" * 5000 + "}"),
            "digits-float": w("digitsf/config.json", json.dumps({**SMALL_LLAMA, "rope_theta": 0})[:-2] + "1" * 5000 + "}"),
            "deep-list": w("deepl/config.json", '{"model_type": "llama", "x": ' + nested(100_000, "list") + "}"),
            "deep-obj": w("deepo/config.json", '{"model_type": "llama", "x": ' + nested(5_000, "obj") + "}"),
            "big": w("big/config.json", json.dumps({**SMALL_LLAMA, "pad": "x" * (5 * 2**20)})),
            "bad-utf8": self.write_bytes("utf8/config.json", b'{"model_type": "llama\xff\xfe"}'),
            "empty": w("empty/config.json", ""),
            "not-object": w("list/config.json", "[1, 2, 3]"),
        }  # fmt: skip
        fifo = root / "fifo" / "config.json"
        fifo.parent.mkdir(exist_ok=True)
        if not fifo.exists():
            os.mkfifo(fifo)
        zero = root / "zero" / "config.json"
        zero.parent.mkdir(exist_ok=True)
        if not zero.exists():
            zero.symlink_to("/dev/zero")
        self.configs.update({"fifo": fifo, "dev-zero": zero, "folder": root / "digits"})
        (root / "folder-as-file").mkdir(exist_ok=True)
        (root / "folder-as-file" / "config.json").mkdir(exist_ok=True)
        self.configs["config-is-a-folder"] = root / "folder-as-file" / "config.json"
        rows = "params,tokens,loss\n" + "".join(
            f"{1e6 + i},{2e7 + i},{3.0 - i * 1e-6}\n" for i in range(100_001)
        )
        self.runs = {
            "digits": w("runs/digits.json", '[{"params": ' + "1" * 5000 + ', "tokens": 1e9, "loss": 3}]'),
            "deep": w("runs/deep.json", nested(50_000, "list")),
            "comma-bomb": w("runs/bomb.json", "[" + "{}," * 3_000_000 + "{}]"),
            "rows": w("runs/rows.csv", rows),
            "huge-cell": w("runs/cell.csv", "params,tokens,loss\n" + "9" * 5000 + ",1e9,3\n"),
            "nul": self.write_bytes("runs/nul.csv", b"params,tokens,loss\n1\x00,2,3\n"),
            "good": w("runs/good.csv", "params,tokens,loss\n" + "".join(
                f"{n:g},{n * r:g},{1.8 + 480 / n**0.35 + 2000 / (n * r) ** 0.37:.5f}\n"
                for n in (1e7, 3e7, 1e8, 3e8) for r in (5, 20, 80))),
            "fifo": fifo,
        }  # fmt: skip
        self.tomls = {
            "digits": w("cal/digits.toml", "eta_gemm = " + "1" * 5000 + "\n"),
            "deep": w("cal/deep.toml", "x = " + nested(20_000, "list") + "\n"),
            "float": w("cal/float.toml", "eta_gemm = 0." + "1" * 5000 + "\n"),
            "big": w("cal/big.toml", "# " + "x" * (2 * 2**20) + "\n"),
            "junk": w("cal/junk.toml", "eta_gemm = [1, {a = 2}]\n[[x]]\n"),
        }
        self.fits = {
            "digits": w("fit/digits.json", '{"law": "chinchilla", "params": {"E": ' + "1" * 5000 + "}}"),
            "deep": w("fit/deep.json", '{"params": ' + nested(10_000, "obj") + "}"),
            "unidentified": w(
                "fit/unid.json",
                json.dumps(
                    {
                        "law": "chinchilla",
                        "identified": False,
                        "params": {"E": 1.7, "A": 400, "B": 1, "alpha": 0.3, "beta": 2.0},
                    }
                ),
            ),  # fmt: skip
            "negative": w(
                "fit/neg.json",
                json.dumps(
                    {
                        "law": "chinchilla",
                        "params": {"E": 1.7, "A": 400, "B": 400, "alpha": 0.3, "beta": -0.2},
                    }
                ),
            ),
            "good": w(
                "fit/good.json",
                json.dumps(
                    {
                        "law": "chinchilla",
                        "params": {"E": 1.8, "A": 480, "B": 2000, "alpha": 0.35, "beta": 0.37},
                        "fitted_range": {"params": [1e7, 3e8], "tokens": [5e7, 2.4e10]},
                    }
                ),
            ),  # fmt: skip
            "bad-samples": w(
                "fit/samples.json",
                json.dumps(
                    {
                        "law": "chinchilla",
                        "params": {"E": 1.7, "A": 400, "B": 400, "alpha": 0.3, "beta": 0.3},
                        "bootstrap_samples": [[1, 2], "x"],
                    }
                ),
            ),  # fmt: skip
        }
        self.wide = [
            w(f"wide{i}/config.json", json.dumps(cfg))
            for i, cfg in enumerate([
                {**SMALL_LLAMA, "hidden_size": 2**32, "intermediate_size": 2**32, "vocab_size": 2**32,
                 "num_attention_heads": 2**16, "num_key_value_heads": 2**16, "num_hidden_layers": 65536},
                {**SMALL_LLAMA, "num_hidden_layers": 65536},
                {**SMALL_LLAMA, "vocab_size": 2**32},
                {**SMALL_LLAMA, "hidden_size": 2**20, "intermediate_size": 2**31, "num_attention_heads": 2**10},
                {"model_type": "qwen3_moe", "vocab_size": 2**31, "hidden_size": 2**20, "num_hidden_layers": 4096,
                 "num_attention_heads": 2**10, "num_key_value_heads": 8, "head_dim": 2**10,
                 "moe_intermediate_size": 2**24, "num_experts": 2**16, "num_experts_per_tok": 2**10,
                 "intermediate_size": 2**24},
            ])
        ]  # fmt: skip
        self.readonly = root / "readonly"
        self.readonly.mkdir(exist_ok=True)
        self.ladder = ladder

    def write(self, rel: str, text: str) -> Path:
        return self.write_bytes(rel, text.encode("utf-8", "surrogatepass"))

    def write_bytes(self, rel: str, data: bytes) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            p.write_bytes(data)
        return p

    def damaged_ladder(self, rng: random.Random, slot: int) -> Path:
        """A copy of the clean ladder with one random kind of damage."""
        assert self.ladder is not None
        d = self.root / f"ladder-copy-{slot}"
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(self.ladder, d, ignore=shutil.ignore_patterns(".lock"))
        files = sorted(p for p in d.rglob("*") if p.is_file())
        target = rng.choice(files)
        how = rng.choice(["truncate", "scribble", "delete", "junk", "store-pages", "store-header"])
        if how == "store-pages" or how == "store-header":
            target = d / "ladder.sqlite"
            con = sqlite3.connect(target)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
        raw = bytearray(target.read_bytes()) if target.exists() else bytearray()
        if how == "truncate":
            target.write_bytes(bytes(raw[: rng.randint(0, max(0, len(raw) - 1))]))
        elif how == "scribble" and raw:
            at = rng.randrange(len(raw))
            raw[at : at + 64] = bytes(rng.randrange(256) for _ in range(64))
            target.write_bytes(bytes(raw))
        elif how == "delete":
            target.unlink()
        elif how == "junk":
            target.write_bytes(rng.choice([b"", b"{", b"\x00" * 100, b'{"id": 1}', "é".encode() * 50]))
        elif how == "store-pages":
            for start in range(4096, len(raw), 4096):
                raw[start + 8 : start + 40] = b"\xff" * 32
            target.write_bytes(bytes(raw))
        else:
            target.write_bytes(b"not a database" + bytes(raw[14:]))
        return d


def _path_of(rng: random.Random, table: dict[str, Path]) -> str:
    return str(table[rng.choice(sorted(table))])


def case(rng: random.Random, arena: Arena) -> tuple[str, list[str]]:
    """One hostile invocation: (class, argv)."""
    kind = rng.choice(
        CLASSES if arena.ladder is not None else tuple(c for c in CLASSES if c != "ladder-damage")
    )
    n = hostile_number(rng)
    if kind == "number":
        return kind, rng.choice([
            ["train", "llama-3.1-8b", "--tokens", n], ["train", "llama-3.1-8b", "--seq-len", n],
            ["train", "llama-3.1-8b", "--gpus", n], ["train", "llama-3.1-8b", "--global-batch", n],
            ["serve", "llama-3.1-8b", "--batch", n], ["serve", "llama-3.1-8b", "--prompt", n],
            ["serve", "llama-3.1-8b", "--output", n], ["serve", "llama-3.1-8b", "--gpus", n],
            ["serve", "llama-3.1-8b", "--latency-target", n],
            ["footprint", "--accelerator-hours", n, "--gpu", "h100"], ["footprint", "--days", n, "--gpus", "8"],
            ["footprint", "--accelerator-hours", "1M", "--pue", n], ["footprint", "--accelerator-hours", "1M", "--price", n],
            ["footprint", "--accelerator-hours", "1M", "--intensity", n], ["footprint", "--accelerator-hours", "1M", "--mfu", n],
            ["model", "llama-3.1-8b", "--seq-len", n], ["finetune", "llama-3.1-8b", "--tokens", n],
            ["finetune", "llama-3.1-8b", "--gpus", n], ["fit", "llama-3.1-8b", "--context", n],
            ["fit", "llama-3.1-8b", "--on", f"{n}xh100"], ["afford", "--budget", n + "$", "--gpu", "h100"],
            ["afford", "--budget", "1M$", "--gpus", n, "--gpu", "h100"],
            ["scaling", "forecast", "--fit", str(arena.fits["negative"]), "--flop", n],
            ["report", "llama-3.1-8b", "--gpus", n, "--html", ""], ["serve", "llama-3.1-8b", "--qps", n],
            ["serve", "deepseek-v3", "--gpu", "h800", "--weights", "fp8", "--cache-hit", n],
        ])  # fmt: skip
    if kind == "file-digits" or kind == "file-depth" or kind == "file-size":
        key = {"file-digits": "digits", "file-depth": "deep"}.get(kind)
        configs = {k: v for k, v in arena.configs.items() if key is None or k.startswith(key)}
        runs = {k: v for k, v in arena.runs.items() if key is None or k.startswith(key)}
        tomls = {k: v for k, v in arena.tomls.items() if key is None or k.startswith(key)}
        fits = {k: v for k, v in arena.fits.items() if key is None or k.startswith(key)}
        return kind, rng.choice([
            ["model", _path_of(rng, configs)], ["model", _path_of(rng, configs), "--json"],
            ["train", _path_of(rng, configs), "--gpus", "8"], ["serve", _path_of(rng, configs)],
            ["scaling", "fit", _path_of(rng, runs)], ["scaling", "isoflop", _path_of(rng, runs)],
            ["train", "llama-3.1-8b", "--gpus", "64", "--calibration", _path_of(rng, tomls)],
            ["scaling", "forecast", "--fit", _path_of(rng, fits), "--flop", "1e24"],
        ])  # fmt: skip
    if kind == "name":
        name = rng.choice([
            "m" * rng.choice([256, 300, 5000]), "." , "..", "./", "/", "~", "/nonexistent/" + "x" * 40,
            "nonexistent/config.json", "a" * 255 + ".json", "\ud800", "qwen3-max\n", "ü" * 200, "-", "con",
            "llama-3.1-8b" + "\u200b", "C:\\\\models\\\\config.json", "$(rm -rf /)", "%s%n", "x" * 40 + "/" * 10,
        ])  # fmt: skip
        return kind, rng.choice([["model", name], ["train", name], ["serve", name], ["report", name, "--html", ""],
                                 ["finetune", name], ["fit", name], ["compare", name, "--html", ""]])  # fmt: skip
    if kind == "layout":
        key = rng.choice(["dp", "tp", "pp", "cp", "ep", "mbs", "vpp", "zero", "recompute", "junk", ""])
        value = rng.choice(["0", "-1", "-8", "99999999999", "1e3", "x", "", "8.5", "2**40", n])
        extra = rng.choice(["", ",tp=8", ",pp=0", ",,", "=", ",tp", ",zero=4"])
        if rng.random() < 0.5:  # a serving layout (attention data / expert parallel, redundant experts)
            key = rng.choice(["dp", "tp", "pp", "ep", "redundant", "cp", "junk", ""])
            extra = rng.choice(["", ",ep=8", ",dp=8", ",ep=48", ",redundant=32", ",tp=1", ",,"])
            model = rng.choice(["deepseek-v3", "llama-3.1-8b", "kimi-k2"])
            more = rng.choice([[], ["--gpus", rng.choice(["8", "24", "64", n])], ["--cache-hit", n],
                               ["--draft-tokens", n, "--acceptance", rng.choice(["0.8", n])]])  # fmt: skip
            return kind, [
                "serve",
                model,
                "--gpu",
                "h800",
                "--weights",
                "fp8",
                "--layout",
                f"{key}={value}{extra}",
                *more,
            ]
        return kind, [
            "train",
            "llama-3.1-8b",
            "--gpus",
            rng.choice(["64", "1", "7"]),
            "--layout",
            f"{key}={value}{extra}",
        ]
    if kind == "budget":
        unit = rng.choice(["$", "USD", "MWh", "kWh", "GWh", "tCO2e", "t", "mWh", "", "€", "$$"])
        text = rng.choice([f"{n}{unit}", f"${n}", f"{n} {unit}", unit + n])
        return kind, ["afford", "--budget", text] + rng.choice([[], ["--gpu", "h100"], ["--gpu", "tpu-v4"]])
    if kind == "wide-config":
        cfg = str(rng.choice(arena.wide))
        return kind, rng.choice([["model", cfg], ["model", cfg, "--seq-len", "1M"], ["train", cfg, "--gpus", "16384"],
                                 ["serve", cfg], ["fit", cfg, "--on", "8xh100"], ["report", cfg, "--html", ""],
                                 ["finetune", cfg], ["footprint", "--model", cfg, "--tokens", "1T"]])  # fmt: skip
    if kind == "out-path":
        bad = rng.choice(["/nonexistent/dir/out", str(arena.readonly / "sub" / "x"), str(arena.root), "/proc/self/x",
                          "/dev/null/x", "", "\ud800", "a" * 300])  # fmt: skip
        return kind, rng.choice([
            ["scaling", "plot", str(arena.runs["good"]), "--fit", str(arena.fits["good"]), "--out", bad + ".svg"],
            ["scaling", "plot", str(arena.runs["good"]), "--kind", "isoflop", "--out", bad + ".png"],
            ["scaling", "fit", str(arena.runs["good"]), "--out", bad + ".json"],
            ["report", "llama-3.1-8b", "--html", bad + ".html"], ["compare", "llama-3.1-8b", "--html", bad + ".html"],
            ["scaling", "forecast", "--fit", str(arena.fits["good"]), "--flop", "1e24", "--proposal", bad],
        ])  # fmt: skip
    if kind == "ladder-damage":
        d = str(arena.damaged_ladder(rng, rng.randrange(4)))
        cheap = [
            ["ladder", "status", "--dir", d],
            ["ladder", "status", "--dir", d, "--json"],
            ["ladder", "fit", "--dir", d, "--bootstrap", "10"],
            ["ladder", "repair", "--dir", d],
        ]
        # quantize evaluates every run three times (seconds): one case in ten, so the class stays cheap
        return kind, ["ladder", "quantize", "--dir", d, "--json"] if rng.random() < 0.1 else rng.choice(cheap)
    # strict-json: plans that do not fit, odd regions, everything printed as JSON must parse strictly
    return kind, rng.choice([
        ["train", "llama-3.1-405b", "--gpus", "1", "--json"], ["train", "deepseek-v3", "--gpus", "8", "--json"],
        ["serve", "llama-3.1-405b", "--gpus", "1", "--json"], ["fit", "kimi-k2", "--on", "1xh100", "--json"],
        ["afford", "--budget", rng.choice(["1$", "1e13$", "1kWh", "1e10MWh"]), "--gpu", "h100", "--json"],
        ["footprint", "--accelerator-hours", "1", "--gpu", "h100", "--json"],
        ["model", "qwen3-max", "--seq-len", "1", "--json"], ["finetune", "llama-3.1-405b", "--gpus", "1", "--json"],
    ])  # fmt: skip
