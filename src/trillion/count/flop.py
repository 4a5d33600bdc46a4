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
from trillion.spec.model import ModelSpec

AttentionMode = Literal["causal", "full"]
Recompute = Literal["none", "full"]
# forward + backward (= 2x forward); full activation recompute runs the forward once more
TRAIN_FACTOR: dict[str, int] = {"none": 3, "full": 4}


def _mean_context(seq_len: int, window: int | None, causal: bool) -> Fraction:
    """Mean number of keys a query attends to over a sequence of `seq_len` tokens."""
    if not causal:
        return Fraction(min(seq_len, window) if window else seq_len)
    if window is None or window >= seq_len:
        return Fraction(seq_len + 1, 2)
    keys = window * (window + 1) // 2 + (seq_len - window) * window
    return Fraction(keys, seq_len)


def _attention_items(spec: ModelSpec, seq_len: int, mode: AttentionMode):
    a = spec.attention
    heads, d_qk, d_v = a.num_heads, a.qk_head_dim, a.v_head_dim
    causal = mode == "causal"

    def layer_flop(context: Fraction) -> tuple[int, int]:
        # floor only where a sliding window makes the mean context fractional
        return int(2 * heads * d_qk * context), int(2 * heads * d_v * context)

    windowed = set(spec.sliding_window_layers)
    scores = values = 0
    for i in range(spec.num_layers):
        window = spec.sliding_window if i in windowed else None
        s, v = layer_flop(_mean_context(seq_len, window, causal))
        scores, values = scores + s, values + v
    yield "attention/layers/scores", scores
    yield "attention/layers/values", values
    if spec.positions == "relative_xl":  # (q + v) R^T: a second score term of the same size
        yield "attention/layers/position_scores", scores
    if spec.is_encoder_decoder:
        s, v = layer_flop(Fraction(seq_len))
        n_enc, n_dec = spec.num_encoder_layers, spec.num_layers
        yield "attention/encoder_layers/scores", s * n_enc
        yield "attention/encoder_layers/values", v * n_enc
        yield "attention/layers/cross_scores", s * n_dec
        yield "attention/layers/cross_values", v * n_dec


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
    return Breakdown.from_items(items)


def train_flop_per_token(
    spec: ModelSpec,
    seq_len: int,
    recompute: Recompute = "none",
    attention: AttentionMode = "causal",
) -> int:
    """Training FLOP per token (count): 3x forward, 4x with full activation recompute."""
    return TRAIN_FACTOR[recompute] * forward_flop(spec, seq_len, attention).total
