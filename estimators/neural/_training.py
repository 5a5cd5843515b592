"""The one training loop shared by every neural estimator.

Protocol (reference/estimators.md section 7.3):

1. Shuffle and split the data into train / validation / test; standardise x and y with the
   *training* mean and standard deviation.
2. Train the critic on training minibatches (pre-shuffled index tensors, epochs without
   replacement); every ``eval_every`` steps evaluate the value bound on the whole validation
   split and keep the best checkpoint; stop after ``patience`` evaluations without improvement.
3. Evaluate the selected checkpoint once on the test split, in disjoint batches of about
   ``batch_size`` rows using all b(b-1) off-diagonal negatives per batch. The estimate is the
   mean over test batches and ``std`` its standard error (None with a single test batch).

No host synchronisation happens between evaluations: the training-loss sum is accumulated on
the device and checked for NaN/inf at each evaluation.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from estimators.neural._critics import make_critic
from mibench import EstimatorFailure, InputError

log = logging.getLogger(__name__)

#: relative score standard deviation (std / max(1, |mean|)) below which the critic is
#: considered collapsed (constant)
COLLAPSE_STD = 1e-4
#: |bound| above which a collapsed critic's value is an artefact (EstimatorFailure)
COLLAPSED_VALUE_TOL = 1e-3
#: critic scores (log density ratios, nats) beyond this magnitude mean training diverged
SCORE_LIMIT = 1e4
#: an InfoNCE estimate within this many nats of its ln(b) ceiling is flagged as saturated
SATURATION_MARGIN = 0.1


@dataclass
class TrainConfig:
    critic: str
    hidden: tuple
    embed_dim: int
    activation: str
    learning_rate: float
    batch_size: int
    max_steps: int
    eval_every: int
    patience: int
    val_fraction: float
    test_fraction: float
    device: str
    threads: int


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(n_train, n_val, n_test); validation and test get at least 2 rows each."""
    n_val = max(2, int(round(n * val_fraction)))
    n_test = max(2, int(round(n * test_fraction)))
    return n - n_val - n_test, n_val, n_test


def check_split_fractions(est) -> None:
    """``est.val_fraction + est.test_fraction`` must leave at least 10 % of the rows to train on."""
    total = est.val_fraction + est.test_fraction
    if total >= 0.9:
        raise InputError(f"{type(est).__name__}: val_fraction + test_fraction = {total} leaves < 10% "
                         "for training")


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EstimatorFailure(f"device={device!r} was asked for but CUDA is not available "
                               "(use device='auto' or 'cpu')")
    return torch.device(device)


def cuda_devices(device: torch.device) -> list[int]:
    """The devices whose random state ``torch.random.fork_rng`` must save and restore around a
    seeded training on ``device``: every CUDA device for a CUDA one, none for the CPU."""
    return list(range(torch.cuda.device_count())) if device.type == "cuda" else []


def _batches(n: int, batch_size: int) -> list[slice]:
    """Split range(n) into max(1, n // batch_size) contiguous, nearly equal batches
    (each of size batch_size .. 2 batch_size - 1, or n when n < batch_size)."""
    m = max(1, n // batch_size)
    edges = np.linspace(0, n, m + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


@torch.no_grad()
def _evaluate(critic, value_fn, x, y, batch_size) -> tuple[np.ndarray, float]:
    """Bound value per batch (float64 array) and score statistics: the mean within-batch
    standard deviation, the mean and the largest magnitude of the critic scores."""
    vals, score_sd, score_mean, score_max = [], [], [], []
    for sl in _batches(x.shape[0], batch_size):
        s = critic(x[sl], y[sl])
        vals.append(value_fn(s))
        score_sd.append(s.std())
        score_mean.append(s.mean())
        score_max.append(s.abs().max())
    vals_np = torch.stack(vals).double().cpu().numpy()
    stats = torch.stack([torch.stack(score_sd).mean(), torch.stack(score_mean).mean(),
                         torch.stack(score_max).max()]).cpu().tolist()
    return vals_np, stats


def train_and_test(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, objective, value_fn,
                   rng: np.random.Generator, test_rows: np.ndarray | None = None
                   ) -> tuple[np.ndarray, dict]:
    """Run the protocol. Returns the per-test-batch bound values and the diagnostics dict.

    ``objective.loss(S) -> (loss, value)`` drives training; ``value_fn(S)`` is the bound used
    for validation and test. Raises EstimatorFailure on NaN/inf. ``test_rows`` (cross-fitting)
    fixes the test rows; the others are split into training and ``round(n * val_fraction)``
    validation rows.
    """
    device = resolve_device(cfg.device)
    n = x.shape[0]
    if test_rows is None:
        n_train, n_val, n_test = split_sizes(n, cfg.val_fraction, cfg.test_fraction)
        perm = rng.permutation(n)
        tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    else:
        te = np.asarray(test_rows)
        rest = rng.permutation(np.setdiff1d(np.arange(n), te))
        n_test, n_val = te.size, split_sizes(n, cfg.val_fraction, cfg.test_fraction)[1]
        n_train = rest.size - n_val
        tr, va = rest[:n_train], rest[n_train:]
    mx, sx = x[tr].mean(0), x[tr].std(0)
    my, sy = y[tr].mean(0), y[tr].std(0)
    sx[sx == 0] = 1.0  # a column constant on the training rows only: centre it, do not scale
    sy[sy == 0] = 1.0

    def to_t(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)

    xs, ys = (x - mx) / sx, (y - my) / sy
    x_tr, y_tr = to_t(xs[tr]), to_t(ys[tr])
    x_va, y_va = to_t(xs[va]), to_t(ys[va])
    x_te, y_te = to_t(xs[te]), to_t(ys[te])

    # batch sampler: epochs of permutations of the training rows, drawn up front
    b = min(int(cfg.batch_size), n_train)
    per_epoch = n_train // b
    n_epochs = -(-cfg.max_steps // per_epoch)
    order = rng.permuted(np.tile(np.arange(n_train), (n_epochs, 1)), axis=1)[:, :per_epoch * b]
    idx = torch.as_tensor(order.reshape(-1, b)[:cfg.max_steps], device=device)

    torch_seed = int(rng.integers(2**63 - 1))
    torch.manual_seed(torch_seed)  # caller runs us inside torch.random.fork_rng
    critic = make_critic(cfg.critic, x.shape[1], y.shape[1], cfg.hidden, cfg.activation,
                         cfg.embed_dim).to(device)
    opt = torch.optim.Adam(critic.parameters(), lr=cfg.learning_rate)

    eval_b = int(cfg.batch_size)
    best_val, best_step, best_state = -math.inf, 0, None
    curve: list[list[float]] = []
    bad_evals = 0
    early_stopped = False
    loss_sum = torch.zeros((), device=device)
    train_sum = torch.zeros((), device=device)
    window = 0
    train_final = math.nan
    step = 0
    while step < cfg.max_steps:
        rows = idx[step]
        critic.train()
        loss, value = objective.loss(critic(x_tr[rows], y_tr[rows]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.detach()
        train_sum += value
        window += 1
        step += 1
        if step % cfg.eval_every and step != cfg.max_steps:
            continue
        # ---- evaluation point: the only host syncs of the loop
        total = float(loss_sum)
        if not math.isfinite(total):
            raise EstimatorFailure(
                f"training diverged: the loss became NaN/inf within steps {step - window + 1}"
                f"..{step} (learning_rate={cfg.learning_rate}); lower the learning rate")
        train_final = float(train_sum) / window
        loss_sum.zero_()
        train_sum.zero_()
        window = 0
        critic.eval()
        vals, (_, _, score_max) = _evaluate(critic, value_fn, x_va, y_va, eval_b)
        val = float(vals.mean())
        if not math.isfinite(val):
            raise EstimatorFailure(
                f"training diverged: the validation bound is {val} at step {step} "
                f"(learning_rate={cfg.learning_rate}); lower the learning rate")
        if not score_max <= SCORE_LIMIT:
            raise EstimatorFailure(
                f"training diverged: critic scores reached |T| = {score_max:.3g} nats "
                f"(> {SCORE_LIMIT:g}) at step {step} (learning_rate={cfg.learning_rate}); "
                "lower the learning rate")
        curve.append([step, val])
        if val > best_val:
            best_val, best_step, bad_evals = val, step, 0
            best_state = {k: v.detach().clone() for k, v in critic.state_dict().items()}
        else:
            bad_evals += 1
            if bad_evals >= cfg.patience:
                early_stopped = True
                break
    critic.load_state_dict(best_state)
    critic.eval()
    test_vals, (score_sd, score_mean, _) = _evaluate(critic, value_fn, x_te, y_te, eval_b)
    if not np.all(np.isfinite(test_vals)):
        raise EstimatorFailure(f"the test bound is not finite at the selected checkpoint "
                               f"(step {best_step}); training diverged")
    # a constant critic c certifies nothing: DV and InfoNCE give 0, NWJ c - e^(c-1) <= 0 and
    # SMILE c - clip(c); a clearly non-zero bound from a collapsed critic is an artefact
    collapsed = score_sd < COLLAPSE_STD * max(1.0, abs(score_mean))
    if collapsed and abs(float(test_vals.mean())) > COLLAPSED_VALUE_TOL:
        raise EstimatorFailure(
            f"training diverged: the critic collapsed to the constant {score_mean:.4g} "
            f"(score std {score_sd:.2g}) and its test bound {float(test_vals.mean()):.4g} is an "
            f"artefact of that constant (learning_rate={cfg.learning_rate}); lower the learning rate")
    info = {
        "steps": int(step),
        "early_stopped": bool(early_stopped),
        "best_step": int(best_step),
        "train_bound_final": float(train_final),
        "val_bound_final": float(curve[-1][1]),
        "val_bound_best": float(best_val),
        "val_curve": curve,
        "still_improving": bool(not early_stopped and best_step == step),
        "collapsed": bool(collapsed),
        "critic_score_std": float(score_sd),
        "n_train": int(n_train), "n_val": int(n_val), "n_test": int(n_test),
        "train_batch_size": int(b),
        "n_test_batches": int(len(test_vals)),
        "test_batch_sizes": sorted({sl.stop - sl.start for sl in _batches(n_test, eval_b)}),
        "device": str(device),
        "torch_seed": torch_seed,
    }
    return test_vals, info
