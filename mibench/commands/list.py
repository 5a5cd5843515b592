"""`mibench list`: registered estimators and scenarios, their parameters and availability."""

from __future__ import annotations

import sys

from mibench.contracts.canonical import params_label


def register(sub) -> None:
    p = sub.add_parser("list", help="list estimators, scenarios and suites",
                       description="List registered plugins with their parameters and availability, "
                                   "and the built-in suites.")
    p.add_argument("what", nargs="?", default="all", choices=["all", "estimators", "scenarios", "suites"])
    p.set_defaults(handler=handle)


def _params(cls) -> str:
    try:
        return params_label(cls.param_defaults(), repr_values=True) or "-"
    except Exception:
        return "?"


def _kinds(cls) -> str:
    caps = getattr(cls, "capabilities", None)
    if caps is None:
        return ""
    kinds = " | ".join(f"{a[:4]}-{b[:4]}" for a, b in sorted(caps.kinds))
    return kinds


def _truth(cls) -> str:
    from mibench.contracts.groundtruth import NotComputedError, cached_only

    try:
        with cached_only():
            value, stderr = cls().true_mi
    except NotComputedError:
        return "true MI: Monte Carlo, computed on first use"
    except Exception as exc:  # a scenario without defaults or whose truth failed
        return f"true MI: ({type(exc).__name__})"
    if stderr:
        return f"true MI {value:.4f} ± {stderr:.4f} (MC)"
    return f"true MI {value:.4f}"


def handle(args) -> int:
    from mibench import registry as _registry

    out = sys.stdout
    if args.what in ("all", "estimators"):
        out.write("Estimators\n")
        for name, plugin in _registry.estimators().items():
            if plugin.available:
                out.write(f"  {name:<20} [{_kinds(plugin.cls)}]  {_params(plugin.cls)}\n")
            else:
                out.write(f"  {name:<20} UNAVAILABLE: {plugin.error}\n")
    if args.what in ("all", "scenarios"):
        out.write("Scenarios\n")
        for name, plugin in _registry.scenarios().items():
            if plugin.available:
                cls = plugin.cls
                grid = getattr(cls, "default_grid", {}) or {}
                grid_s = "; ".join(f"{k} in {v}" for k, v in grid.items())
                out.write(f"  {name:<24} {_params(cls)}  [{_truth(cls)} at defaults]"
                          + (f"\n  {'':<24} default grid: {grid_s}" if grid_s else "") + "\n")
            else:
                out.write(f"  {name:<24} UNAVAILABLE: {plugin.error}\n")
    if args.what in ("all", "suites"):
        _list_suites(out)
    return 0


def _list_suites(out) -> None:
    from mibench.planning.suites import builtin_suites, load_suite

    out.write("Suites (mibench run --suite NAME)\n")
    for name, path in builtin_suites().items():
        try:
            suite = load_suite(path)
        except Exception as exc:  # a broken suite file must not hide the others
            out.write(f"  {name:<16} INVALID: {exc}\n")
            continue
        scen = sorted({s.name for s in suite.scenarios})
        shown = ", ".join(scen[:4]) + (f", ... ({len(scen)} families)" if len(scen) > 4 else "")
        ests = ", ".join(dict.fromkeys(e.name for e in suite.estimators))
        seeds = len(suite.seeds)
        out.write(f"  {name:<16} {suite.description}\n"
                  f"  {'':<16} {len(suite.scenarios)} scenario entries ({shown}); estimators: {ests}; "
                  f"n={','.join(map(str, suite.n))}; {seeds} seed(s)"
                  + (f"; timeout {suite.timeout:g} s" if suite.timeout else "") + "\n")
