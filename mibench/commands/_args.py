"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import dataclasses

from mibench.contracts import InputError
from mibench.contracts.canonical import parse_params as parse_settings
from mibench.execution.options import FIELDS, RunOptions, options_from


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
    form = "KEY=VALUE[,VALUE...]"
    for value in values or []:
        setting = parse_settings([value], what=f"{option} {value!r}", form=form)  # one key=value
        key, rest = next(iter(setting.items()), ("", ""))
        items = split_list([rest])
        if not key or not items:
            raise InputError(f"{option} {value!r}: expected {form}")
        grid.setdefault(key, []).extend(items)
    return grid


def parse_estimators(values: list[str] | None) -> list[tuple[str, dict]] | None:
    """['ksg:k=5,gaussian', 'kde'] -> [('ksg', {'k': '5'}), ('gaussian', {}), ('kde', {})]."""
    from mibench.registry import estimator_specs

    names = split_list(values)
    return estimator_specs(names) if names else None


DEFAULT_STORE_HELP = "default $MIBENCH_RESULTS/runs/store.sqlite, MIBENCH_RESULTS defaulting to ./results"


def run_options_parser(store_default: str = DEFAULT_STORE_HELP) -> argparse.ArgumentParser:
    """The options of how trials run, shared by every command that runs estimators (a parent
    parser: ``add_parser(..., parents=[run_options_parser()])``). Each command sets its own
    ``--jobs`` default with ``set_defaults``; ``store_default`` says its default store in the
    help. The options are the fields of :class:`mibench.execution.options.RunOptions` (their
    metadata): a new run flag is one field there."""
    p = argparse.ArgumentParser(add_help=False)
    how = p.add_argument_group("how to run")
    for f in dataclasses.fields(RunOptions):
        kw = dict(f.metadata)
        kw["help"] = kw["help"].format(store_default=store_default)
        if f.type in (bool, "bool"):
            kw["action"] = "store_true"
        elif f.default is not None:
            kw["default"] = f.default
        how.add_argument("--" + f.name.replace("_", "-"), **kw)
    return p


def run_options(args, **defaults) -> RunOptions:
    """The RunOptions of parsed arguments (``defaults`` fill fields the command line left unset,
    e.g. the store). Quietens Dask's logging for a Dask run unless -v was given."""
    given = {name: getattr(args, name, None) for name in FIELDS}
    try:
        options = options_from(RunOptions(), **{**defaults,
                                                **{k: v for k, v in given.items() if v is not None}})
    except InputError as exc:  # name the option as the user typed it: "jobs ..." -> "--jobs ..."
        text = str(exc)
        field = next((f for f in FIELDS if text.startswith(f + " ")), None)
        if field is None:
            raise
        raise InputError("--" + field.replace("_", "-") + text[len(field):]) from None
    if options.executor_name == "dask" and getattr(args, "verbose", 0) < 1:
        quiet_dask()
    return options


def quiet_dask() -> None:
    """Dask logs its cluster's start-up and shutdown at INFO; keep the terminal for the progress
    bar (``-v`` shows them). Its logging is configured on import, so import it first."""
    import logging

    try:
        import distributed  # noqa: F401
    except ImportError:  # the executor reports the missing extra
        return
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logger = logging.getLogger(name)
            if logger.level and logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.WARNING)
