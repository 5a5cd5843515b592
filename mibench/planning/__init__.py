"""Planning: what to run. Trials (one scenario + params, estimator + params, n, seed, with its
content-hash key and seed streams), suites (TOML files of scenarios and estimators) and
``plan`` (a scenario grid and estimator specs -> trials)."""
