"""The pathway tables of the population models' network files (vogels2011, akil2021,
sadeh2015): ``[pathways.<pre><post>]``, one per pathway ("ei" is E -> I), each with

- ``delay``: the pathway's transmission delay (ms), a whole number of the mechanism's
  steps, at least one and at most MAX_DELAY_STEPS: a spike of step s first acts on its
  targets in step s + delay / step.  One step, the default, is the delivery the models had before delays (the
  reference's own);
- ``rule``: ``"fixed_probability"`` (the model's connection probability for every pair:
  the default) or ``"fixed_indegree"``: each target cell draws exactly ``indegree``
  distinct sources of the pathway's presynaptic population;
- ``indegree``: the sources per target cell of rule ``fixed_indegree`` (given only with
  that rule).

Every value is checked as ``--set`` values are, in one line naming the file, the table
and what is allowed.  Delays are not rounded: a delay that is not a whole number of steps
(within the few units in the last place that writing it in decimal can cost) is refused,
with the nearest allowed values, as protocol times are (netcol.config.budget.off_grid).

The in-degree rule draws from streams keyed by (seed, "indegree", pathway code << 32 |
target gid), one per target cell and pathway, so the wiring is the same on any number of
ranks; the probability rule's own stream (seed, "wiring", target gid) is drawn from as
before, whatever the rule, so that switching one pathway to an in-degree leaves every
other pathway's sources as they were.  A cell may be its own source, as the probability
rule of these models allows (the references' autapses).
"""
from dataclasses import dataclass
import math

import numpy as np

from ..build.streams import bernoulli_sources, keyed_generator
from ..config.budget import off_grid
from ..config.schema import Field, ParamError, validate

#: The wiring rules of a pathway.
RULES = ("fixed_probability", "fixed_indegree")
#: Bits of an in-degree stream's index that hold the target gid (the pathway code above).
GID_BITS = 32
#: The longest delay in steps: a rank keeps a bit per source for each step of its longest
#: delay (10,000 steps of 100,000 cells: 125 MB).
MAX_DELAY_STEPS = 10_000
#: The open tables of a network file with pathway tables: a pathway's table may take an
#: entry the file leaves out (indegree), which the schema then checks
#: (netcol.config.schema.apply_overrides).
OPEN_TABLES = ("pathways.*",)


@dataclass(frozen=True)
class Pathway:
    """One pathway's checked table.

    Attributes
    ----------
    name : str
        Pre then post population ("ei": E -> I).
    code : int
        Its fixed number in the model (the in-degree streams' key; never renumbered).
    delay : float or None
        Transmission delay (ms); None for a pathway without a delay (external input).
    steps : int
        The delay in the mechanism's steps (1 for a pathway without a delay).
    rule : str
        One of :data:`RULES`.
    indegree : int or None
        Sources per target (rule fixed_indegree).
    """

    name: str
    code: int
    delay: float
    steps: int
    rule: str
    indegree: int

    @property
    def fixed_indegree(self):
        """True if each target draws exactly ``indegree`` sources."""
        return self.rule == "fixed_indegree"


@dataclass(frozen=True)
class PathwayTables:
    """The pathways a model's network file describes.

    Parameters
    ----------
    names : tuple of str
        The pathways in the model's numbering (the codes of the in-degree streams).
    step_ms : float
        The mechanism's step (ms): delays are whole numbers of it.
    undelayed : tuple of str
        Pathways without a delay entry (akil2021's external input, whose spikes act in the
        step they are drawn for).
    """

    names: tuple
    step_ms: float
    undelayed: tuple = ()

    def fields(self, name=None):
        """The schema of pathway name's table (name None: any delayed pathway's, in
        general words)."""
        if name is None:
            path, sources = "the pathway's", "presynaptic cells per target cell"
        else:
            pre, post = name[0].upper(), name[1].upper()
            path, sources = f"{pre} -> {post}", f"{pre} cells per {post} cell"
        out = {"rule": Field(str, "fixed_probability", f"{path} wiring: fixed_probability (the model's connection "
                             "probability for every pair) or fixed_indegree (indegree sources per target cell)",
                             choices=RULES),
               "indegree": Field(int, None, f"{sources} (rule fixed_indegree)", low=0)}
        if name not in self.undelayed:
            out["delay"] = Field(float, self.step_ms, f"{path} transmission delay (ms): a whole number of "
                                 f"{self.step_ms:g}-ms steps, 1 to {MAX_DELAY_STEPS:,}", low=0.0, low_open=True,
                                 high=round(MAX_DELAY_STEPS * self.step_ms, 9))
        return out

    def check(self, raw, source):
        """Check a network file's ``[pathways]`` table (absent tables take the defaults).

        Parameters
        ----------
        raw : dict or None
            The ``pathways`` table as read, with overrides.
        source : str
            The network file (for error messages).

        Returns
        -------
        dict of str to Pathway
            Every pathway of the model, in its numbering.

        Raises
        ------
        ParamError
            One line naming the file, the table, the key and what is allowed.
        """
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ParamError(f"{source}: pathways must be tables [pathways.<name>], one of {', '.join(self.names)}")
        unknown = sorted(set(raw) - set(self.names))
        if unknown:
            raise ParamError(f"{source}: unknown pathway(s) {', '.join(unknown)} in [pathways]; known: "
                             f"{', '.join(self.names)} (pre then post: ei is E -> I)")
        return {name: self._check_one(name, code, raw.get(name, {}), f"{source} [pathways.{name}]")
                for code, name in enumerate(self.names)}

    def _check_one(self, name, code, table, where):
        if not isinstance(table, dict):
            raise ParamError(f"{where}: must be a table with {', '.join(self.fields(name))}")
        fields = self.fields(name)
        v = validate(table, fields, where, fill_defaults=False)
        rule = v.get("rule", fields["rule"].default)
        indegree = v.get("indegree")
        if rule == "fixed_indegree" and indegree is None:
            raise ParamError(f"{where}: rule 'fixed_indegree' needs indegree (presynaptic cells per target cell, "
                             "an int >= 0)")
        if rule != "fixed_indegree" and indegree is not None:
            raise ParamError(f"{where}: indegree = {indegree} is read by rule 'fixed_indegree' only; set rule = "
                             "\"fixed_indegree\" or leave indegree out")
        if name in self.undelayed:
            return Pathway(name, code, None, 1, rule, indegree)
        delay = v.get("delay", fields["delay"].default)
        return Pathway(name, code, delay, self.delay_steps(delay, where), rule, indegree)

    def delay_steps(self, delay, where):
        """A delay (ms) in whole steps, or ParamError naming where it came from."""
        step = self.step_ms
        n = delay / step
        if off_grid(delay / 1000.0, step):
            near = sorted({max(1, math.floor(n)), max(1, math.ceil(n))})
            allowed = " or ".join(f"{round(k * step, 12):.12g}" for k in near)
            raise ParamError(f"{where}: parameter 'delay' = {delay!r} ms is not a whole number of the model's "
                             f"{step:g}-ms steps; nearest allowed: {allowed} ms")
        if round(n) < 1:
            raise ParamError(f"{where}: parameter 'delay' = {delay!r} ms is shorter than one step; allowed: a whole "
                             f"number of {step:g}-ms steps, at least {step:g} ms (one step: the reference's delivery)")
        return int(round(n))


def check_indegrees(pathways, sources, source):
    """Refuse an in-degree beyond the cells a pathway draws from.

    Parameters
    ----------
    pathways : dict of str to Pathway
    sources : dict of str to (int, str)
        Per pathway name: the cells of its presynaptic population and how to name them
        ("E cells (n_e)").
    source : str
        Where the experiment came from (for the message).

    Raises
    ------
    ParamError
    """
    for name, pw in pathways.items():
        if pw.fixed_indegree and name in sources and pw.indegree > sources[name][0]:
            n, what = sources[name]
            raise ParamError(f"{source}: network pathways.{name}.indegree = {pw.indegree} is more than the {n} {what} "
                             f"that {name[0].upper()} -> {name[1].upper()} draws from; allowed: 0 .. {n}")


def pathway_sources(rng, seed, pathway, gid, n, p):
    """The sources (0 .. n-1, ascending) of one pathway onto target gid.

    The probability rule's draws come from rng (the target's "wiring" stream) whatever the
    rule, so that the stream's later draws (the other pathways') stay as they are; with
    rule fixed_indegree they are then replaced by ``indegree`` distinct sources from the
    target's own stream of this pathway.

    Parameters
    ----------
    rng : numpy.random.Generator
        The target's "wiring" stream.
    seed : int
    pathway : Pathway
    gid : int
        The target cell.
    n : int
        Cells of the presynaptic population.
    p : float
        The connection probability (rule fixed_probability).

    Returns
    -------
    numpy.ndarray of int
    """
    drawn = bernoulli_sources(rng, n, p)
    if not pathway.fixed_indegree:
        return drawn
    return indegree_sources(seed, pathway, gid, n)


def indegree_sources(seed, pathway, gid, n):
    """``pathway.indegree`` distinct sources out of 0 .. n-1, ascending, from the stream
    keyed by (seed, "indegree", pathway.code << GID_BITS | gid)."""
    rng = keyed_generator(seed, "indegree", (pathway.code << GID_BITS) | int(gid))
    return np.sort(rng.choice(n, size=pathway.indegree, replace=False))


def delays_in_steps(pathways, names, which):
    """Each synapse's delay in steps, from the index of its pathway in names.

    Parameters
    ----------
    pathways : dict of str to Pathway
    names : sequence of str
        The pathways in the order which indexes.
    which : numpy.ndarray of int
        Per synapse: its pathway's index in names.

    Returns
    -------
    numpy.ndarray of float
    """
    table = np.array([pathways[n].steps for n in names], float)
    return table[np.asarray(which, int)]


def synapse_count(pathways, sizes):
    """Expected synapses of a network's pathways: the in-degree times the targets for
    rule fixed_indegree, else the connection probability times every pair.

    Parameters
    ----------
    pathways : dict of str to Pathway
        The network's checked pathway tables (pathways without a table count with their
        probability).
    sizes : dict of str to (int, int, float)
        Per pathway name: (presynaptic cells, postsynaptic cells, connection probability).

    Returns
    -------
    float
    """
    total = 0.0
    for name, (n_pre, n_post, p) in sizes.items():
        pw = pathways.get(name)
        total += pw.indegree * n_post if pw is not None and pw.fixed_indegree else p * n_pre * n_post
    return total
