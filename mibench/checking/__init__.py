"""Checking: ``check`` compares a suite's results with a committed baseline (``mibench check``);
``conformance`` is the kit a plugin author runs on an estimator (public as ``mibench.testing``)."""
