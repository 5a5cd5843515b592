"""Built-in scenario plugins of mibench (distributions with known MI), one module per family.

They register through the ``mibench.scenarios`` entry-point group.
"""
