"""Scaling laws as pure functions, with the published constants and their sources.

Losses are in nats per token; N is parameters (Kaplan: non-embedding), D training tokens, C
training FLOP (C = 6 N D unless stated). Every constant set names its source and the range of
data it was fitted on, so forecasts can say how far they extrapolate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Chinchilla:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, eq. 2)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str = ""
    fitted_range: dict[str, tuple[float, float]] = field(default_factory=dict)

    def loss(self, n, d):
        n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
        return self.E + self.A / n**self.alpha + self.B / d**self.beta

    @property
    def G(self) -> float:
        """(alpha A / (beta B))^(1 / (alpha + beta)): N* = G (C/6)^a, D* = (C/6)^b / G."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    def compute_optimal(self, flop):
        """N*(C), D*(C) minimising L subject to C = 6 N D (Hoffmann et al. 2022 App. D.2)."""
        c6 = np.asarray(flop, dtype=float) / 6
        a = self.beta / (self.alpha + self.beta)
        b = self.alpha / (self.alpha + self.beta)
        return self.G * c6**a, c6**b / self.G

    def to_dict(self) -> dict[str, float]:
        return {"E": self.E, "A": self.A, "B": self.B, "alpha": self.alpha, "beta": self.beta}


CHINCHILLA_PAPER = Chinchilla(
    E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
    source="Hoffmann et al. 2022 eq. 10 (rounded constants as printed)",
    fitted_range={"params": (7e7, 1.6e10), "tokens": (5e9, 5e11)},
)  # fmt: skip
CHINCHILLA_UNROUNDED = Chinchilla(
    E=1.6934, A=406.4, B=410.7, alpha=0.3392, beta=0.2849,
    source="Hoffmann et al. 2022 constants before rounding (from the paper's TeX source, as discussed by "
    "Besiroglu et al. 2024); they give 1.921 for Chinchilla 70B / 1.4T tokens",
    fitted_range={"params": (7e7, 1.6e10), "tokens": (5e9, 5e11)},
)  # fmt: skip
EPOCH_REFIT = Chinchilla(
    E=1.8169, A=482.01, B=2085.43, alpha=0.3478, beta=0.3659,
    source="Besiroglu et al. 2024 (Epoch AI), refit on 240 runs reconstructed from Hoffmann et al. Fig. 4",
    fitted_range={"params": (5.7e7, 1.62e10), "tokens": (2.4e8, 3.2e11)},
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Kaplan:
    """Kaplan et al. 2020 (Table 1, eq. 1.1-1.5): N non-embedding parameters, D tokens.

    L(N) = (Nc/N)^aN, L(D) = (Dc/D)^aD, L(N, D) = [(Nc/N)^(aN/aD) + Dc/D]^aD.
    """

    Nc: float
    Dc: float
    alpha_n: float
    alpha_d: float
    source: str = ""

    def loss_n(self, n):
        return (self.Nc / np.asarray(n, dtype=float)) ** self.alpha_n

    def loss_d(self, d):
        return (self.Dc / np.asarray(d, dtype=float)) ** self.alpha_d

    def loss(self, n, d):
        n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
        return ((self.Nc / n) ** (self.alpha_n / self.alpha_d) + self.Dc / d) ** self.alpha_d

    def to_dict(self) -> dict[str, float]:
        return {"Nc": self.Nc, "Dc": self.Dc, "alpha_n": self.alpha_n, "alpha_d": self.alpha_d}


KAPLAN_2020 = Kaplan(
    Nc=8.8e13, Dc=5.4e13, alpha_n=0.076, alpha_d=0.095,
    source="Kaplan et al. 2020 Table 1 (WebText2, non-embedding parameters, loss in nats)",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DataConstrained:
    """Muennighoff et al. 2023: repeated data and excess parameters decay in value.

    D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)), R_D = D / U_D - 1 (repetitions beyond one epoch);
    U_N = min(N, N_opt(U_D)), N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)), R_N = N / U_N - 1;
    L = E + A / N'^alpha + B / D'^beta, with N_opt(D) = (D G)^(beta/alpha) G.
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    rd_star: float
    rn_star: float
    source: str = ""

    @property
    def G(self) -> float:
        return ((self.alpha * self.A) / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    def n_for_tokens(self, d):
        return (np.asarray(d, dtype=float) * self.G) ** (self.beta / self.alpha) * self.G

    def loss(self, n, d, unique):
        n, d, u = (np.asarray(x, dtype=float) for x in (n, d, unique))
        rd = np.maximum(d / u - 1, 0)
        un = np.minimum(n, self.n_for_tokens(u))
        rn = np.maximum(n / un - 1, 0)
        n_eff = un + un * self.rn_star * (1 - np.exp(-rn / self.rn_star))
        d_eff = u + u * self.rd_star * (1 - np.exp(-rd / self.rd_star))
        return self.E + self.A / n_eff**self.alpha + self.B / d_eff**self.beta

    def optimal_allocation(self, n_base: float, d_base: float, unique: float, steps: int = 500):
        """The (loss, tokens, params) of the best trade of parameters for tokens at fixed C = 6 N D,
        scanning factors 1.0001-3 each way (the authors' published grid search)."""
        best = (float("inf"), d_base, n_base)
        for f in np.linspace(1.0001, 3, steps):
            for d, n in ((d_base * f, n_base / f), (d_base / f, n_base * f)):
                loss = float(self.loss(n, d, min(unique, d)))
                if loss < best[0]:
                    best = (loss, d, n)
        return best

    def to_dict(self) -> dict[str, float]:
        return {"E": self.E, "A": self.A, "B": self.B, "alpha": self.alpha, "beta": self.beta,
                "rd_star": self.rd_star, "rn_star": self.rn_star}  # fmt: skip


MUENNIGHOFF_2023 = DataConstrained(
    E=float(np.exp(0.6254804)), A=float(np.exp(6.255414)), B=float(np.exp(7.3049974)),
    alpha=0.3526596, beta=0.3526596, rd_star=15.387756, rn_star=5.309743,
    source="Muennighoff et al. 2023, huggingface/datablations README 'Parametric Fit' (a, b, e = log A, B, E; "
    "C4, GPT-2 tokenizer)",
)  # fmt: skip


def moe_loss(n_active, d, granularity, *, a, alpha, b, beta, g, gamma, c):
    """Krajewski et al. 2024 form for fine-grained MoE: L = c + (g / G^gamma + a) / N^alpha + b / D^beta
    (G: granularity, the dense FFN width over the expert width). No constants are shipped: fit
    them on your own MoE runs (``trillion scaling fit --law moe``)."""
    n, d, gr = (np.asarray(x, dtype=float) for x in (n_active, d, granularity))
    return c + (g / gr**gamma + a) / n**alpha + b / d**beta
