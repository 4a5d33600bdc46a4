"""Forward and training FLOP per token, exact integers, as breakdown trees.

Convention (documented so every figure can be checked):
- One multiply-accumulate is 2 FLOP. Matmul FLOP per token = 2 x the active elements of every
  weight that multiplies activations: attention projections, dense FFN, the routed top-k experts
  and shared experts, the router, and the output head (logits for every position). Embedding
  lookups, norms, biases, activations, softmax and rotary embeddings are not counted (they are
  O(hidden) per token, below 0.1% for models of 1B parameters and up). This is the quantity
  ``torch.utils.flop_counter`` reports for the linear layers; the tests check equality.
- Attention score (Q K^T) and value (P V) FLOP per layer for a query attending to ``c`` keys:
  ``2 * heads * qk_head_dim * c`` and ``2 * heads * v_head_dim * c``. With ``attention="causal"``
  (default) a sequence of ``S`` tokens averages ``c = (S + 1) / 2``, so the per-token figure is
  ``heads * (qk_head_dim + v_head_dim) * (S + 1)`` - an exact integer; a sliding window W caps
  ``c`` at W, and the average over the sequence is then floored to an integer FLOP.
  ``attention="full"`` counts ``c = S`` for every query: the convention of Kaplan et al. 2020
  (Table 1: ``2 n_layer n_ctx d_attn``), of Megatron-LM's MFU formula, and what a kernel that
  computes the whole masked score matrix (eager attention) executes.
- MLA is counted in its "naive" (decompressed) form, heads x (nope + rope) for scores and
  heads x v_head_dim for values, as DeepSeek train it; absorbed inference kernels differ.
- Transformer-XL relative attention (Gopher, Chinchilla) adds a position-score term as large as
  the content scores; its position projection counts as a matmul per token.
- Encoder-decoder models (T5, Switch): per token pair - one token through the encoder
  (bidirectional attention, c = S) and one through the decoder (causal self-attention plus
  cross-attention over S encoder positions).
- Hybrid layers (`ModelSpec.layers`): attention FLOP only for layers with attention mixers, each
  capped by its sliding window, its chunk (a query sees its own chunk: Llama 4) or DeepSeek sparse
  attention's top-k (whose indexer adds ``2 * index_heads * index_head_dim * context``); recurrent
  mixers add a term linear in context, ``RECURRENT_FLOP_PER_STATE[kind]`` per state element, and
  their short convolutions ``2 * channels * kernel`` (item ``conv/...``). Multi-token-prediction
  modules are not in the forward pass counted here.
- Training = forward + backward, backward = 2 x forward (Kaplan et al. 2020 §2.1; Narayanan et
  al. 2021): 3x forward; full activation recompute adds one more forward: 4x. 6·N per token is
  shown beside it for reference, with N the active parameters.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from trillion.count.breakdown import Breakdown
from trillion.count.params import tensors
from trillion.errors import InputError
from trillion.spec.model import MLA, ModelSpec

AttentionMode = Literal["causal", "full"]
Recompute = Literal["none", "full"]
# forward + backward (= 2x forward); full activation recompute runs the forward once more
TRAIN_FACTOR: dict[str, int] = {"none": 3, "full": 4}


def _mean_context(seq_len: int, window: int | None, causal: bool, chunk: int | None = None) -> Fraction:
    """Mean number of keys a query attends to over a sequence of `seq_len` tokens: all earlier
    tokens (causal), the last `window` (sliding window, or DSA's top-k), or those of its own
    `chunk` of tokens (Llama 4's chunked attention)."""
    if chunk is not None and chunk < seq_len:
        if not causal:
            return Fraction(chunk)
        full, rest = divmod(seq_len, chunk)
        return Fraction(full * chunk * (chunk + 1) // 2 + rest * (rest + 1) // 2, seq_len)
    if not causal:
        return Fraction(min(seq_len, window) if window else seq_len)
    if window is None or window >= seq_len:
        return Fraction(seq_len + 1, 2)
    keys = window * (window + 1) // 2 + (seq_len - window) * window
    return Fraction(keys, seq_len)


# FLOP per token of one head's recurrent update and read-out, per state element (rows x cols):
# delta rule (gated DeltaNet, KDA): S k, the rank-one update and S q -> 3 MAC = 6 FLOP;
# decayed linear attention (lightning) and SSM scans (Mamba, Mamba-2): update and read-out -> 4 FLOP.
# Decays, gates and normalisations are element-wise (not counted, as norms are not).
RECURRENT_FLOP_PER_STATE = {
    "gated_deltanet": 6,
    "kda": 6,
    "lightning": 4,
    "mamba": 4,
    "mamba2": 4,
    "short_conv": 0,
}


def _groups(layers) -> dict:
    out: dict = {}
    for layer in layers:
        out[layer] = out.get(layer, 0) + 1
    return out


def _attention_items(spec: ModelSpec, seq_len: int, mode: AttentionMode):
    a = spec.attention
    heads, d_qk, d_v = a.num_heads, a.qk_head_dim, a.v_head_dim
    causal = mode == "causal"
    topk = a.indexer.topk if isinstance(a, MLA) and a.indexer is not None else None

    def layer_flop(context: Fraction) -> tuple[int, int]:
        # floor only where a window, chunk or top-k makes the mean context fractional
        return int(2 * heads * d_qk * context), int(2 * heads * d_v * context)

    scores = values = index = 0
    for layer, n in _groups(spec.layer_list()).items():
        if not layer.attention:
            continue
        window = min(w for w in (layer.window, topk) if w) if (layer.window or topk) else None
        s, v = layer_flop(_mean_context(seq_len, window, causal, layer.chunk))
        scores, values = scores + s * n * layer.attention, values + v * n * layer.attention
        if topk is not None:  # the indexer scores every earlier token with its own small heads
            assert isinstance(a, MLA) and a.indexer is not None
            ctx = _mean_context(seq_len, layer.window, causal, layer.chunk)
            index += int(2 * a.indexer.num_heads * a.indexer.head_dim * ctx) * n * layer.attention
    yield "attention/layers/scores", scores
    yield "attention/layers/values", values
    if index:
        yield "attention/layers/indexer_scores", index
    if spec.positions == "relative_xl":  # (q + v) R^T: a second score term of the same size
        yield "attention/layers/position_scores", scores
    if spec.is_encoder_decoder:
        s, v = layer_flop(Fraction(seq_len))
        n_enc, n_dec = spec.num_encoder_layers, spec.num_layers
        yield "attention/encoder_layers/scores", s * n_enc
        yield "attention/encoder_layers/values", v * n_enc
        yield "attention/layers/cross_scores", s * n_dec
        yield "attention/layers/cross_values", v * n_dec


def _recurrent_items(spec: ModelSpec):
    """Per-token FLOP of recurrent mixers (state update and read-out) and their short convolutions
    (depthwise: 2 x channels x kernel, as torch's FLOP counter counts a convolution)."""
    scan: dict[str, int] = {}
    conv: dict[str, int] = {}
    for layer, n in _groups(spec.layers).items():
        r = layer.recurrent
        if r is None:
            continue
        per = RECURRENT_FLOP_PER_STATE[r.kind] * r.state_heads * r.state_rows * r.state_cols
        scan[r.kind] = scan.get(r.kind, 0) + per * n
        conv[r.kind] = conv.get(r.kind, 0) + 2 * r.conv_channels * r.conv_kernel * n
    for kind, v in scan.items():
        if v:
            yield f"recurrent/{kind}", v
    for kind, v in conv.items():
        if v:
            yield f"conv/{kind}", v


def _check_seq_len(seq_len: int) -> None:
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len <= 0:
        raise InputError("seq_len", None, f"must be a positive integer, got {seq_len!r}")


def forward_flop(spec: ModelSpec, seq_len: int, attention: AttentionMode = "causal") -> Breakdown:
    """Forward FLOP per token (count) at context `seq_len`: ``matmul/...`` plus ``attention/...``."""
    _check_seq_len(seq_len)
    items = [("matmul/" + t.path, 2 * t.active_numel) for t in tensors(spec) if t.is_matmul]
    if spec.tied_embeddings:  # the token table doubles as the output head: still a matmul
        items.append(("matmul/embedding/output_tied", 2 * spec.vocab_size * spec.hidden_size))
    items.extend(_attention_items(spec, seq_len, attention))
    items.extend(_recurrent_items(spec))
    return Breakdown.from_items(items)


def train_flop_per_token(
    spec: ModelSpec,
    seq_len: int,
    recompute: Recompute = "none",
    attention: AttentionMode = "causal",
) -> int:
    """Training FLOP per token (count): 3x forward, 4x with full activation recompute."""
    return TRAIN_FACTOR[recompute] * forward_flop(spec, seq_len, attention).total
