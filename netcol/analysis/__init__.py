"""Analyse: reading a run's files and the measures every model shares (:mod:`.spikes`:
spikes, nodes, rates, spectra, information). A model's own measures live in its package."""
