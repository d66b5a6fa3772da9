"""Build: turning a checked experiment into NEURON objects on each rank. Compiling the
mechanisms (:mod:`.mechanisms`), keyed random streams (:mod:`.streams`) and the model's
assembly (:mod:`.assemble`). The cell types themselves are :mod:`netcol.cells`."""
