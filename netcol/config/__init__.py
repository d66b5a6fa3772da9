"""Describe: what a run is, before anything is built. Parameter schemas and their checks
(:mod:`.schema`), experiment files with their ``--set`` overrides (:mod:`.experiment`),
the time-grid and cost checks made before a run starts (:mod:`.budget`), and where
netcol's data files live (:mod:`.paths`)."""
