"""Parameter sweeps: a grid over a base scenario, run on local processes or a Dask cluster, into a
resumable SQLite results file (docs/sweeps.md).

spec.py reads and expands sweep files; executors.py runs tasks; store.py keeps results;
command.py is `offsim sweep`.
"""
