"""Optional plugin ``torch-mist-reference``: the variational MI estimators of torch-mist (M. Federici,
D. Ruhe, P. Forré, "On the effectiveness of hybrid mutual information estimation",
arXiv:2306.00608, 2023; PyPI ``torch-mist``) as a mibench estimator, chosen by name, to check
mibench's ``mine``, ``nwj``, ``infonce``, ``smile`` and ``doe`` in distribution.

Only the public ``torch_mist.estimate_mi`` is used: it builds the named estimator, trains it on
the training rows with early stopping on the validation rows, and evaluates it on the test rows;
this plugin makes the split (the fractions of mibench's neural estimators) and seeds torch.

torch-mist is not a dependency of mibench. torch-mist 0.2.17 pins numpy < 2, but its code runs on
numpy 2: install it without its dependencies, plus the ones its estimators import
(``pip install --no-deps torch-mist pyro-ppl pyro-api opt_einsum tqdm``, torch from the
``neural`` extra). When it is not importable, importing this module raises
``mibench.UnavailableError`` with that hint.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import numpy as np

from estimators._checks import hidden_tuple
from mibench import Capabilities, Estimate, Estimator, Interval, OneOf, Satisfies, UnavailableError

INSTALL_HINT = ("pip install --no-deps torch-mist pyro-ppl pyro-api opt_einsum tqdm  (torch-mist "
                "pins numpy<2; --no-deps keeps numpy; torch from mibench[neural])")

try:
    import torch
    from torch_mist import estimate_mi
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UnavailableError(f"torch-mist-reference needs torch-mist: {INSTALL_HINT} ({exc})") from exc

log = logging.getLogger(__name__)

#: torch-mist estimator names offered (critic-based bounds, and the generative DoE)
ESTIMATORS = ("mine", "nwj", "infonce", "smile", "js", "flo", "doe")


class TorchMistReference(Estimator):
    """A torch-mist estimator by name, trained and evaluated by ``torch_mist.estimate_mi``.

    Parameters
    ----------
    estimator : {"mine", "nwj", "infonce", "smile", "js", "flo", "doe"}, default "infonce"
        torch-mist's estimator name.
    hidden : tuple of int, default (64, 32)
        Hidden widths of the critic (torch-mist's ``hidden_dims``; as mibench's neural bounds).
        Ignored by "doe" (torch-mist's default DoE uses linear-Gaussian flows).
    critic : {"joint", "separable"} or None, default None
        torch-mist's ``critic_type``; None keeps torch-mist's default for the estimator
        (separable for InfoNCE and FLO, joint otherwise). Ignored by "doe".
    learning_rate : float, default 1e-3
    batch_size : int, default 64
    max_iterations : int, default 2000
        Training budget in optimiser steps (mibench's ``max_steps``).
    val_fraction, test_fraction : float, default 0.2, 0.2
        Rows for torch-mist's early stopping and for the estimate.

    The seed drives the split and (through a forked torch RNG) the initialisation and batches.
    torch-mist's own messages are silenced. ``std`` is None. One torch thread during the estimate.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = False
    #: a training of up to 2000 steps per estimate: a run without ``--estimator`` leaves it out
    costly = True

    def __init__(self, estimator="infonce", hidden=(64, 32), critic=None, learning_rate=1e-3,
                 batch_size=64, max_iterations=2000, val_fraction=0.2, test_fraction=0.2):
        self.estimator = estimator
        self.hidden = hidden
        self.critic = critic
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iterations = max_iterations
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction

    _parameter_constraints = {
        "estimator": [OneOf(*ESTIMATORS)],
        "hidden": [Satisfies(hidden_tuple, "a non-empty tuple of positive ints")],
        "critic": [OneOf(None, "joint", "separable")],
        "batch_size": [Interval(int, 2, None)],
        "max_iterations": [Interval(int, 2, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "val_fraction": [Interval(float, 0, 0.5, closed="neither")],
        "test_fraction": [Interval(float, 0, 0.5, closed="neither")],
    }

    def min_samples(self) -> int:
        return 50

    def _estimate(self, x, y, *, seed):
        rng = np.random.default_rng(seed)
        n = x.shape[0]
        n_test = max(10, int(round(n * float(self.test_fraction))))
        n_val = max(10, int(round(n * float(self.val_fraction))))
        perm = rng.permutation(n)
        te, va, tr = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
        xs, ys = x.astype(np.float32), y.astype(np.float32)
        kwargs = {}
        if self.estimator != "doe":
            kwargs["hidden_dims"] = list(hidden_tuple(self.hidden))
            if self.critic is not None:
                kwargs["critic_type"] = self.critic
        old_threads = torch.get_num_threads()
        try:
            torch.set_num_threads(1)
            with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.manual_seed(int(rng.integers(2**63 - 1)))
                mi = estimate_mi(
                    data=(xs[tr], ys[tr]), valid_data=(xs[va], ys[va]),
                    test_data=(xs[te], ys[te]), estimator=self.estimator,
                    max_iterations=int(self.max_iterations), batch_size=int(self.batch_size),
                    optimizer_params={"lr": float(self.learning_rate)}, verbose=False,
                    logger=False, **kwargs)
        finally:
            torch.set_num_threads(old_threads)
        return Estimate(float(mi), None, {"estimator": self.estimator, "n_train": int(tr.size),
                                          "n_test": int(te.size)})
