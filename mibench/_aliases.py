"""Old module paths (before the engine was split into subpackages) that plugins and older code
still import, e.g. ``from mibench._contracts import TrueMI``: each resolves to the module that
now holds its names. New code imports the public names from ``mibench`` (plugins) or the new
paths (the engine). Kept until the plugins use the public API (issue 21), then deleted.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

#: old path -> the new module (one module: the same object, so patching it patches the code)
MOVED = {
    "mibench._contracts": "mibench.contracts",
    "mibench._validation": "mibench.contracts.validation",
    "mibench._groundtruth": "mibench.contracts.groundtruth",
    "mibench._io": "mibench.contracts.files",
    "mibench._registry": "mibench.registry",
    "mibench._trials": "mibench.planning.trials",
    "mibench._suites": "mibench.planning.suites",
    "mibench._execute": "mibench.execution.trial",
    "mibench._executors": "mibench.execution.executors",
    "mibench._store": "mibench.execution.store",
    "mibench._progress": "mibench.execution.progress",
    "mibench._metrics": "mibench.analysis.metrics",
    "mibench._matrix": "mibench.userdata.matrix",
    "mibench._recommend": "mibench.userdata.recommend",
    "mibench.reports": "mibench.analysis.reports",
}
#: old path of a module that was split -> the modules that now hold its names
SPLIT = {
    "mibench._runner": ("mibench.benchmark", "mibench.execution.runner", "mibench.planning.plan"),
    "mibench._userdata": ("mibench.userdata.estimate", "mibench.userdata.pairs", "mibench.userdata.choose",
                          "mibench.userdata.columns", "mibench.userdata.read"),
    "mibench._check": ("mibench.checking.check", "mibench.checking.baseline"),
    "mibench._reporting": ("mibench.analysis.reports.run_folder", "mibench.analysis.reports.terminal"),
}


def _target(fullname: str) -> str | None:
    for old, new in MOVED.items():
        if fullname == old or fullname.startswith(old + "."):
            return new + fullname[len(old):]
    return None


class _SplitModule(types.ModuleType):
    def __getattr__(self, name):
        for path in SPLIT[self.__name__]:
            module = importlib.import_module(path)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        new = _target(spec.name)
        if new is None:
            return _SplitModule(spec.name)
        module = importlib.import_module(new)
        self._spec = module.__spec__  # the import system overwrites it with the alias's spec
        return module

    def exec_module(self, module):
        if not isinstance(module, _SplitModule):
            module.__spec__ = self._spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in SPLIT or _target(fullname) is not None:
            return importlib.util.spec_from_loader(fullname, _Loader())
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())  # before the path finder: no second copy of a module
