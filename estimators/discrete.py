"""Plug-in MI of a discrete pair with the Miller-Madow correction (registered as ``plugin-discrete``).

I = sum_{n_ij > 0} p_ij ln(p_ij / (p_i. p_.j)) from the contingency counts; Miller-Madow adds
(B - 1)/(2N) to each entropy (B = occupied cells), hence
I_MM = I - (B_xy - B_x - B_y + 1)/(2N). The contingency computation is shared with the binning
estimator (:func:`estimators._plugin.plugin_mi`).
"""

from __future__ import annotations

import numpy as np

from estimators._plugin import dense_codes, plugin_mi, plugin_mi_groups
from estimators._uncertainty import check_uncertainty, subsample_estimate, subsample_min_samples
from mibench import Capabilities, Estimate, Estimator, InputError

__all__ = ["PluginDiscrete"]


class PluginDiscrete(Estimator):
    """Plug-in (maximum-likelihood) MI of two discrete labels, in nats.

    Parameters
    ----------
    correction : {"miller-madow", "none"}, default "miller-madow"
        Miller-Madow bias correction, or the raw plug-in value.
    uncertainty : {"subsample", "none"}, default "subsample"
        How ``Estimate.std`` is computed. "subsample": disjoint subsamples of n/2, n/3 and n/4
        rows, variance extrapolated to n (Holmes & Nemenman 2019; all the parts' tables counted
        in one pass: about 2-3x the CPU time of one plain estimate; needs n >= 8);
        also reports ``subsample_bias`` in ``info``. "none": std=None at the cost of one
        estimate. See :mod:`estimators._uncertainty`.

    Notes
    -----
    Both variables are one column of integer-valued labels (only equality matters). The
    estimate is not clamped at 0 (Miller-Madow is often slightly negative at independence).
    ``info`` holds the raw plug-in value, the entropies and the occupied cell counts.
    """

    capabilities = Capabilities(kinds=frozenset({("discrete", "discrete")}), max_dx=1, max_dy=1)
    reports_std = True
    version = 1
    fallbacks = ("binning",)

    def __init__(self, correction="miller-madow", uncertainty="subsample"):
        self.correction = correction
        self.uncertainty = uncertainty

    def validate_params(self) -> None:
        if self.correction not in ("miller-madow", "none"):
            raise InputError(f"correction must be 'miller-madow' or 'none', got {self.correction!r}")
        check_uncertainty(self, ("subsample", "none"))

    def min_samples(self) -> int:
        return subsample_min_samples(self, 2)

    def _estimate(self, x, y, *, seed):
        if self.uncertainty == "subsample":
            return subsample_estimate(self, x, y, seed, part_values=self._part_values)
        res = plugin_mi(x[:, 0], y[:, 0], miller_madow=self.correction == "miller-madow")
        return Estimate(mi=res.mi, std=None, info={
            "mi_plugin": res.mi_plugin, "h_x": res.h_x, "h_y": res.h_y, "h_xy": res.h_xy,
            "cells_x": res.cells_x, "cells_y": res.cells_y, "cells_xy": res.cells_xy,
            "correction": self.correction})

    def _part_values(self, x, y, parts: list[np.ndarray], full=None) -> np.ndarray:
        """The plain estimate on each row subset (the error bar's parts), all the parts'
        contingency tables counted at once."""
        a, b = dense_codes(x[:, 0])[0], dense_codes(y[:, 0])[0]
        rows = np.concatenate(parts)
        groups = np.repeat(np.arange(len(parts)), [p.size for p in parts])
        return plugin_mi_groups(a[rows], b[rows], groups, miller_madow=self.correction == "miller-madow")
