"""Neural variational MI estimators: MINE, NWJ, InfoNCE and SMILE (optional ``neural`` extra).

All four share one critic module (:mod:`._critics`) and one training loop (:mod:`._training`)
with an honest protocol: train / validation / test split, early stopping on the validation
bound, and a reported ``mi`` that is the bound evaluated **once** on the held-out test split at
the selected checkpoint. See :class:`MINE` for the parameters and the ``info`` diagnostics.

Importing this package without PyTorch raises :class:`mibench.UnavailableError` with the
install hint, so the registry lists the estimators as unavailable and nothing else breaks.
"""

from mibench import UnavailableError

INSTALL_HINT = ("pip install 'mibench[neural]' "
                "(CPU build: pip install torch==2.13.0 first)")

try:
    import torch  # noqa: F401
except ImportError as exc:  # torch missing, or sys.modules["torch"] = None
    raise UnavailableError(
        f"estimators.neural (mine, nwj, infonce, smile) needs PyTorch: {INSTALL_HINT}"
    ) from exc

from estimators.neural._estimators import MINE, NWJ, SMILE, InfoNCE  # noqa: E402

__all__ = ["MINE", "NWJ", "InfoNCE", "SMILE", "INSTALL_HINT"]
