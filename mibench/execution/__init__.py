"""Execution: running trials. ``trial`` runs one (data, estimate, time, memory); the executors
run many (serially, in local processes, on a Dask cluster), with timeouts; the store keeps one
row per trial; the runner skips what the store holds and stores each new row as it arrives."""
