"""The planners price long contexts by what each layer kind costs: a hybrid model (Qwen3-Next, 3 of
4 layers gated DeltaNet) at a 1M-token context against its all-full-attention twin, in the serving
plan (KV cache capped to the attention layers plus the recurrent state, prefill and decode) and the
training plan (attention FLOP in the attention layers only; recurrent work linear in context)."""

from __future__ import annotations

import dataclasses

import pytest

from trillion import load_model
from trillion.catalog.hardware import find_accelerator, find_cluster
from trillion.count.bytes import sequence_bytes
from trillion.count.dims import serve_dims
from trillion.count.flop import forward_flop
from trillion.plan.train import plan_training
from trillion.serve.plan import plan_serving, sequence_bytes_per_device, split

MILLION = 2**20
# Qwen3-Next's card: 262,144 tokens natively, about 1M with YaRN scaling (which adds no parameters)
HYBRID = dataclasses.replace(load_model("qwen3-next-80b-a3b"), max_context=MILLION)
H200 = find_accelerator("h200")


def test_serving_a_million_tokens_holds_the_attention_layers_kv_plus_the_state(all_full_attention):
    full = all_full_attention(HYBRID)
    lay = split(H200, 2)  # one layout for both (the search could pick different ones)
    plans = {
        name: plan_serving(spec, H200, context=MILLION, prompt=MILLION - 1000, output=1000, layout=lay)
        for name, spec in (("hybrid", HYBRID), ("full", full))
    }
    hybrid, twin = plans["hybrid"], plans["full"]
    assert hybrid.fits and twin.fits and hybrid.devices_per_replica == twin.devices_per_replica == 2
    # the plan's concurrency is its KV room over one sequence's bytes, which are the count's
    d = serve_dims(HYBRID)
    assert d.sequence_bytes(MILLION) == sequence_bytes(HYBRID, MILLION)
    per_seq = sequence_bytes_per_device(d, lay, MILLION - 1000 + 500)
    assert hybrid.max_concurrency == int(hybrid.memory_bytes["kv_capacity"] // per_seq)
    # 12 of 48 layers cache keys and values: about 4x the sequences of the twin (less the state)
    attention_layers = sum(layer.attention for layer in HYBRID.layer_list())
    assert attention_layers == 12
    ratio = hybrid.max_concurrency / twin.max_concurrency
    assert 3 <= ratio <= 48 / attention_layers
    # prefill attends in 12 layers, decode reads a quarter of the cache
    assert hybrid.ttft_s < twin.ttft_s / 3 and hybrid.tpot_s < twin.tpot_s / 2


@pytest.mark.parametrize("seq_len", [32_768, MILLION])
def test_training_flop_and_step_follow_the_layer_kinds(seq_len, all_full_attention):
    cluster = dataclasses.replace(find_cluster("dgx-h100-superpod"), num_devices=1024)
    full = all_full_attention(HYBRID)
    tokens, batch = 10**11, max(64, 2**24 // seq_len)
    hybrid = plan_training(HYBRID, cluster, tokens=tokens, seq_len=seq_len, global_batch=batch)
    twin = plan_training(full, cluster, tokens=tokens, seq_len=seq_len, global_batch=batch)
    assert hybrid.fits and twin.fits
    # the plan's compute is the accounting's: 3 x forward FLOP at this context, per token
    assert hybrid.train_flop == pytest.approx(3 * forward_flop(HYBRID, seq_len).total * tokens, rel=1e-9)
    flop_h, flop_f = forward_flop(HYBRID, seq_len), forward_flop(full, seq_len)
    assert flop_f.get("attention") == 4 * flop_h.get("attention")  # 48 attention layers against 12
    assert flop_h.get("recurrent") == forward_flop(HYBRID, 4096).get("recurrent") > 0
    assert hybrid.step_s < twin.step_s
    if seq_len == MILLION:  # attention dominates: the twin costs several times more per step
        assert twin.step_s / hybrid.step_s > 2
        assert twin.train_flop / hybrid.train_flop > 3.5
