"""Plug-in (maximum-likelihood) MI on integer codes, with the Miller–Madow correction.

Shared by the binning estimator and the discrete–discrete estimator. Small API:

``combine_codes(codes)``
    Turn an (n, d) array of per-column integer labels into one dense label per row.
``dense_codes(a)``
    Relabel any 1-D array of labels (ints or integer-valued floats) as 0..m-1.
``plugin_mi(a, b, *, miller_madow=True)``
    Plug-in MI of two label arrays from their contingency table, in nats; returns a
    :class:`PluginMI` with the entropies and the numbers of occupied cells.
``plugin_mi_groups(a, b, groups, *, miller_madow=True)``
    The same MI for every group of rows at once (one contingency count over all groups): the
    subsample parts of the error bar, without a Python loop over the parts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["PluginMI", "combine_codes", "dense_codes", "plugin_mi", "plugin_mi_groups"]


class PluginMI(NamedTuple):
    """Result of :func:`plugin_mi`; all values in nats, python floats/ints.

    ``mi`` includes the Miller–Madow term when requested; ``mi_plugin`` never does.
    ``h_x``, ``h_y``, ``h_xy`` are the plug-in entropies (without correction); ``cells_x``,
    ``cells_y``, ``cells_xy`` count the occupied marginal and joint cells, ``singletons_xy`` the
    points alone in their joint cell.
    """

    mi: float
    mi_plugin: float
    h_x: float
    h_y: float
    h_xy: float
    cells_x: int
    cells_y: int
    cells_xy: int
    #: points alone in their joint cell
    singletons_xy: int = 0


def dense_codes(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel a 1-D label array as ``0..m-1`` (sorted order of the labels).

    Returns
    -------
    codes : ndarray, shape (n,), int64
    m : int, the number of distinct labels.
    """
    a = np.asarray(a).reshape(-1)
    if a.dtype.kind in "iub" and a.size:
        lo = int(a.min())
        span = int(a.max()) - lo + 1
        if span <= max(4 * a.size, 1024):  # cheap path: bincount over the label range
            shifted = (a.astype(np.int64) - lo)
            present = np.bincount(shifted, minlength=span) > 0
            remap = np.cumsum(present) - 1
            return remap[shifted].astype(np.int64), int(present.sum())
    uniq, inv = np.unique(a, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), int(uniq.size)


def combine_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Combine the columns of an (n, d) label array into one dense label per row.

    Rows with equal label tuples get equal codes. Mixed-radix arithmetic on the dense column
    codes when the product of the column cardinalities fits in int64 (then relabelled densely),
    ``np.unique(axis=0)`` otherwise.

    Returns
    -------
    codes : ndarray, shape (n,), int64
    m : int, the number of distinct rows.
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        return dense_codes(codes)
    if codes.shape[1] == 1:
        return dense_codes(codes[:, 0])
    cols = [dense_codes(codes[:, j]) for j in range(codes.shape[1])]
    total = 1.0
    for _, m in cols:
        total *= m
    if total < 2**62:
        key = np.zeros(codes.shape[0], dtype=np.int64)
        for c, m in cols:
            key *= m
            key += c
        return dense_codes(key)
    stacked = np.column_stack([c for c, _ in cols])
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), int(uniq.shape[0])


def _entropy(counts: np.ndarray, n: int) -> float:
    c = counts[counts > 0].astype(np.float64)
    return float(np.log(n) - np.dot(c, np.log(c)) / n)


def plugin_mi(a: np.ndarray, b: np.ndarray, *, miller_madow: bool = True) -> PluginMI:
    """Plug-in MI of two label arrays from their contingency table, in nats.

    ``I = sum_{ij, n_ij > 0} (n_ij / n) ln(n n_ij / (n_i. n_.j))``, with the Miller–Madow
    correction ``- (B_xy - B_x - B_y + 1) / (2 n)`` (B = occupied cells) when requested,
    which removes the first-order bias of each entropy.

    Parameters
    ----------
    a, b : ndarray, shape (n,)
        Labels (any integer or integer-valued values; only equality matters). A 2-D array is
        combined row-wise first (:func:`combine_codes`).
    miller_madow : bool, default True

    Returns
    -------
    PluginMI
    """
    a, ma = combine_codes(a)
    b, mb = combine_codes(b)
    n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError(f"a and b have different lengths: {n} != {b.shape[0]}")
    if n == 0:
        raise ValueError("empty label arrays")
    key = a * mb + b  # ma, mb <= n, so no int64 overflow for any n < 2**31
    if ma * mb <= 8 * n + 1024:  # dense table
        nij = np.bincount(key, minlength=ma * mb)
        occ = np.flatnonzero(nij)
        nij_occ = nij[occ]
        ai, bj = occ // mb, occ % mb
    else:  # sparse table: occupied cells only
        uniq, nij_occ = np.unique(key, return_counts=True)
        ai, bj = uniq // mb, uniq % mb
    ni = np.bincount(a, minlength=ma)
    nj = np.bincount(b, minlength=mb)
    c = nij_occ.astype(np.float64)
    mi = float(np.dot(c, np.log(c) + np.log(n) - np.log(ni[ai]) - np.log(nj[bj])) / n)
    bx, by, bxy = int(ma), int(mb), int(nij_occ.size)
    corrected = mi - (bxy - bx - by + 1) / (2.0 * n) if miller_madow else mi
    return PluginMI(mi=float(corrected), mi_plugin=mi, h_x=_entropy(ni, n), h_y=_entropy(nj, n),
                    h_xy=_entropy(nij_occ, n), cells_x=bx, cells_y=by, cells_xy=bxy,
                    singletons_xy=int(np.count_nonzero(nij_occ == 1)))


def plugin_mi_groups(a: np.ndarray, b: np.ndarray, groups: np.ndarray, *,
                     miller_madow: bool = True) -> np.ndarray:
    """``plugin_mi(a[groups == g], b[groups == g]).mi`` for every group g = 0..G-1, vectorised.

    Parameters
    ----------
    a, b : ndarray, shape (m,)
        Integer labels >= 0 (only equality within a group matters: a group's labels need not
        be dense, and the same label may mean different cells in different groups).
    groups : ndarray, shape (m,)
        Group of each row, integers 0..G-1, every group non-empty.

    Returns
    -------
    ndarray, shape (G,): the (Miller–Madow corrected when asked) plug-in MI of each group, in
    nats; equal to the per-group :func:`plugin_mi` up to the order of floating-point sums.
    """
    a, b, g = (np.asarray(v, dtype=np.int64).reshape(-1) for v in (a, b, groups))
    n_groups = int(g.max()) + 1
    la, lb = int(a.max()) + 1, int(b.max()) + 1
    if n_groups * la * lb <= 8 * a.size + 4096:  # dense (group, a, b) table: one bincount
        key = g * la  # (g la + a) lb + b, in place: one temporary of the rows' size
        key += a
        key *= lb
        key += b
        nab = np.bincount(key, minlength=n_groups * la * lb).reshape(
            n_groups, la, lb).astype(np.float64)
        na, nb = nab.sum(axis=2), nab.sum(axis=1)
        ng = na.sum(axis=1)
        occ = nab > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = nab * ng[:, None, None] / (na[:, :, None] * nb[:, None, :])
            terms = np.where(occ, nab * np.log(np.where(occ, ratio, 1.0)), 0.0)
        mi = terms.reshape(n_groups, -1).sum(axis=1) / ng
        bxy, bx, by = occ.sum(axis=(1, 2)), (na > 0).sum(axis=1), (nb > 0).sum(axis=1)
    else:  # sparse: relabel the occupied (group, a), (group, b) and (group, a, b) cells
        ka, ma = dense_codes(g * la + a)
        kb, mb = dense_codes(g * lb + b)
        kab, mab = dense_codes(ka * mb + kb)
        first = np.empty(mab, dtype=np.int64)
        first[kab] = np.arange(kab.size)              # one row of each joint cell
        cell_g, cell_a, cell_b = g[first], ka[first], kb[first]
        nab = np.bincount(kab, minlength=mab).astype(np.float64)
        na, nb = np.bincount(ka), np.bincount(kb)
        ng = np.bincount(g, minlength=n_groups).astype(np.float64)
        terms = nab * (np.log(nab) + np.log(ng[cell_g]) - np.log(na[cell_a]) - np.log(nb[cell_b]))
        mi = np.bincount(cell_g, weights=terms, minlength=n_groups) / ng
        group_of_a, group_of_b = np.empty(ma, dtype=np.int64), np.empty(mb, dtype=np.int64)
        group_of_a[ka], group_of_b[kb] = g, g
        bxy = np.bincount(cell_g, minlength=n_groups)
        bx = np.bincount(group_of_a, minlength=n_groups)
        by = np.bincount(group_of_b, minlength=n_groups)
    if miller_madow:
        mi = mi - (bxy - bx - by + 1) / (2.0 * ng)
    return mi
