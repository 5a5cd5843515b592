"""The user's own data: reading files (``read``), columns and variable kinds (``columns``), the
estimator for a pair (``choose``), the work of a pair (``pairs``: estimate, error bar,
permutation test), and the three user-facing tasks: ``estimate``, ``matrix`` and ``recommend``."""
