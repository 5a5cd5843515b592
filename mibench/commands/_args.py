"""Argument helpers shared by the subcommands."""

from __future__ import annotations

from mibench.contracts import InputError


def split_list(values: list[str] | None) -> list[str]:
    """['a,b', 'c'] -> ['a', 'b', 'c'] (options that are repeatable and comma-separated)."""
    out = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def parse_ints(values: list[str] | None, option: str) -> list[int]:
    out = []
    for v in split_list(values):
        try:
            f = float(v)
        except ValueError:
            raise InputError(f"{option}: {v!r} is not a number") from None
        if not f.is_integer() or f < 1:
            raise InputError(f"{option}: {v!r} is not a positive integer")
        out.append(int(f))
    return out


def parse_params(values: list[str] | None, option: str = "--param") -> dict[str, list[str]]:
    """['rho=0.3,0.6', 'd=2'] -> {'rho': ['0.3', '0.6'], 'd': ['2']} (strings; the registry
    converts them to each parameter's type)."""
    grid: dict[str, list[str]] = {}
    for value in values or []:
        if "=" not in value:
            raise InputError(f"{option} {value!r}: expected KEY=VALUE[,VALUE...]")
        key, _, rest = value.partition("=")
        key = key.strip()
        items = [v.strip() for v in rest.split(",") if v.strip()]
        if not key or not items:
            raise InputError(f"{option} {value!r}: expected KEY=VALUE[,VALUE...]")
        grid.setdefault(key, []).extend(items)
    return grid


def parse_estimators(values: list[str] | None) -> list[tuple[str, dict]] | None:
    """['ksg:k=5,gaussian', 'kde'] -> [('ksg', {'k': '5'}), ('gaussian', {}), ('kde', {})]."""
    from mibench.registry import estimator_specs

    names = split_list(values)
    return estimator_specs(names) if names else None
