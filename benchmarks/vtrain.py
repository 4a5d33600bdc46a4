"""vTrain's measured Megatron-DeepSpeed step times (../shared/data), as trillion workloads.

Shared by benchmarks/step_time_vtrain.py (accuracy) and the calibration fit. The set-up the
measurements ran under is taken from vTrain's own validation configs (commit f8dda84):
full activation recompute (use_checkpoint), no gradient bucketing (DP reduction not overlapped),
1F1B, 8 A100 per node, 150 GB/s intra-node and 800 Gb/s inter-node per node; GPT models with
4h GELU MLPs, learned positions, GPT-2's 50257-token vocabulary padded to a multiple of 128 * tp
(Megatron's make-vocab-size-divisible-by 128), fp16.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from trillion.spec.model import MLP, Attention, ModelSpec

DATA = Path(os.environ.get("TRILLION_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@dataclass(frozen=True)
class Row:
    gpus: int
    global_batch: int
    mbs: int
    hidden: int
    heads: int
    layers: int
    seq_len: int
    tp: int
    dp: int
    pp: int
    measured_s: float


def load(name: str) -> list[Row]:
    """Rows of vtrain_ground_truth_{name}.csv; FileNotFoundError when ../shared/data is absent."""
    path = DATA / f"vtrain_ground_truth_{name}.csv"
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            rows.append(
                Row(
                    gpus=int(r["# GPUs"]),
                    global_batch=int(r["global batch"]),
                    mbs=int(r["micro batch"]),
                    hidden=int(r["hidden size"]),
                    heads=int(r["attention heads"]),
                    layers=int(r["# layers"]),
                    seq_len=int(r["sequence length"]),
                    tp=int(r["tensor parallelism"]),
                    dp=int(r["data parallelism"]),
                    pp=int(r["pipeline parallelism"]),
                    measured_s=float(r["iteration time (ms)"]) / 1000,
                )
            )
    return rows


def gpt_spec(row: Row) -> ModelSpec:
    vocab = -(-50257 // (128 * row.tp)) * 128 * row.tp
    h = row.hidden
    return ModelSpec(
        name=f"gpt-h{h}-l{row.layers}",
        vocab_size=vocab,
        hidden_size=h,
        num_layers=row.layers,
        attention=Attention(
            num_heads=row.heads,
            num_kv_heads=row.heads,
            head_dim=h // row.heads,
            q_bias=True,
            k_bias=True,
            v_bias=True,
            o_bias=True,
        ),
        mlp=MLP(intermediate_size=4 * h, gated=False, activation="gelu", bias=True),
        tied_embeddings=True,
        norm="layernorm",
        norm_bias=True,
        positions="learned",
        num_position_embeddings=row.seq_len,
    )
