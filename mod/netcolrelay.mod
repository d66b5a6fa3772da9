COMMENT
NetcolRelay: the spike source of one cell of a population mechanism (NetcolLifMap).
The population emits the cell's spikes through it (nrn_net_event), so that each cell
has its own gid for ParallelContext while one mechanism instance computes them all.
It receives nothing itself.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolRelay
}

NET_RECEIVE(w) {
    net_event(t)
}
