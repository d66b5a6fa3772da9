"""Start NEURON the way netcol needs it: headless, with MPI when launched under mpiexec.

NEURON must be configured before it is first imported, so every netcol module that
needs the simulator obtains it through :func:`neuron_h` rather than importing
``neuron`` itself.
"""
import os

_MPI_ENV_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_RANK",
                 "MPI_LOCALRANKID", "HYDI_CONTROL_FD")
_state = {}


def launched_under_mpi():
    """Return True if this process was started by an MPI launcher (mpiexec, srun).

    Returns
    -------
    bool
    """
    if any(v in os.environ for v in _MPI_ENV_VARS):
        return True
    return int(os.environ.get("SLURM_NTASKS", "1")) > 1 and "SLURM_PROCID" in os.environ


def launcher_rank_and_size():
    """(rank, ranks) as the MPI launcher set them in the environment, without starting
    NEURON or MPI; (0, 1) when not launched under MPI.

    Returns
    -------
    tuple of int
    """
    for rank_var, size_var in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                               ("PMIX_RANK", "PMIX_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS")):
        if rank_var in os.environ:
            return int(os.environ[rank_var]), int(os.environ.get(size_var, "1"))
    if "pc" in _state:
        return rank_and_size()
    return 0, 1


def _loaded_mpi_library():
    """Path of the libmpi that mpi4py loaded into this process (Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                name = os.path.basename(path)
                if name.startswith(("libmpi.so", "libmpich.so")):
                    return path
    except OSError:
        pass
    return None


def _configure_mpi():
    """Initialise MPI through mpi4py and tell NEURON which MPI library to use."""
    from mpi4py import MPI  # noqa: F401  (initialises MPI and loads libmpi)
    if "MPI_LIB_NRN_PATH" not in os.environ:
        lib = _loaded_mpi_library()
        if lib is None:
            raise RuntimeError(
                "netcol: running under an MPI launcher but no MPI library was found; "
                "set MPI_LIB_NRN_PATH to the full path of libmpi.so")
        os.environ["MPI_LIB_NRN_PATH"] = lib


def neuron_h():
    """Return NEURON's ``h`` with netcol's mechanisms loaded, starting NEURON once.

    The GUI is off (``-nogui``) unless ``NETCOL_GUI=1`` is set, so that an unusable
    DISPLAY never stops a batch run.  Under an MPI launcher MPI is initialised and
    ``h.nrnmpi_init()`` is called.

    Returns
    -------
    hoc.HocObject
    """
    if "h" in _state:
        return _state["h"]
    gui = os.environ.get("NETCOL_GUI") == "1"
    if not gui:
        opts = os.environ.get("NEURON_MODULE_OPTIONS", "")
        if "-nogui" not in opts:
            os.environ["NEURON_MODULE_OPTIONS"] = (opts + " -nogui").strip()
    use_mpi = launched_under_mpi()
    if use_mpi:
        _configure_mpi()
    # Keep NEURON from loading a stray x86_64/ from the current directory:
    # netcol loads its own compiled mechanisms explicitly.
    cwd = os.getcwd()
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    try:
        from neuron import h
    finally:
        os.chdir(cwd)
    if use_mpi:
        h.nrnmpi_init()
    h.load_file("stdrun.hoc")
    from ..build.mechanisms import load_mechanisms
    load_mechanisms(h)
    _state["h"] = h
    return h


def parallel_context():
    """Return the process's ParallelContext (one per process).

    Returns
    -------
    hoc.HocObject
    """
    if "pc" not in _state:
        _state["pc"] = neuron_h().ParallelContext()
    return _state["pc"]


def rank_and_size():
    """Return (rank, number of ranks) of this process.

    Returns
    -------
    tuple of int
    """
    pc = parallel_context()
    return int(pc.id()), int(pc.nhost())



def window_names():
    """Titles of the open NEURON GUI windows.

    Returns
    -------
    list of str
    """
    pwm = neuron_h().PWManager()
    return [pwm.name(i) for i in range(int(pwm.count()))]


def scratch_vectors(n):
    """n hoc Vectors kept for reuse, for handing arrays to mechanisms between blocks.

    NEURON 9.0.2 keeps about 90 bytes for every hoc Vector ever created, so a Vector made
    per cell per refill (reference mode's playback) grew a run by 70 MB per 1000 simulated
    seconds.  A caller fills them with :func:`filled` and must be done with them before
    asking again.

    Parameters
    ----------
    n : int

    Returns
    -------
    list of hoc.HocObject
    """
    h = neuron_h()
    pool = _state.setdefault("scratch", [])
    while len(pool) < n:
        pool.append(h.Vector())
    return pool[:n]


def filled(vector, values):
    """The hoc Vector, holding values (resized to them)."""
    import numpy as np
    vector.from_python(np.asarray(values, dtype=float))
    return vector
