"""The mibench version (a leaf module: part of every trial key through ``code_version``)."""

__version__ = "0.1.0"
