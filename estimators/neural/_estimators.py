"""MINE, NWJ, InfoNCE and SMILE: one critic, one training loop, four bounds."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from estimators._checks import DEVICE_HINT, is_device
from estimators._checks import hidden_tuple as _hidden_tuple
from estimators._checks import is_int as _is_int
from estimators._checks import is_real as _is_real
from estimators._knn_checks import with_summary_check
from estimators._uncertainty import check_crossfit_size, check_uncertainty
from estimators.neural import _bounds
from estimators.neural._training import (
    SATURATION_MARGIN,
    TrainConfig,
    _batches,
    check_split_fractions,
    split_sizes,
    train_and_test,
)
from mibench import Capabilities, Estimate, Estimator, InputError

#: standard error over test batches (nats) above which an estimate is flagged ``unstable``
UNSTABLE_SE = 1.0
#: generalisation gap (issue 20): an estimate is flagged ``overfit`` when the critic's final
#: training-batch bound exceeds its best validation bound by more than OVERFIT_GAP nats and is
#: more than OVERFIT_RATIO times it (more than half of what the critic learned on its training
#: rows does not hold on new rows: it fits noise, and the held-out bound is then far below MI)
OVERFIT_GAP = 0.1
OVERFIT_RATIO = 2.0
#: folds of ``uncertainty="crossfit"``: five critics, each tested on its own fifth of the rows
CROSSFIT_FOLDS = 5
#: values of ``uncertainty`` the neural bounds accept (the first is the default)
UNCERTAINTY = ("crossfit", "test-batches", "none")
#: smallest test fold of ``uncertainty="crossfit"`` (rows): a bound needs >= 2 rows (1 pair)
MIN_FOLD_ROWS = 2


def overfit(train_bound: float, val_bound: float) -> bool:
    """The ``overfit`` flag: the training-batch bound is above the best validation bound by
    more than :data:`OVERFIT_GAP` nats and more than :data:`OVERFIT_RATIO` times it."""
    gap = train_bound - val_bound
    return bool(gap > OVERFIT_GAP and train_bound > OVERFIT_RATIO * max(val_bound, 0.0))


class _NeuralEstimator(Estimator):
    """Shared parameters, validation and the protocol. Subclasses set ``_bound_name`` and
    implement ``_objective`` (training) and ``_value_fn`` (validation and test bound).

    Parameters
    ----------
    critic : {"joint", "separable"}, default "joint"
        ``joint``: concatenation critic T(x, y) = MLP([x, y]) (evaluated on the whole b x b
        grid of pairs); ``separable``: T(x, y) = g(x)^T h(y).
    hidden : tuple of int, default (64, 32)
        Hidden layer widths of the MLP (of each embedding MLP for ``separable``); an int or
        text such as "64/32" (the CLI form) is accepted too.
    embed_dim : int, default 16
        Embedding size of the separable critic (ignored by ``joint``).
    activation : {"relu", "elu", "tanh", "gelu"}, default "relu"
    learning_rate : float, default 1e-3
        Adam learning rate.
    batch_size : int, default 64
        Training batch size b; validation and test are evaluated in batches of about b rows
        (b .. 2b - 1), all b(b - 1) off-diagonal pairs serving as product-of-marginals samples.
        InfoNCE is bounded above by ln b.
    max_steps : int, default 2000
        Training budget in optimiser steps.
    eval_every : int, default 50
        Steps between validation evaluations (the checkpoints early stopping chooses from).
    patience : int, default 3
        Stop after this many consecutive validation evaluations without improvement, i.e.
        ``eval_every * patience`` = 150 steps after the best checkpoint. (Until 2026-11-27 the
        defaults were 100 and 5: at least 500 steps after the best, 2-2.5x the CPU time per
        estimate at n = 200..1000 for the same accuracy; see benchmarks/bench_neural.py.)
    val_fraction, test_fraction : float, default 0.2, 0.2
        Fractions of the rows held out for validation and test (the rest trains).
    device : {"cpu", "auto", "cuda"} or "cuda:<i>", default "cpu"
        "auto" uses CUDA when available. Determinism is guaranteed only on CPU.
    threads : int, default 1
        torch intra-op threads during the estimate (restored afterwards). One thread is the
        default because the runner parallelises over trials; on an oversubscribed machine
        OpenMP threads spin and two threads were several times slower than one.
    uncertainty : {"crossfit", "test-batches", "none"}, default "crossfit"
        How ``std`` is computed. "crossfit" (5 trainings, about 5x the CPU time of one): 5-fold
        cross-fitting. The rows are split into 5 folds; for each fold a critic is trained on the
        other rows (``val_fraction`` of n of them held out for validation) and tested on the
        fold. ``mi`` is the mean over all test batches (every row is tested once) and ``std``
        the standard deviation of the 5 fold estimates / sqrt(5), which includes training
        randomness (initialisation, batch order, which rows trained the critic); finite at any
        n the estimator accepts (n >= 200 gives test folds of 40 rows). ``test_fraction`` is
        then unused. "test-batches" (one training, the cost before 2026-12): the standard error
        across the disjoint test batches of one training (sample std / sqrt(#batches)); None
        with a single test batch (n < ~640 with the defaults). It covers test-sampling noise
        only, not training randomness, so it is too small (docs/calibration.md). "none": one
        training, std=None. Because the default costs 5 trainings these estimators are
        ``costly``: ``mibench run`` without ``--estimator`` leaves them out (``--estimator all``
        or naming them runs them).

    Notes
    -----
    ``mi`` (nats) is the bound evaluated once on the held-out test split at the checkpoint with
    the best validation bound; never a maximum over test evaluations.

    ``info`` holds: ``steps`` run, ``early_stopped``, ``best_step``, ``train_bound_final``
    (mean training-batch bound over the last evaluation window), ``val_bound_final``,
    ``val_bound_best``, ``val_curve`` ([step, value] pairs), the flags ``still_improving``
    (budget exhausted while still improving), ``collapsed`` (critic scores constant on the
    test split), ``negative`` (estimate below 0 by more than 2 standard errors),
    ``saturated`` (InfoNCE within 0.1 nat of its ln b ceiling), ``unstable`` (standard error
    over test batches above 1 nat: the bound is dominated by a few test points), ``overfit``
    (the critic's final training-batch bound is more than 0.1 nat and more than twice above its
    best validation bound, averaged over the trainings; ``generalisation_gap`` = their
    difference: the critic fits noise in its training rows, and the held-out bound, a lower
    bound, can be far below MI: MINE on 5 + 5 Student-t columns at n = 2000),
    ``below_summary`` (with a std and more than one column on a side: KSG on one- or two-column
    summaries of the data, ``summary_mi``, reads more than the bound by > 4 combined std,
    ``summary_z``; see estimators._knn_checks), ``below_ksg`` (with a std, up to 10 columns:
    KSG on the same rows, ``ksg_reference``, reads more than the bound by > 4 combined std,
    ``ksg_reference_z``; KSG's own error is almost always negative), ``below_copula`` (with a
    std: the Gaussian-copula MI of the same rows, ``copula_reference``, reads more than the
    bound by > 4 combined std, ``copula_reference_z``; exact on monotone transforms of a
    multinormal, where KSG reads low: half_cube 5x5), ``flags``
    (names of the raised flags), split sizes, ``device`` and ``torch_seed``.

    Divergence raises :class:`mibench.EstimatorFailure` with the reason (the runner records a
    failed trial): a NaN/inf training loss or bound, critic scores beyond 1e4 nats, or a
    collapsed (constant) critic whose bound is clearly non-zero (a constant critic certifies
    nothing; SMILE's clipping turns a large constant into a spurious positive value).

    The seed drives the split, the batch order and (through a forked torch RNG) the critic
    initialisation: the same seed gives the same estimate on the same machine and thread count.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = True
    #: 1: the default ``uncertainty`` became "crossfit" (was "test-batches"; 2026-12);
    #: 2: flag ``overfit`` and ``generalisation_gap`` in ``info`` (issue 20; mi and std unchanged)
    #: 3: flag ``below_summary`` (the data-processing check of estimators._knn_checks; issue 20)
    #: 4: flag ``below_ksg`` (the KSG reference of the same check; mi and std unchanged)
    #: 5: flag ``below_copula`` (the Gaussian-copula reference of the same check; same)
    #: 6: flag ``below_ensemble`` (the KSG-ensemble reference of the same check; mi and
    #: std unchanged)
    #: 7: the ensemble reference's std from the KSG reference's subsample parts (one set of
    #: neighbour queries for both; values of both references unchanged, the ensemble's std a
    #: new draw, so ``below_ensemble`` can change near its limit; mi and std unchanged)
    version = 7
    costly = True
    _bound_name = ""

    def __init__(self, *, critic="joint", hidden=(64, 32), embed_dim=16, activation="relu",
                 learning_rate=1e-3, batch_size=64, max_steps=2000, eval_every=50, patience=3,
                 val_fraction=0.2, test_fraction=0.2, device="cpu", threads=1,
                 uncertainty="crossfit"):
        self.critic = critic
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.activation = activation
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.patience = patience
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.device = device
        self.threads = threads
        self.uncertainty = uncertainty

    # ------------------------------------------------------------------ validation
    def validate_params(self) -> None:
        def bad(name, expected):
            raise InputError(f"{type(self).__name__}: {name}={getattr(self, name)!r} is invalid; "
                             f"expected {expected}")

        if self.critic not in ("joint", "separable"):
            bad("critic", "'joint' or 'separable'")
        if _hidden_tuple(self.hidden) is None:
            bad("hidden", "a non-empty tuple of positive ints (or text like '64/32')")
        if not _is_int(self.embed_dim) or self.embed_dim < 1:
            bad("embed_dim", "a positive int")
        if self.activation not in ("relu", "elu", "tanh", "gelu"):
            bad("activation", "one of 'relu', 'elu', 'tanh', 'gelu'")
        if not _is_real(self.learning_rate) or self.learning_rate <= 0:
            bad("learning_rate", "a finite number > 0")
        for name, lo in (("batch_size", 2), ("max_steps", 1), ("eval_every", 1), ("patience", 1),
                         ("threads", 1)):
            v = getattr(self, name)
            if not _is_int(v) or v < lo:
                bad(name, f"an int >= {lo}")
        for name in ("val_fraction", "test_fraction"):
            v = getattr(self, name)
            if not _is_real(v) or not 0 < v < 1:
                bad(name, "a number in (0, 1)")
        check_split_fractions(self)
        if not is_device(self.device):
            bad("device", DEVICE_HINT)
        check_uncertainty(self, UNCERTAINTY)
        self._validate_extra()

    def _validate_extra(self) -> None:
        pass

    def min_samples(self) -> int:
        """Enough rows for >= 4 training rows and >= 2 validation and test rows; with
        ``uncertainty="crossfit"`` every one of the 5 test folds needs >= 2 rows and the rows
        outside a fold >= 4 training rows besides the validation rows."""
        try:
            for n in range(8, 100_000):
                if self.uncertainty == "crossfit":
                    smallest, n_va = n // CROSSFIT_FOLDS, split_sizes(n, float(self.val_fraction),
                                                                       float(self.test_fraction))[1]
                    if smallest >= MIN_FOLD_ROWS and n - -(-n // CROSSFIT_FOLDS) - n_va >= 4:
                        return n
                    continue
                n_tr, n_va, n_te = split_sizes(n, float(self.val_fraction), float(self.test_fraction))
                if n_tr >= 4:
                    return n
        except (TypeError, ValueError):
            pass
        return 8

    # ------------------------------------------------------------------ bounds
    def _objective(self):
        raise NotImplementedError

    def _value_fn(self):
        raise NotImplementedError

    # ------------------------------------------------------------------ work
    def _config(self) -> TrainConfig:
        return TrainConfig(
            critic=self.critic, hidden=_hidden_tuple(self.hidden),
            embed_dim=int(self.embed_dim), activation=self.activation,
            learning_rate=float(self.learning_rate), batch_size=int(self.batch_size),
            max_steps=int(self.max_steps), eval_every=int(self.eval_every),
            patience=int(self.patience), val_fraction=float(self.val_fraction),
            test_fraction=float(self.test_fraction), device=self.device,
            threads=int(self.threads))

    def _estimate(self, x, y, *, seed):
        cfg = self._config()
        rng = np.random.default_rng(seed)
        old_threads = torch.get_num_threads()
        devices = []
        if cfg.device != "cpu" and torch.cuda.is_available():
            devices = list(range(torch.cuda.device_count()))
        crossfit = self.uncertainty == "crossfit"
        if crossfit:
            check_crossfit_size(self, x.shape[0], CROSSFIT_FOLDS, MIN_FOLD_ROWS)
        try:
            torch.set_num_threads(cfg.threads)
            with torch.random.fork_rng(devices=devices):
                if crossfit:  # one critic per fold, each tested on its own fold
                    folds = np.array_split(rng.permutation(x.shape[0]), CROSSFIT_FOLDS)
                    runs = [train_and_test(x, y, cfg, self._objective(), self._value_fn(), rng,
                                           test_rows=fold) for fold in folds]
                else:
                    runs = [train_and_test(x, y, cfg, self._objective(), self._value_fn(), rng)]
        finally:
            torch.set_num_threads(old_threads)
        test_vals = np.concatenate([vals for vals, _ in runs])
        info = runs[0][1]
        mi = float(test_vals.mean())
        batch_se = (float(test_vals.std(ddof=1) / math.sqrt(len(test_vals)))
                    if len(test_vals) > 1 else None)
        std = batch_se if self.uncertainty == "test-batches" else None
        if crossfit:
            fold_mi = [float(vals.mean()) for vals, _ in runs]
            std = float(np.std(fold_mi, ddof=1) / math.sqrt(len(fold_mi)))
            for key in ("still_improving", "collapsed"):
                info[key] = any(i[key] for _, i in runs)
            info.update(crossfit_fold_estimates=fold_mi, n_test=int(x.shape[0]),
                        n_test_batches=int(len(test_vals)),
                        steps_per_fold=[int(i["steps"]) for _, i in runs])
        info["uncertainty"] = str(self.uncertainty)
        info["bound"] = self._bound_name
        # significantly negative: the held-out bound is below 0 by more than 2 s.e., i.e. the
        # critic does worse than a constant one (overfitting or a failed fit)
        info["negative"] = bool(mi + 2.0 * (std or batch_se or 0.0) < 0)
        # unstable: the test batches disagree by more than UNSTABLE_SE nats of standard error, e.g.
        # NWJ's e^(T-1) term on a heavy-tailed test point (a Cauchy task gave -1.3e36 +- 4e35)
        info["unstable"] = bool(batch_se is not None and batch_se > UNSTABLE_SE)
        info["saturated"] = False
        # generalisation gap, averaged over the trainings (one per fold with cross-fitting)
        train_bound = float(np.mean([i["train_bound_final"] for _, i in runs]))
        val_bound = float(np.mean([i["val_bound_best"] for _, i in runs]))
        info["generalisation_gap"] = train_bound - val_bound
        info["overfit"] = overfit(train_bound, val_bound)
        self._finish_info(mi, info)
        info["flags"] = [k for k in ("still_improving", "collapsed", "negative", "unstable",
                                     "saturated", "overfit") if info[k]]
        # a bound below what a one- or two-column summary of the data carries is loose there
        # (InfoNCE on Student-t 5x5 at n = 10 000: 0.20 against 0.30, the row norms give ~0.29)
        return with_summary_check(Estimate(mi=mi, std=std, info=info), x, y, seed)

    def _finish_info(self, mi: float, info: dict) -> None:
        pass


class MINE(_NeuralEstimator):
    """MINE (Belghazi et al. 2018): Donsker-Varadhan bound trained with the moving-average
    bias-corrected gradient; reports the DV bound on the test split.

    Parameters
    ----------
    ema_decay : float in [0, 1), default 0.99
        Weight on the history in the log-space moving average of ``mean exp T`` over the
        marginal pairs (0.99 = Belghazi's rate 0.01 on the new batch; 0 = plain DV gradient).
    (the others) : see the shared parameters below.
    """ + _NeuralEstimator.__doc__.split("Parameters\n    ----------\n", 1)[1]

    _bound_name = "dv"

    def __init__(self, *, critic="joint", hidden=(64, 32), embed_dim=16, activation="relu",
                 learning_rate=1e-3, batch_size=64, max_steps=2000, eval_every=50, patience=3,
                 val_fraction=0.2, test_fraction=0.2, device="cpu", threads=1,
                 uncertainty="crossfit", ema_decay=0.99):
        super().__init__(critic=critic, hidden=hidden, embed_dim=embed_dim, activation=activation,
                         learning_rate=learning_rate, batch_size=batch_size, max_steps=max_steps,
                         eval_every=eval_every, patience=patience, val_fraction=val_fraction,
                         test_fraction=test_fraction, device=device, threads=threads,
                         uncertainty=uncertainty)
        self.ema_decay = ema_decay

    def _validate_extra(self):
        if not _is_real(self.ema_decay) or not 0 <= self.ema_decay < 1:
            raise InputError(f"MINE: ema_decay={self.ema_decay!r} is invalid; expected a number in [0, 1)")

    def _objective(self):
        return _bounds.MINEObjective(float(self.ema_decay))

    def _value_fn(self):
        return _bounds.dv


class NWJ(_NeuralEstimator):
    """NWJ / MINE-f (Nguyen, Wainwright & Jordan 2010): E_P[f] - E_Q[exp(f - 1)], trained and
    reported with the same bound (unbiased minibatch gradients, high variance)."""
    __doc__ += "\n" + _NeuralEstimator.__doc__.split("\n", 2)[2]
    _bound_name = "nwj"

    def _objective(self):
        return _bounds.Objective(_bounds.nwj)

    def _value_fn(self):
        return _bounds.nwj


class InfoNCE(_NeuralEstimator):
    """InfoNCE / CPC (van den Oord et al. 2018): ln b + mean_i [f_ii - ln sum_j exp f_ij].

    Low variance but bounded above by ln b (b = ``batch_size``): ``info["saturated"]`` is set
    when the estimate is within 0.1 nat of the ceiling (mean ln b over the test batches), in
    which case the true MI may be much larger than the estimate."""
    __doc__ += "\n" + _NeuralEstimator.__doc__.split("\n", 2)[2]
    _bound_name = "infonce"

    def _objective(self):
        return _bounds.Objective(_bounds.infonce)

    def _value_fn(self):
        return _bounds.infonce

    def _finish_info(self, mi, info):
        sizes = [sl.stop - sl.start for sl in _batches(info["n_test"], int(self.batch_size))]
        ceiling = float(np.mean(np.log(sizes)))
        info["infonce_ceiling"] = ceiling
        info["ceiling"] = ceiling  # the generic key the reports draw
        info["saturated"] = bool(mi >= ceiling - SATURATION_MARGIN)


class SMILE(_NeuralEstimator):
    """SMILE (Song & Ermon 2020): critic trained with the Jensen-Shannon objective; reports the
    clipped DV bound E_P[f] - ln E_Q[clip(exp f, e^-clip, e^clip)] (clipped DV value, JS gradient).

    Parameters
    ----------
    clip : float > 0 or inf, default 5.0
        Clipping threshold tau (the paper uses 1 and 5; inf gives DV on a JS-trained critic).
    (the others) : see the shared parameters below.
    """ + _NeuralEstimator.__doc__.split("Parameters\n    ----------\n", 1)[1]

    _bound_name = "smile"

    def __init__(self, *, critic="joint", hidden=(64, 32), embed_dim=16, activation="relu",
                 learning_rate=1e-3, batch_size=64, max_steps=2000, eval_every=50, patience=3,
                 val_fraction=0.2, test_fraction=0.2, device="cpu", threads=1,
                 uncertainty="crossfit", clip=5.0):
        super().__init__(critic=critic, hidden=hidden, embed_dim=embed_dim, activation=activation,
                         learning_rate=learning_rate, batch_size=batch_size, max_steps=max_steps,
                         eval_every=eval_every, patience=patience, val_fraction=val_fraction,
                         test_fraction=test_fraction, device=device, threads=threads,
                         uncertainty=uncertainty)
        self.clip = clip

    def _validate_extra(self):
        c = self.clip
        if not (isinstance(c, numbers.Real) and not isinstance(c, bool)) or not c > 0 or c != c:
            raise InputError(f"SMILE: clip={c!r} is invalid; expected a number > 0 (inf allowed)")

    def _objective(self):
        return _bounds.SMILEObjective(float(self.clip))

    def _value_fn(self):
        clip = float(self.clip)
        return lambda s: _bounds.smile(s, clip)
