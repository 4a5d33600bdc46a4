"""Baseline: llm-analysis 0.2.2 (cli99/llm-analysis) on the published training throughputs. Runs in its OWN venv:

    python3 -m venv /tmp/llma && /tmp/llma/bin/pip install llm-analysis==0.2.2
    .venv/bin/python benchmarks/training_published.py --llm-analysis   (writes the rows, runs this)

argv[1] is a JSON list of rows prepared by trillion (benchmarks/training_published.py
`llm_analysis_baseline`): id, model dims, GPU figures from trillion's catalog in SI units, layout,
batch, seq_len, dtype, recompute. Prints one line per row: ``id,predicted_tokens_per_s_per_gpu``
or ``id,rejected: reason`` (the tool's exception; a rejection is a row it cannot predict).

Settings. Efficiencies as the README recommends: "If one has to make assumptions, for flops
efficiency, literature reports up to `0.5` for large scale model training, and up to `0.7` for
inference; `0.9` can be an aggressive target for memory efficiency." -> flops_efficiency 0.5,
hbm_memory_efficiency 0.9. Flash attention on. bf16 -> dtype ``w16a16e16``, fp8 (and MXFP8) ->
``w8a8e16`` (the tool's 8-bit GEMMs run at the GPU config's ``peak_i8_TFLOPS``). Recompute
none/selective/full -> ``ActivationRecomputation`` 0/1/2. ds_zero 3 for FSDP rows, else 1
(Megatron's distributed optimizer; memory only). num_gpus_per_node = the catalog's scale-up domain
(8; 72 on GB200/GB300 NVL72): the tool only uses it to refuse tp > num_gpus_per_node.

GPUs. h100-sxm rows use the tool's shipped ``h100-sxm-80gb`` (80 GB, 3350 GB/s, 450 GB/s NVLink,
989 / 1979 TFLOPS, as trillion's catalog). The others (h100-96gb-hbm2e, h200, b200, gb200, gb300)
are not shipped with 0.2.2; they are registered at run time as ``GPUConfig``s (the equivalent of
adding a JSON file to its gpu_configs folder, as its README says) from trillion's catalog
(src/trillion/catalog/accelerators/*.toml). The tool's units: ``mem_per_GPU_in_GB`` is GiB (it
multiplies by 1024**3); ``hbm_bandwidth_in_GB_per_sec`` and ``intra_node_bandwidth_in_GB_per_sec``
are decimal GB/s (x 1e9), per GPU; ``inter_node_bandwidth_in_GB_per_sec`` is given the catalog's
per-GPU scale-out GB/s (unused by 0.2.2's training estimate); ``peak_fp16_TFLOPS`` takes the dense
bf16 peak and ``peak_i8_TFLOPS`` the dense fp8 peak (decimal TFLOP/s); intra-node minimum message
latency 8 us, as its h100 config.

What 0.2.2 models (analysis.py ``training``): latency per iteration = (forward + 2 x forward +
recompute FLOPs of one micro-batch) / (tp * pp * peak * flops_efficiency) x gradient-accumulation
steps. No communication (its README: "pp, dp, ep communications are ignored"; tp's all-reduce
enters only the separately reported forward latency), no pipeline bubble, no memory-bound time in
the training latency. Its training FLOP count is fixed: attention ``4bsh^2(1 + 1/g) + 4bs^2h``
(g the GQA group count; non-causal square), MLP ``16bsh^2`` (a 4h non-gated FFN) per layer, plus
the logits ``2bshV``; ``ffn_embed_dim`` and the MoE fields change only parameter and memory counts.

Approximations made here, beyond the tool's own:
- MoE: 0.2.2 has MoE fields (``moe_num_experts``, ``moe_top_k``, ``ep_size``), passed as the
  model's routed experts, top-k and the row's ep, with ``ffn_embed_dim`` = one expert's width;
  dense layers beside the MoE ones (DeepSeek-V3's first three) and shared experts are not
  expressible (every layer is the same). As above, the training latency ignores all of it.
- Context parallel: not in 0.2.2. cp > 1 is folded into pp_size (pp * cp): the tool divides a
  micro-batch's FLOPs by tp * pp, so this spreads each sequence's work over the cp GPUs as CP does,
  keeps global_batch = mbs * steps * dp and total GPUs = tp * pp * dp, and avoids the tp <=
  num_gpus_per_node check; the per-GPU memory it reports is then wrong (unused here).
- Interleaved pipelining (vp) has no counterpart (the tool has no bubble); not passed.
- MLA (DeepSeek-V3, Kimi K2): given as multi-head attention (num_key_value_heads = heads), since
  the tool has no latent attention; its attention width is the hidden size in any case (gpt-oss's
  64 x 64 query width is likewise taken as its 2880 hidden).
- ``expansion_ratio`` is passed as ffn/hidden (a float) with ``ffn_embed_dim``, because the
  tool asserts ffn % hidden == 0 otherwise (Llama's 14336 / 4096 = 3.5); it only sizes activations.
"""

import json
import logging
import sys
import tempfile

from llm_analysis import config as la_config
from llm_analysis.analysis import train
from llm_analysis.config import GPUConfig

logging.disable(logging.CRITICAL)

SHIPPED = {"h100-sxm": "h100-sxm-80gb"}
DTYPE = {"bf16": "w16a16e16", "fp8": "w8a8e16", "mxfp8": "w8a8e16"}
RECOMPUTE = {"none": 0, "selective": 1, "full": 2}  # llm_analysis.analysis.ActivationRecomputation


def gpu_name(g: dict) -> str:
    """The tool's config name for the row's GPU, registering one from trillion's figures if needed."""
    if g["name"] in SHIPPED:
        return SHIPPED[g["name"]]
    if g["name"] not in la_config.gpu_configs:
        la_config.gpu_configs[g["name"]] = GPUConfig(
            name=g["name"],
            mem_per_GPU_in_GB=g["memory_bytes"] / 2**30,
            hbm_bandwidth_in_GB_per_sec=g["memory_bytes_per_s"] / 1e9,
            intra_node_bandwidth_in_GB_per_sec=g["scale_up_bytes_per_s"] / 1e9,
            intra_node_min_message_latency=8e-6,
            peak_fp16_TFLOPS=g["bf16_flop_per_s"] / 1e12,
            peak_i8_TFLOPS=g["fp8_flop_per_s"] / 1e12,
            inter_node_bandwidth_in_GB_per_sec=g["scale_out_bytes_per_s"] / 1e9,
        )
    return g["name"]


def predict(r: dict, tmp: str) -> float:
    m = r["model"]
    moe = m["num_experts"] > 1
    ffn = m["expert_width"] if moe else m["mlp_width"]
    cfg = {
        "name": r["id"],
        "num_layers": m["num_layers"],
        "n_head": m["heads"],
        "num_key_value_heads": m["heads"] if m["mla"] else m["kv_heads"],
        "hidden_dim": m["hidden"],
        "vocab_size": m["vocab"],
        "max_seq_len": r["seq_len"],
        "ffn_embed_dim": ffn,
        "expansion_ratio": ffn / m["hidden"],
        "model_type": "llama",
        "moe_num_experts": m["num_experts"] if moe else 1,
        "moe_top_k": m["top_k"] if moe else 1,
    }
    path = f"{tmp}/{r['id']}.json"
    with open(path, "w") as out:
        json.dump(cfg, out)
    pp = r["pp"] * r["cp"]  # context parallel folded into the model-parallel product (see above)
    res = train(
        model_name=path,
        gpu_name=gpu_name(r["gpu"]),
        dtype_name=DTYPE[r["dtype"]],
        log_level="CRITICAL",
        batch_size_per_gpu=r["mbs"],
        global_batch_size=r["global_batch"],
        seq_len=r["seq_len"],
        total_num_tokens=r["global_batch"] * r["seq_len"],
        activation_recomputation=RECOMPUTE[r["recompute"]],
        ds_zero=3 if r["fsdp"] else 1,
        tp_size=r["tp"],
        pp_size=pp,
        dp_size=r["dp"],
        ep_size=r["ep"],
        total_num_gpus=r["tp"] * pp * r["dp"],
        flash_attn=True,
        mlp_gated_linear_units=m["gated"],
        flops_efficiency=0.5,
        hbm_memory_efficiency=0.9,
        num_gpus_per_node=r["gpu"]["scale_up_domain"],
    )
    return r["global_batch"] * r["seq_len"] / (res["latency_per_iter"] * r["gpus"])


def main() -> None:
    with open(sys.argv[1]) as f:
        rows = json.load(f)
    tmp = tempfile.mkdtemp()
    for r in rows:
        try:
            print(f"{r['id']},{predict(r, tmp)}")
        except Exception as e:  # the tool's refusals (asserts, unknown configs), reported per row
            msg = (str(e).splitlines() or [type(e).__name__])[0][:120]
            print(f"{r['id']},rejected: {type(e).__name__}: {msg}")


if __name__ == "__main__":
    main()
