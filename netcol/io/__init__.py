"""Record: a run's folder and files. The run folder, its lock and run.json
(:mod:`.rundir`), the SONATA spike and state writers (:mod:`.record`), checking and
repairing the files (:mod:`.runfiles`) and the NWB export (:mod:`.nwb`)."""
