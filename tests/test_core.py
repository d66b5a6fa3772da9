"""The column's cell core (mod/netcol_intf6_core.hpp), which both engines run: compiled
alone with warnings as errors into a small harness (tests/core_harness.cpp) and checked
through it: its exp is NMODL's, its MCellRan4 stream is NEURON's, the lazy drive gives the
bits of one event per input, and its state names round-trip."""
import ctypes
import importlib.util
import math
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from netcol.cells.intf6 import CELL_ARRAYS, STATE_SCALARS

from helpers import REPO, in_fresh_process

NEURON_DIR = Path(importlib.util.find_spec("neuron").submodule_search_locations[0]) / ".data"
#: The harness is compiled as netcol compiles mod/ (-O3, no fused multiply-adds) and with
#: every warning an error.
FLAGS = ["-std=c++17", "-O3", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared"]


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    lib = tmp_path_factory.mktemp("core") / "core_harness.so"
    r = subprocess.run([compiler, *FLAGS, f"-I{REPO / 'mod'}", f"-I{NEURON_DIR / 'include'}",
                        str(REPO / "tests" / "core_harness.cpp"), "-o", str(lib), "-ldl"], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    core = ctypes.CDLL(str(lib))
    dp, ip = ctypes.POINTER(ctypes.c_double), ctypes.c_int
    core.core_hexp.restype, core.core_hexp.argtypes = ctypes.c_double, [ctypes.c_double]
    core.core_mcellran4.argtypes = [ctypes.c_double, ctypes.c_double, ip, dp]
    core.core_run_cell.restype = ip
    core.core_run_cell.argtypes = [ctypes.c_double, ip, ctypes.c_double, ip, ctypes.c_double, ip, dp, dp, dp, ip, dp,
                                   ctypes.POINTER(ctypes.c_long)]
    core.core_state_round_trip.restype = ip
    core.core_state_round_trip.argtypes = [ctypes.POINTER(ctypes.c_char_p), ip]
    return core


def bits(x):
    return struct.pack("<d", x)


def exp_arguments():
    """Arguments of exp to compare: the range ends, NaN, and 40,000 drawn ones."""
    rng = random.Random(1)
    xs = [-700.0, math.nextafter(-700.0, -1), math.nextafter(-700.0, 0), -745.2, -710.0, 0.0, -0.0, -1e-300,
          700.0, float("-inf"), float("nan")]
    return xs + [rng.uniform(-800, 0) for _ in range(20000)] + [-rng.expovariate(0.01) for _ in range(20000)]


def hoc_exp_bits():
    """hoc_Exp of each of exp_arguments() as the bytes' hex (NEURON loaded first: its
    library needs it)."""
    import neuron  # noqa: F401
    lib = ctypes.CDLL(str(NEURON_DIR / "lib" / "libnrniv.so"))
    hoc_exp = getattr(lib, "_Z7hoc_Expd", None) or getattr(lib, "hoc_Exp")
    hoc_exp.restype, hoc_exp.argtypes = ctypes.c_double, [ctypes.c_double]
    return [bits(hoc_exp(x)).hex() for x in exp_arguments()]


def test_hexp_is_nmodls_exp(core):
    """The rules NetcolIntf6 wrote in NMODL used NEURON's hoc_Exp (0 below -700): the core's
    hexp gives its bits everywhere, the range ends and NaN included."""
    assert [bits(core.core_hexp(x)).hex() for x in exp_arguments()] == in_fresh_process(hoc_exp_bits)


def neuron_mcellran4(high, low, n):
    """n values of hoc's Random.MCellRan4(high, low) with negexp(1), as the original's NetStims draw."""
    from neuron import h
    r = h.Random()
    r.MCellRan4(high, low)
    return [r.negexp(1)] + [r.repick() for _ in range(n - 1)]


@pytest.mark.parametrize("high, low", [(1235, 57), (1, 0), (2**31 + 5, 4000)])
def test_mcellran4_is_neurons(core, high, low):
    """Reference mode's streams: the core's MCellRan4 draws are hoc's, bit for bit."""
    out = (ctypes.c_double * 50)()
    core.core_mcellran4(high, low, 50, out)
    expected = in_fresh_process(neuron_mcellran4, high=high, low=low, n=50)
    assert [bits(x) for x in out] == [bits(x) for x in expected]


def run_cell(core, horizon, scaling, ton=0.0, full=True, t_end=3000.0, inputs=()):
    n = len(inputs)
    syn_t = (ctypes.c_double * max(n, 1))(*[t for t, _ in inputs])
    syn_w = (ctypes.c_double * max(n, 1))(*[w for _, w in inputs])
    spikes = (ctypes.c_double * 10000)()
    state = (ctypes.c_double * 20)()
    events = ctypes.c_long()
    k = core.core_run_cell(horizon, int(scaling), ton, int(full), t_end, n, syn_t, syn_w, spikes, 10000, state,
                           ctypes.byref(events))
    return np.array(spikes[:k]), np.array(state[:]), events.value


@pytest.mark.parametrize("scaling", [False, True])
def test_lazy_drive_gives_the_bits_of_one_event_per_input(core, scaling):
    """A cell under four drive streams and synaptic inputs, its events handled through
    nc::receive as the engines handle them: planning ahead (inputs applied from the
    planner's cached states, one real event for many) and with the plan horizon at 0
    (every input a real event), on the event path with every feature and on the lean one
    (FULL = false), and run alone as the rank engine runs it (nc::run_until: each drive
    input in time order up to each synaptic input, on both paths), give the same spikes
    and the same final state, bit for bit, with scaling (its steps at every input and at
    the delivery callbacks) and without; planning ahead needs a fraction of the events."""
    rng = np.random.default_rng(3)
    inputs = sorted(zip(rng.uniform(0, 3000, 300).tolist(), rng.uniform(0.5, 12.0, 300).tolist()))
    lazy = run_cell(core, 1e20, scaling, ton=700.0, inputs=inputs)
    each = run_cell(core, 0.0, scaling, ton=700.0, inputs=inputs)
    lean = run_cell(core, 1e20, scaling, ton=700.0, full=False, inputs=inputs)
    alone = run_cell(core, -1.0, scaling, ton=700.0, inputs=inputs)
    alone_lean = run_cell(core, -1.0, scaling, ton=700.0, full=False, inputs=inputs)
    assert len(lazy[0]) > 10
    for other in (each, lean, alone, alone_lean):
        assert lazy[0].tobytes() == other[0].tobytes()
        assert lazy[1].tobytes() == other[1].tobytes()
    assert lazy[2] == lean[2] and lazy[2] < each[2] / 3
    if scaling:
        assert lazy[1][15] != 1.0   # the scale factor moved


def test_state_names_round_trip(core):
    """Every state netcol.cells.intf6.State reads by name (the scalars a checkpoint saves
    but the RANGE ones, cvalid, and the arrays) is known to the core and reads back what
    was set; an unknown name is refused."""
    names = [*sorted(STATE_SCALARS), *CELL_ARRAYS]
    arr = (ctypes.c_char_p * len(names))(*[n.encode() for n in names])
    assert core.core_state_round_trip(arr, len(names)) == 0


def mechanism_library():
    """The compiled mechanisms' library (built if needed)."""
    import neuron
    from netcol.build.mechanisms import build_mechanisms
    return str(build_mechanisms(neuron.__version__))


def identifiers(path):
    """The identifiers of a C++ file's code (comments and string literals left out)."""
    s = Path(path).read_text()
    s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
    s = re.sub(r"//[^\n]*", " ", s)
    s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
    return s, set(re.findall(r"\b[A-Za-z_]\w*\b", s))


def test_core_names_are_not_the_mods_macros():
    """The mods' RANGE and GLOBAL variables and FUNCTION names are macros in their generated
    C++, which include the core: no variable, field, type or constant of the core (or of
    the membrane arithmetic it includes) may be one of them, or it would be renamed in one
    engine's file and not in the other's (a RANGE variable's would not compile).  Only the
    core's functions (static, so renaming them is harmless) and exp (which the core
    un-defines) may."""
    generated = Path(in_fresh_process(mechanism_library)).parent
    macros = set()
    for name in ("netcolintf6.cpp", "netcolcolumn.cpp"):
        macros |= set(re.findall(r"^\s*#\s*define\s+([A-Za-z_]\w*)", (generated / name).read_text(), flags=re.M))
    clashes = {}
    for header in ("netcol_intf6_core.hpp", "netcol_intf6_math.hpp", "netcol_arrival_queue.hpp"):
        code, names = identifiers(REPO / "mod" / header)
        functions = set(re.findall(r"(?:static inline|NC_INLINE)[^;{()]*?\b([A-Za-z_]\w*)\s*\(", code))
        clashes[header] = sorted((names & macros) - functions - {"exp"})
    assert clashes == {"netcol_intf6_core.hpp": [], "netcol_intf6_math.hpp": [], "netcol_arrival_queue.hpp": []}


def test_both_engines_give_the_settings_in_the_cores_order():
    """nc::settings_from reads the module-wide settings by position: NetcolIntf6 lists its
    GLOBALs for it (netcol_settings in the mod file) and netcol.cells.intf6rank.SETTINGS
    names them for NetcolColumn, in the same order, all of them."""
    from netcol.cells.intf6rank import SETTINGS
    mod = (REPO / "mod" / "netcolintf6.mod").read_text()
    listed = re.search(r"const double v\[nc::NSETTINGS\] = \{([^}]*)\}", mod).group(1)
    core = (REPO / "mod" / "netcol_intf6_core.hpp").read_text()
    n = int(re.search(r"constexpr int NSETTINGS = (\d+);", core).group(1))
    assert [x.strip() for x in listed.split(",")] == list(SETTINGS)
    body = re.search(r"Settings settings_from\(const double\* v\) \{(.*?)return e;", core, flags=re.S).group(1)
    assert len(SETTINGS) == n == len(set(re.findall(r"\bv\[(\d+)\]", body)))


def test_the_rank_engines_queue_keeps_the_order_of_one_event_per_arrival(tmp_path):
    """mod/netcol_arrival_queue.hpp queues a spike's arrivals as one event and takes them in
    delay order: compiled alone with warnings as errors (tests/queue_harness.cpp), it hands
    out every arrival and single event in the order of (time, queueing order) that a queue
    of one event per arrival gives, also where unequal delays reach a cell at the same time
    (late spikes, delays one ulp apart), which must then come in the order the synapses
    were built."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler")
    lib = tmp_path / "queue_harness.so"
    r = subprocess.run([compiler, *FLAGS, f"-I{REPO / 'mod'}", str(REPO / "tests" / "queue_harness.cpp"), "-o", str(lib)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    harness = ctypes.CDLL(str(lib))
    harness.queue_order_matches.argtypes = [ctypes.c_uint, ctypes.POINTER(ctypes.c_int)]
    ties = ctypes.c_int()
    for seed in range(20):
        assert harness.queue_order_matches(seed, ctypes.byref(ties)) == 1, seed
        assert ties.value > 0, seed   # the same-time path ran
