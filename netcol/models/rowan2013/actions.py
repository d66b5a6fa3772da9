"""The column's protocol actions, run by the generic scheduler at timeline times:
scaling switch-on, deletion rounds, trial starts, state records, STDP gain snapshots.

Every rank takes the same decisions: which cells to delete comes from a stream keyed by
(seed, 'deletion', round) (or, in reference mode, from the original's generator).
"""
import numpy as np

from ...build.streams import keyed_generator
from .acg import ACG
from .protocol import deletion_step

#: Random123 trial key of every repeat trial; unique trial k uses 2 + k (0 = the build's),
#: as the mechanism computes them.
REPEAT_KEY = 1


class ColumnProtocol:
    """The actions of one run and the decisions they have taken.

    Parameters
    ----------
    net : netcol.models.rowan2013.network.ColumnNetwork
    params : dict
        Checked experiment parameters.
    probes : netcol.models.rowan2013.probes.StateRecorder
    """

    def __init__(self, net, params, probes):
        self.net, self.p, self.probes = net, params, probes
        self.round = 0
        self.deletions_over = False
        self.alive = set(range(net.n))
        self.original_picker = ACG(0) if params["rng"] == "original" else None

    def table(self):
        """Action name -> action(t) for the scheduler."""
        return {"scaling on": self.scaling_on, "deletion round": self.deletion_round,
                "unique trial": lambda t: self.trial(t, "unique"), "repeat trial": lambda t: self.trial(t, "repeat"),
                "record": self.probes.record, "stdp window opens": lambda t: self.probes.snapshot("learn_start", t),
                "stdp window closes": lambda t: self.probes.snapshot("learn_end", t),
                # the training signal is played back from its own schedule: markers only
                "training starts": None, "training stops": None}

    def checkpoint_state(self):
        """What a checkpoint needs to continue the protocol."""
        return dict(round=self.round, deletions_over=self.deletions_over, alive=sorted(self.alive),
                    dead=sorted(self.net.dead),
                    picker=self.original_picker.position() if self.original_picker is not None else None)

    def restore(self, s):
        """Continue from a checkpoint's protocol state."""
        self.round, self.deletions_over = s["round"], s["deletions_over"]
        self.alive = set(s["alive"])
        self.original_picker = ACG.from_position(s["picker"]) if s["picker"] is not None else None

    def scaling_on(self, t):
        """Switch synaptic scaling on at t (ms)."""
        self.net.scaling_on(t)

    def pick_deletions(self, t):
        """Gids to delete in this round (same on every rank)."""
        step = deletion_step(self.p)
        alive = sorted(self.alive)
        if self.original_picker is not None:
            return original_picks(self.original_picker, alive, step)
        g = keyed_generator(self.p["seed"], "deletion", self.round)
        if self.p["deletion_rule"] == "scaling":
            scale = self.probes.gather_scale(t)
            w = np.array([scale[gid] for gid in alive])
            return sorted(g.choice(alive, size=step, replace=False, p=w / w.sum()).tolist())
        return sorted(g.choice(alive, size=step, replace=False).tolist())

    def deletion_round(self, t):
        """Delete deletion_step alive cells, scale external input down, log the round."""
        step = deletion_step(self.p)
        if self.deletions_over:
            return
        if len(self.alive) <= step:
            self.deletions_over = True
            return
        gids = self.pick_deletions(t)
        self.round += 1
        self.alive -= set(gids)
        self.net.delete(gids, t)
        if self.p["scale_external"]:
            gain = 1.0 - (1.0 - len(self.alive) / self.net.n) * self.p["scale_external_rate"]
            self.net.catch_up(t)   # the inputs before t keep the old weights
            self.net.scale_drive(gain)
        self.probes.log_deletion(t, gids)
        if len(self.alive) <= step:
            self.deletions_over = True

    def trial(self, t, kind):
        """Log the start of a trial; the cells restart their own drive (see the mod file):
        unique trial k draws with key 2 + k, every repeat trial with key 1."""
        k = int(round(t / (self.p["trial_length"] * 1000.0)))
        self.probes.log_trial(t, kind, REPEAT_KEY if kind == "repeat" else 2 + k)


def original_picks(generator, alive, step):
    """The original's deletion round: for each pick, Uniform(0, n_remaining) is set
    (consuming one value), then a fresh draw u picks entry floor(u) of the remaining
    list (ascending gids), which shrinks at once.

    Parameters
    ----------
    generator : netcol.models.rowan2013.acg.ACG
        The original's ACG(0), carried from round to round.
    alive : list of int
        Remaining gids, ascending; picked ones are removed from it.
    step : int

    Returns
    -------
    list of int
    """
    picked = []
    for _ in range(step):
        generator.uniform(0, len(alive))
        picked.append(alive.pop(int(generator.repick())))
    return picked
