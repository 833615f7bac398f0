"""A small decoder-only transformer for characters (notebook 11), written out in full.

Pre-norm blocks x <- x + Attn(LN(x)), x <- x + MLP(LN(x)); attention is computed explicitly as
softmax(Q K^T / sqrt(d_head) + M) V with the causal mask M (0 on and below the diagonal, -inf
above), so that position t only sees positions <= t and the graph can be differentiated twice
(Hessian-vector products, notebook 08). No dropout: a forward pass is a deterministic function
of the parameters and the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["TransformerConfig", "CharTransformer", "lm_loss"]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes: ``vocab_size`` characters, windows of ``context``, width ``d_model`` split over
    ``n_heads`` heads, ``n_layers`` blocks, MLP width ``mlp_ratio * d_model``."""

    vocab_size: int
    context: int = 64
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    mlp_ratio: int = 4

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context", "d_model", "n_heads", "n_layers", "mlp_ratio"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model must be a multiple of n_heads, got d_model={self.d_model}, n_heads={self.n_heads}")


class CausalSelfAttention(nn.Module):
    """Multi-head attention: softmax(Q K^T / sqrt(d_head) + M) V, M the causal mask."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        mask = torch.full((cfg.context, cfg.context), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(C // self.n_heads) + self.mask[:T, :T].to(x.dtype)
        y = torch.softmax(scores, dim=-1) @ v  # (B, heads, T, d_head)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    """x <- x + Attn(LN(x));  x <- x + W_2 GELU(W_1 LN(x) + b_1) + b_2."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model), nn.GELU(),
                                 nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    """Token and position embeddings, ``n_layers`` blocks, a final LayerNorm, a linear head.

    ``forward(idx)`` maps ids (B, T) with T <= context to logits (B, T, vocab_size): the
    scores of the character that follows each position. Initialisation (GPT-2's): every
    weight matrix and embedding N(0, 0.02^2), the residual projections N(0, (0.02/sqrt(2 n_layers))^2),
    biases 0, LayerNorm gains 1; drawn from a generator seeded with ``seed``.
    """

    def __init__(self, cfg: TransformerConfig, seed: int = 0, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        gen = torch.Generator().manual_seed(seed)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln" in name or name.startswith("ln_"):
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * cfg.n_layers) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * std)
        self.to(dtype)

    def forward(self, idx: Tensor) -> Tensor:
        T = idx.shape[-1]
        if T > self.cfg.context:
            raise ValueError(f"sequence length {T} exceeds the context {self.cfg.context}")
        x = self.tok_emb(idx) + self.pos_emb.weight[:T]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    @torch.no_grad()
    def generate(self, idx: Tensor, n_new: int, *, greedy: bool = False, temperature: float = 1.0,
                 generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Append ``n_new`` characters to the prompt ``idx`` (1-D, or (B, T)), one at a time, each
        conditioned on the last ``context`` characters. ``greedy``: the most likely character;
        otherwise a draw from softmax(logits / temperature) with ``generator``.

        Returns the ids (prompt included) and, for every new character, the margin of the
        decision: the gap between the largest and the second largest logit (a greedy choice
        with a large margin cannot be flipped by rounding).
        """
        if n_new < 0:
            raise ValueError(f"n_new must be >= 0, got {n_new}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        was_training = self.training
        self.eval()
        out = idx[None] if idx.ndim == 1 else idx
        margins = []
        for _ in range(n_new):
            logits = self(out[:, -self.cfg.context:])[:, -1, :]
            top2 = logits.topk(2, dim=-1).values
            margins.append(top2[:, 0] - top2[:, 1])
            if greedy:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = torch.softmax(logits.double() / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator)
            out = torch.cat([out, nxt], dim=1)
        self.train(was_training)
        margin = torch.stack(margins, dim=1) if margins else torch.empty(out.shape[0], 0)
        if idx.ndim == 1:
            return out[0], margin[0]
        return out, margin


def lm_loss(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """The mean cross-entropy (nats) of predicting y[b, t] from x[b, :t + 1], over all b, t."""
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
