"""CLI subcommands, one module each, discovered by mibench.cli (each defines ``register``)."""
