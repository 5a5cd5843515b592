"""The user's own data: reading files (``read``), columns and variable kinds (``columns``), the
estimator for a pair (``choose``), the work of a pair (``pairs``: estimate, error bar,
permutation test), and the four user-facing tasks: ``estimate``, ``matrix``, ``recommend`` and
``consistency`` (self-consistency tests of an estimator)."""
