"""Analysis: from trial rows to numbers and pictures. ``metrics`` (bias, spread, coverage per
cell) and ``reports`` (tables, figures and the HTML page of a run)."""
