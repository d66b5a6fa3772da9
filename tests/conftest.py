"""Shared test set-up: the markers, and the fixture that runs the command line.

Select with ``-m``: ``pytest -m "not slow"`` for a quick pass, ``-m mpi`` for the
multi-rank tests, and so on."""
import subprocess

import pytest

from helpers import run_cli

MARKERS = {
    "mpi": "runs netcol on 2 MPI ranks",
    "gui": "opens NEURON's GUI on a virtual display (Xvfb)",
    "slow": "takes more than about 20 s of wall time",
    "reference": "checks reference mode against data measured from the original model",
}


#: Seconds a slow test may take before pytest-timeout fails it (the default, pyproject.toml's
#: ``timeout``, is 10 minutes); a test's own @pytest.mark.timeout wins.
SLOW_TIMEOUT = 1800


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


@pytest.fixture(scope="session")
def cli():
    """Run `netcol ARGS` in a new process: cli(*args, env=None, cwd=REPO, timeout=900)."""
    return run_cli


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs (root only), unmounted afterwards."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
