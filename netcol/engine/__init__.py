"""Run: the run loop and what it needs. The loop itself (:mod:`.simulate`), the timeline of
protocol events (:mod:`.scheduler`), NEURON and MPI (:mod:`.runtime`), gathering spikes
and records to rank 0 (:mod:`.gather`), checkpoints (:mod:`.checkpoint`), progress
(:mod:`.progress`), fault injection for tests (:mod:`.faults`) and sweeps of runs
(:mod:`.sweep`)."""
