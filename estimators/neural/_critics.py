"""Critic networks. Each maps a batch ``x`` (b, dx), ``y`` (b, dy) to the score matrix
``S`` (b, b) with ``S[i, j] = T(x_i, y_j)``: the diagonal holds the joint (positive) pairs, the
off-diagonal the b(b-1) product-of-marginals pairs."""

from __future__ import annotations

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "gelu": nn.GELU}


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class JointCritic(nn.Module):
    """Concatenation critic T(x, y) = MLP([x, y]).

    The first layer is linear, so ``W [x_i; y_j] + c = (W_x x_i) + (W_y y_j + c)``: it is
    computed once per row and broadcast to the (b, b) grid instead of concatenating b^2 inputs.
    """

    def __init__(self, dx: int, dy: int, hidden: tuple[int, ...], activation: str):
        super().__init__()
        h0 = hidden[0]
        self.fx = nn.Linear(dx, h0, bias=False)
        self.fy = nn.Linear(dy, h0)
        self.act = _ACTIVATIONS[activation]()
        self.rest = _mlp([h0, *hidden[1:], 1], activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.act(self.fx(x)[:, None, :] + self.fy(y)[None, :, :])  # (b, b, h0)
        return self.rest(h).squeeze(-1)  # (b, b)


class SeparableCritic(nn.Module):
    """Separable critic T(x, y) = g(x)^T h(y) with two MLP embeddings of size ``embed_dim``."""

    def __init__(self, dx: int, dy: int, hidden: tuple[int, ...], activation: str, embed_dim: int):
        super().__init__()
        self.g = _mlp([dx, *hidden, embed_dim], activation)
        self.h = _mlp([dy, *hidden, embed_dim], activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.g(x) @ self.h(y).T  # (b, b)


def make_critic(kind: str, dx: int, dy: int, hidden, activation: str, embed_dim: int) -> nn.Module:
    hidden = tuple(int(h) for h in hidden)
    if kind == "joint":
        return JointCritic(dx, dy, hidden, activation)
    return SeparableCritic(dx, dy, hidden, activation, int(embed_dim))
