"""The runner's per-trial overhead: one trial through ``run_trial`` and through ``execute`` with a
SQLite store, for an estimator that does no work, against calling ``estimate`` directly."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import mibench
from mibench import Estimate, Estimator


class NullEstimator(Estimator):
    """Returns 0 at once: what remains of a trial's time is the runner's overhead."""

    def __init__(self):
        pass

    def _estimate(self, x, y, *, seed):
        return Estimate(0.0)


class RunnerOverhead:
    """Per-trial cost of the harness (sampling n = 1000 Gaussian pairs is included; see
    ``time_sample_only``)."""

    trials = 50
    number = 1
    repeat = 5

    def setup(self):
        from mibench.planning.trials import Trial

        mibench.register("estimator", "asv-null", NullEstimator)
        self.tmp = Path(tempfile.mkdtemp(prefix="mibench-asv-"))
        self.batch = [Trial("gaussian-correlated", {"rho": 0.6}, "asv-null", {}, 1000, seed)
                      for seed in range(self.trials)]
        self.one = self.batch[0]
        self.x, self.y = self.one.data_rng().standard_normal((2, 1000, 1))
        self.count = 0

    def teardown(self):
        mibench.unregister("estimator", "asv-null")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_estimate_only(self):
        """The estimator alone (validation included)."""
        NullEstimator().estimate(self.x, self.y, seed=0)

    def time_sample_only(self):
        from mibench import registry as _registry

        _registry.make_scenario("gaussian-correlated", rho=0.6).sample(1000, self.one.data_rng())

    def time_run_trial(self):
        """One trial in-process: scenario, truth, data, estimator, timing, row."""
        from mibench.execution.trial import run_trial

        run_trial(self.one)

    def time_execute_50_trials_with_store(self):
        """50 trials through the serial executor into a fresh SQLite store (divide by 50)."""
        from mibench.execution.runner import execute
        from mibench.execution.store import Store

        self.count += 1
        with Store(self.tmp / f"store{self.count}.sqlite") as store:
            execute(self.batch, store=store)
