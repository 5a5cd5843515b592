"""Which estimator serves a pair of the user's variables: the user's preferences first, then a
fallback of the same family, then the generic order for the pair's kinds (acceptance is always
decided by the estimator's declared capabilities)."""

from __future__ import annotations

from collections.abc import Sequence

from mibench import registry as _registry
from mibench.contracts import InputError, MibenchError
from mibench.userdata.defaults import by_kinds

#: estimators tried, in this order, for each pair of kinds when the user's choice (and its
#: family's ``fallbacks``) does not fit (see defaults.toml)
FALLBACK = by_kinds("fallback")
#: defaults of ``estimate`` (several estimators side by side) for each pair of kinds
ESTIMATE_DEFAULTS = by_kinds("estimate")


EstimatorSpec = tuple[str, dict]


normalise_specs = _registry.estimator_specs


def _accepts(name: str, params: dict, x_kind: str, y_kind: str, dx: int, dy: int):
    """(accepted, swap, reason, estimator instance or None)."""
    plugin = _registry.estimators().get(name)
    if plugin is None:
        _registry.check_name("estimator", name)  # raises UnknownNameError with a hint
    if not plugin.available:
        return False, False, f"unavailable: {plugin.error}", None
    est = _registry.make_estimator(name, **params)
    ok, swap, reason = est.capabilities.match(x_kind, y_kind, dx, dy)
    return ok, swap, reason, est


def _kinds_key(x_kind: str, y_kind: str) -> tuple[str, str]:
    return tuple(sorted((x_kind, y_kind)))  # type: ignore[return-value]


def _fallbacks(name: str) -> tuple[str, ...]:
    plugin = _registry.estimators().get(name)
    return tuple(getattr(plugin.cls, "fallbacks", ())) if plugin is not None and plugin.available else ()


def choose_estimator(preferences: Sequence[EstimatorSpec], x_kind: str, y_kind: str,
                     dx: int, dy: int) -> tuple[str, dict, bool]:
    """The estimator for one pair: the first of ``preferences`` whose declared capabilities
    accept the kinds and dimensions, else a fallback: first the same-family fallbacks of each
    preference in turn (each estimator's declared ``fallbacks``: ``ksg`` -> ``ksg-mixed``, ``gmm-mi`` ->
    ``gmm-mi-categorical``, ``binning`` -> ``plugin-discrete``, ...), then the first of
    :data:`FALLBACK` for the kinds, then any available estimator that accepts them. Parameters
    of the preference a family fallback stems from (of the first preference for the others)
    carry over when the fallback has parameters of the same names (``ksg:k=5`` -> ``ksg-mixed``
    with k=5).

    Returns ``(name, params, swap)``; raises InputError when no estimator accepts the pair.
    """
    for name, params in preferences:
        ok, swap, _, _ = _accepts(name, params, x_kind, y_kind, dx, dy)
        if ok:
            return name, params, swap
    first = dict(preferences[0][1]) if preferences else {}
    tried = {name for name, _ in preferences}
    candidates: list[tuple[str, dict]] = []
    for pref, pref_params in preferences:
        candidates += [(n, dict(pref_params)) for n in _fallbacks(pref)
                       if n not in tried and n not in {c for c, _ in candidates}]
    seen = tried | {c for c, _ in candidates}
    candidates += [(n, first) for n in FALLBACK.get(_kinds_key(x_kind, y_kind), []) if n not in seen]
    seen |= {c for c, _ in candidates}
    candidates += [(n, first) for n, p in sorted(_registry.estimators().items())
                   if p.available and n not in seen]
    for name, carry in candidates:
        plugin = _registry.estimators().get(name)
        if plugin is None or not plugin.available:
            continue
        defaults = plugin.cls.param_defaults() if hasattr(plugin.cls, "param_defaults") else {}
        params = {k: v for k, v in carry.items() if k in defaults}
        try:
            ok, swap, _, _ = _accepts(name, params, x_kind, y_kind, dx, dy)
        except MibenchError:
            continue
        if ok:
            return name, params, swap
    raise InputError(f"no available estimator accepts ({x_kind}, {y_kind}) variables of dimensions "
                     f"({dx}, {dy}); see `mibench list estimators`")
