"""Traces of chosen cells in batch runs: an experiment's ``[[record]]`` tables
(:mod:`netcol.config.records`) sampled from the timeline and written as SONATA element
reports (:mod:`netcol.io.traces`).

Each record time is one timeline event (action :data:`ACTION`, placed before the
model's own events at that time, so a checkpoint there counts its samples); it reads
every table due then through the cell binding's sampler, one call per table (a
population mechanism answers in one call for all of its listed cells).  Each rank keeps
its own cells' samples; at the end of every block, at a checkpoint and whenever the
samples held pass :data:`HELD_VALUES`, they are gathered to rank 0 and appended to the
reports, so memory stays bounded whatever the run's length.  The gids chosen and the
samples do not depend on the number of ranks; a checkpoint saves the samples written per
table, and a resume cuts every report back to them.
"""
import numpy as np

from ..config.records import report_files, sample_times, select_gids
from .runtime import parallel_context

#: The timeline action of a record time.
ACTION = "record traces"
#: Samples (cells x variables x times, all ranks together) held before they are written.
HELD_VALUES = 2_000_000


class _Table:
    """One [[record]] table on this rank: its cells, times, sampler and held samples."""

    def __init__(self, spec, gids, model):
        self.spec, self.gids = spec, gids
        self.variables = list(spec["variables"])
        self.times = sample_times(spec)
        self.local = np.array([g for g in gids if int(g) in model.local], dtype=np.int64)
        self.sample = model.binding.sampler(model, self.local.tolist(), self.variables)
        self.next = 0          # the index of the next sample time
        self.held = []         # this rank's samples not yet written (local cells x variables each)
        self.writers = []      # rank 0: one ReportWriter per variable

    def due(self, t):
        return self.next < len(self.times) and abs(self.times[self.next] - t) < 1e-6


class Traces:
    """Every [[record]] table of a run, on every rank (rank 0 writes).

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    model : object
        The assembly (netcol.models.contract.Assembly): its binding's ``sampler``, its
        ``local`` cells and ``population``.
    resume : dict, optional
        The checkpoint a resumed run starts from (its ``trace_rows``: samples written per
        table).
    """

    def __init__(self, experiment, model, resume=None):
        self.pc = parallel_context()
        self.rank = int(self.pc.id())
        self.model = model
        specs = experiment.params.get("record") or ()
        types = experiment.package.node_types(experiment.params, experiment.network) if specs else []
        self.tables = [_Table(s, select_gids(s, types), model) for s in specs]
        self.resumed = resume is not None
        rows = (resume or {}).get("trace_rows", {})
        for table in self.tables:
            table.next = int(rows.get(table.spec["name"], 0))

    def __bool__(self):
        return bool(self.tables)

    # ------------------------------------------------------------------ timeline
    def actions(self):
        """{ACTION: sample} for the scheduler (none without tables)."""
        return {ACTION: self.sample} if self.tables else {}

    def timeline(self, events):
        """The model's events with every record time added, each before the model's own
        events at its time (the model's order kept)."""
        if not self.tables:
            return events
        times = sorted({round(float(t), 9) for table in self.tables for t in table.times})
        tagged = [(round(float(t), 9), 0, ACTION) for t in times] + [(round(float(t), 9), 1, n) for t, n in events]
        return [(t, name) for t, _, name in sorted(tagged, key=lambda e: (e[0], e[1]))]

    def sample(self, t):
        """The timeline action at a record time t (ms; every rank)."""
        for table in self.tables:
            if table.due(t):
                table.held.append(table.sample(t))
                table.next += 1
        held = sum(len(table.held) * len(table.gids) * len(table.variables) for table in self.tables)
        if held >= HELD_VALUES:   # the same decision on every rank: flush is collective
            self.flush()

    # ------------------------------------------------------------------ files
    def files(self):
        """The report files of every table."""
        return [name for table in self.tables for _, name in report_files(table.spec)]

    def sonata_reports(self):
        """The ``reports`` section of the run's simulation_config.json and the node sets
        its entries name, as the SONATA simulation config describes them.

        Each report file is one entry, named as ``netcol.load(...).reports()`` names it
        (the file's name without ``report_`` and ``.h5``); the cells of a table are the
        node set ``record_<name>`` (its node ids, listed).  Netcol's cells are point
        cells: each is one compartment, its soma, sampled at its centre.

        Returns
        -------
        reports : dict
            {report name: {cells, sections, type, variable_name, unit, dt, start_time,
            end_time, file_name, enabled}}, times in ms, file names relative to the
            output directory.
        node_sets : dict
            {node set name: {population, node_id}}.
        """
        from ..io.rundir import REPORT_PREFIX
        reports, node_sets = {}, {}
        units = self.model.binding.RECORDABLE if self.tables else {}
        for table in self.tables:
            spec = table.spec
            cells = f"record_{spec['name']}"
            node_sets[cells] = {"population": self.model.population, "node_id": [int(g) for g in table.gids]}
            for variable, name in report_files(spec):
                reports[name[len(REPORT_PREFIX):-len(".h5")]] = {
                    "cells": cells, "sections": "soma", "type": "compartment", "variable_name": variable,
                    "unit": units[variable][0], "dt": spec["interval"] * 1000.0,
                    "start_time": spec["start"] * 1000.0, "end_time": spec["stop"] * 1000.0,
                    "file_name": name, "enabled": True}
        return reports, node_sets

    def open(self, out_dir, run_id):
        """Create the reports, or (resume) cut them back to the samples the checkpoint
        counted (rank 0)."""
        from ..io.rundir import claim
        from ..io.traces import ReportWriter
        if not self.tables:
            return
        claim(out_dir, *self.files())
        units = self.model.binding.RECORDABLE
        for table in self.tables:
            spec = table.spec
            table.writers = [ReportWriter(out_dir / name, self.model.population, table.gids, variable,
                                          units[variable][0], spec["start"] * 1000.0, spec["interval"] * 1000.0,
                                          run_id=run_id, keep=table.next if self.resumed else None)
                             for variable, name in report_files(spec)]

    def flush(self):
        """Gather the samples held to rank 0 and append them to the reports (collective)."""
        if not any(table.held for table in self.tables):
            return
        local = [(table.local, np.stack(table.held) if table.held else None) for table in self.tables]
        for table in self.tables:
            table.held = []
        parts = self.pc.py_gather(local, 0)
        if self.rank != 0:
            return
        for k, table in enumerate(self.tables):
            rows = next((p[k][1].shape[0] for p in parts if p[k][1] is not None), 0)
            if not rows:
                continue
            block = np.empty((rows, len(table.gids), len(table.variables)))
            for part in parts:
                gids, values = part[k]
                if len(gids):
                    block[:, np.searchsorted(table.gids, gids), :] = values
            for j, writer in enumerate(table.writers):
                writer.append(block[:, :, j])

    def rows(self):
        """Samples written per table (after a flush: saved in checkpoints)."""
        return {table.spec["name"]: table.next for table in self.tables}

    def close(self):
        """Close the reports (rank 0)."""
        for table in self.tables:
            for writer in table.writers:
                writer.close()
            table.writers = []
