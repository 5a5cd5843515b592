"""Variational MI bounds on a score matrix ``S`` (b, b), ``S[i, j] = T(x_i, y_j)``.

Each bound returns ``(loss, value)``: ``loss`` is what the optimiser minimises (its gradient is
the training signal, which for MINE and SMILE differs from the gradient of the value), and
``value`` is the bound in nats on this batch. Product-of-marginals terms use all b(b-1)
off-diagonal pairs; ``ln mean exp`` is always computed as ``logsumexp - ln(count)``.
Formulas: reference/estimators.md section 7.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _offdiag(s: torch.Tensor) -> torch.Tensor:
    """Off-diagonal entries of a square matrix, flattened: (b(b-1),)."""
    b = s.shape[0]
    return s.flatten()[1:].view(b - 1, b + 1)[:, :-1].reshape(-1)


def _log_mean_exp(v: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(v, dim=0) - math.log(v.numel())


def dv(s: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan: mean_i S_ii - ln mean_{i != j} exp(S_ij)."""
    return torch.diagonal(s).mean() - _log_mean_exp(_offdiag(s))


def nwj(s: torch.Tensor) -> torch.Tensor:
    """NWJ (f-divergence / MINE-f): mean_i S_ii - mean_{i != j} exp(S_ij - 1)."""
    return torch.diagonal(s).mean() - torch.exp(_log_mean_exp(_offdiag(s)) - 1.0)


def infonce(s: torch.Tensor) -> torch.Tensor:
    """InfoNCE: ln b + mean_i [S_ii - ln sum_j exp(S_ij)] (positive included); <= ln b."""
    b = s.shape[0]
    return math.log(b) + (torch.diagonal(s) - torch.logsumexp(s, dim=1)).mean()


def smile(s: torch.Tensor, clip: float) -> torch.Tensor:
    """SMILE value: mean_i S_ii - ln mean_{i != j} clip(exp(S_ij), e^-clip, e^clip)."""
    off = _offdiag(s)
    if math.isfinite(clip):
        off = off.clamp(-clip, clip)
    return torch.diagonal(s).mean() - _log_mean_exp(off)


def js(s: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon training objective: E_P[-softplus(-S)] - E_Q[softplus(S)]."""
    return (-F.softplus(-torch.diagonal(s))).mean() - F.softplus(_offdiag(s)).mean()


# ------------------------------------------------------------------ training objectives
class Objective:
    """Stateless objective: loss = -value (NWJ, InfoNCE, DV without correction)."""

    def __init__(self, value_fn):
        self.value_fn = value_fn

    def value(self, s: torch.Tensor) -> torch.Tensor:
        return self.value_fn(s)

    def loss(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = self.value_fn(s)
        return -v, v.detach()


class MINEObjective(Objective):
    """DV value with MINE's moving-average corrected gradient (reference section 7.1).

    ``ema_t = logaddexp(ln d + ema_{t-1}, ln(1 - d) + lme_t)`` in log space, ``d = ema_decay``
    (weight on history); ``loss = -(mean T(joint) - w lme)`` with ``w = exp(lme - ema)`` held
    constant, whose gradient is ``E_P[grad T] - E_Q[e^T grad T] / ema``.
    """

    def __init__(self, ema_decay: float):
        super().__init__(dv)
        self.log_d = math.log(ema_decay) if ema_decay > 0 else -math.inf
        self.log_1md = math.log1p(-ema_decay)
        self.ema: torch.Tensor | None = None

    def loss(self, s):
        joint = torch.diagonal(s).mean()
        lme = _log_mean_exp(_offdiag(s))
        lme_d = lme.detach()
        if self.ema is None:
            self.ema = lme_d
        else:
            self.ema = torch.logaddexp(self.log_d + self.ema, self.log_1md + lme_d)
        w = torch.exp(lme_d - self.ema)
        return -(joint - w * lme), (joint - lme).detach()


class SMILEObjective(Objective):
    """Value = clipped DV, gradient = JS gradient (stop-gradient trick)."""

    def __init__(self, clip: float):
        super().__init__(lambda s: smile(s, clip))

    def loss(self, s):
        j = js(s)
        v = self.value_fn(s)
        return -(j + (v - j).detach()), v.detach()
