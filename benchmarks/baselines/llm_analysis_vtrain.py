"""Baseline: llm-analysis 0.2.2 (cli99/llm-analysis) on vTrain's multi-node rows. Runs in its OWN venv:

    python3 -m venv /tmp/llma && /tmp/llma/bin/pip install llm-analysis==0.2.2
    /tmp/llma/bin/python benchmarks/baselines/llm_analysis_vtrain.py ../shared/data/vtrain_ground_truth_multi.csv

Prints one line per row: index, predicted seconds per iteration (or "rejected: reason"). Settings as
the measurements: a100-sxm-80gb, fp16 (w16a16e16), full activation recomputation, no flash
attention, 8 GPUs per node; efficiencies left at the tool's defaults (un-tuned), as in the reference
comparison quoted in ../shared/data/README.md.
"""

import csv
import json
import logging
import sys
import tempfile

from llm_analysis.analysis import train

logging.disable(logging.CRITICAL)

path = sys.argv[1]
with open(path, encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f))
tmp = tempfile.mkdtemp()
for i, r in enumerate(rows):
    h, heads, layers, s = (
        int(r[k]) for k in ("hidden size", "attention heads", "# layers", "sequence length")
    )
    tp, dp, pp = (int(r[k]) for k in ("tensor parallelism", "data parallelism", "pipeline parallelism"))
    mbs, batch_seqs = int(r["micro batch"]), int(r["global batch"])
    cfg = {
        "name": f"vtrain_{i}",
        "num_layers": layers,
        "n_head": heads,
        "hidden_dim": h,
        "vocab_size": 50304,
        "max_seq_len": s,
        "ffn_embed_dim": 4 * h,
        "model_type": "gpt2",
    }
    cfg_path = f"{tmp}/vtrain_{i}.json"
    with open(cfg_path, "w") as out:
        json.dump(cfg, out)
    try:
        res = train(
            model_name=cfg_path,
            gpu_name="a100-sxm-80gb",
            dtype_name="w16a16e16",
            log_level="CRITICAL",
            batch_size_per_gpu=mbs,
            global_batch_size=batch_seqs,
            seq_len=s,
            total_num_tokens=batch_seqs * s,
            activation_recomputation=2,
            tp_size=tp,
            pp_size=pp,
            dp_size=dp,
            total_num_gpus=tp * pp * dp,
            flash_attn=False,
            num_gpus_per_node=8,
        )
        print(f"{i},{res['latency_per_iter']}")
    except Exception as e:  # the tool rejects some layouts (e.g. TP across nodes)
        print(f"{i},rejected: {str(e).splitlines()[0][:80]}")
