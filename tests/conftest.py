"""Shared test set-up: the markers, and the fixture that runs the command line.

Select with ``-m``: ``pytest -m "not slow"`` for a quick pass, ``-m mpi`` for the
multi-rank tests, and so on."""
import pytest

from helpers import run_cli

MARKERS = {
    "mpi": "runs netcol on 2 MPI ranks",
    "gui": "opens NEURON's GUI on a virtual display (Xvfb)",
    "slow": "takes more than about 20 s of wall time",
    "reference": "checks reference mode against data measured from the original model",
}


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")


@pytest.fixture(scope="session")
def cli():
    """Run `netcol ARGS` in a new process: cli(*args, env=None, cwd=REPO, timeout=900)."""
    return run_cli
