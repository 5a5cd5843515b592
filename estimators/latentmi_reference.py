"""Optional plugin ``latentmi-reference``: the authors' latentmi package (Gowri et al., NeurIPS 2024,
"Approximating mutual information of high-dimensional variables using learned representations")
as a mibench estimator, to check ``latent-ksg`` (and, through ``latentmi.ksg.mi(alpha=...)``,
``lnc``) on identical data.

Only the package's public functions are used: ``latentmi.lmi.learn_representation`` (its paired
autoencoder with cross-prediction, ``models.AECross``) and ``latentmi.ksg.mi`` (pointwise KSG
from NPEET). latentmi is not a dependency: when it is not importable, importing this module
raises ``mibench.UnavailableError`` with the install hint. latentmi 0.1.3 pins numpy < 2, which
would downgrade numpy; install it without its dependencies (it needs torch, scikit-learn, scipy
and tqdm, all of which mibench's ``neural`` extra brings or which are small):
``pip install --no-deps latentmi tqdm``. Its own ``lmi.estimate`` uses ``np.NaN`` (removed in
numpy 2) and a global ``np.random.shuffle``, so this plugin does the split itself and calls the
two public pieces.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from mibench import Capabilities, Estimate, Estimator, InputError, UnavailableError

INSTALL_HINT = "pip install --no-deps latentmi tqdm  (latentmi pins numpy<2; --no-deps keeps numpy)"

try:
    import torch
    from latentmi import ksg as lmi_ksg
    from latentmi import lmi
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UnavailableError(f"latentmi-reference needs the latentmi package and torch: {INSTALL_HINT} "
                           f"({exc})") from exc


class LatentMIReference(Estimator):
    """The original latentmi (LMI): AECross autoencoders, then KSG on held-out latents.

    Parameters follow ``latentmi.lmi.estimate``: ``n_dims`` (its ``N_dims``, latent size per
    side, default 8), ``epochs`` (300), ``patience`` (30), ``batch_size`` (512), ``lr`` (1e-4),
    ``validation_split`` (0.5: the held-out half trains nothing and is where KSG runs). KSG uses
    k = 3 in nats. The seed drives the split, torch's initialisation (forked RNG) and numpy's
    global RNG that latentmi's noise draws from (restored afterwards). ``std`` is None.
    """

    capabilities = Capabilities(kinds=frozenset({("continuous", "continuous")}))
    reports_std = False
    #: up to 300 epochs of two autoencoders per estimate (6 s at n = 200, 25 s at n = 1000 on
    #: one core): a run without ``--estimator`` leaves it out
    costly = True

    def __init__(self, n_dims=8, epochs=300, patience=30, batch_size=512, lr=1e-4,
                 validation_split=0.5):
        self.n_dims = n_dims
        self.epochs = epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.validation_split = validation_split

    def validate_params(self) -> None:
        for name in ("n_dims", "epochs", "patience", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{name} must be an integer >= 1, got {v!r}")
        for name, lo, hi in (("lr", 0, 1), ("validation_split", 0, 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v < hi:
                raise InputError(f"{name} must be a number in ({lo}, {hi}), got {v!r}")

    def min_samples(self) -> int:
        return 20

    def _estimate(self, x, y, *, seed):
        rng = np.random.default_rng(seed)
        n = x.shape[0]
        # the preprocessing of lmi.estimate: standardise, clip to +-10
        xs = np.clip(np.nan_to_num((x - x.mean(0)) / x.std(0)), -10, 10)
        ys = np.clip(np.nan_to_num((y - y.mean(0)) / y.std(0)), -10, 10)
        n_train = int(n * (1 - float(self.validation_split)))
        perm = rng.permutation(n)
        tr, te = perm[:n_train], perm[n_train:]
        state = np.random.get_state()
        np.random.seed(int(rng.integers(2**31 - 1)))
        try:
            with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(io.StringIO()):
                torch.manual_seed(int(rng.integers(2**63 - 1)))
                xt = torch.as_tensor(xs, dtype=torch.float32)
                yt = torch.as_tensor(ys, dtype=torch.float32)
                zx, zy, _ = lmi.learn_representation(
                    xt, yt, tr, te, N_dims=int(self.n_dims), batch_size=int(self.batch_size),
                    lr=float(self.lr), epochs=int(self.epochs), patience=int(self.patience),
                    quiet=True, device="cpu")
                pmi = lmi_ksg.mi(zx.numpy()[te].astype(np.float64),
                                 zy.numpy()[te].astype(np.float64), k=3, base=np.e)
        finally:
            np.random.set_state(state)
        return Estimate(float(np.mean(pmi)), None, {"n_test": int(te.size)})
