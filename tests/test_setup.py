"""Mechanism build cache, MPI start-up and headless start."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netcol.build.mechanisms import MechanismBuildError, build_key, build_mechanisms, mod_files

from helpers import REPO

LOAD = ("from netcol.engine.runtime import neuron_h, rank_and_size; h = neuron_h(); "
        "print('loaded', hasattr(h, 'NetcolIntf6'), *rank_and_size())")


def test_build_key_follows_sources_and_neuron_version(tmp_path):
    for f in mod_files():
        shutil.copy(f, tmp_path / f.name)
    files = mod_files(tmp_path)
    k1 = build_key(files, "9.0.2")
    assert build_key(files, "9.0.3") != k1
    first = files[0]
    first.write_text(first.read_text() + "\n: edited\n")
    assert build_key(files, "9.0.2") != k1


def test_failed_compile_reports_compiler_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCOL_CACHE", str(tmp_path / "cache"))
    mods = tmp_path / "mod"
    mods.mkdir()
    (mods / "broken.mod").write_text("NEURON { ARTIFICIAL_CELL Broken }\nINITIAL { x = undeclared_thing( }\n")
    with pytest.raises(MechanismBuildError) as err:
        build_mechanisms("9.0.2", mod_dir=mods)
    msg = str(err.value)
    assert "compiling the NMODL mechanisms" in msg and "rror" in msg
    # nothing half-built is left in the cache to be mistaken for a build
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]


@pytest.mark.timeout(1200)   # compiles the mechanisms
def test_concurrent_first_use_builds_once(tmp_path):
    env = dict(os.environ, NETCOL_CACHE=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", LOAD], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=600) for p in procs]
    for (out, err), p in zip(outs, procs):
        assert p.returncode == 0, err
        assert "loaded True 0 1" in out
    builds = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(builds) == 1 and builds[0].name.startswith("nrn")
    # the one process that compiled said so (a minute of silence looks like a hang)
    assert sum(err.count("netcol: compiling the NMODL mechanisms") for _, err in outs) == 1


@pytest.mark.timeout(600)
def test_ctrl_c_during_the_first_compile_says_interrupted(tmp_path):
    """Ctrl-C while the mechanisms compile: one line saying so, no traceback, and nothing
    half-built left in the cache."""
    import signal
    import time
    env = dict(os.environ, NETCOL_CACHE=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "netcol.cli", "run", "baseline", "--set", "duration=1",
                             "--out", str(tmp_path / "run"), "--quiet"], cwd=REPO, env=env, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    first = proc.stderr.readline()   # blocks until the compile announces itself
    assert "netcol: compiling the NMODL mechanisms" in first, first
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)   # as a terminal's Ctrl-C reaches the whole group
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, rest
    assert "netcol: interrupted" in rest and "Traceback" not in rest and "failed" not in rest
    assert not [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith(("nrn", "build-"))]


def test_stray_x86_64_in_cwd_is_not_loaded(tmp_path):
    # a directory named x86_64 with garbage would make plain `import neuron` fail
    (tmp_path / "x86_64" / ".libs").mkdir(parents=True)
    (tmp_path / "x86_64" / ".libs" / "libnrnmech.so").write_text("not a library")
    out = subprocess.run([sys.executable, "-c", LOAD], cwd=tmp_path, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.returncode == 0, out.stderr
    assert "loaded True" in out.stdout


def test_headless_with_unusable_display():
    env = dict(os.environ, DISPLAY=":987")
    out = subprocess.run([sys.executable, "-c", LOAD], cwd=REPO, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "loaded True 0 1" in out.stdout


def test_runs_under_project_mpiexec_on_two_ranks():
    mpiexec = Path(sys.executable).parent / "mpiexec"
    assert mpiexec.exists(), "the mpich wheel provides mpiexec in the environment"
    env = {k: v for k, v in os.environ.items() if k != "MPI_LIB_NRN_PATH"}
    # ranks report to rank 0, which prints once (two ranks printing could interleave)
    code = ("from netcol.engine.runtime import neuron_h, parallel_context, rank_and_size; h = neuron_h(); "
            "pc = parallel_context(); got = pc.py_gather((hasattr(h, 'NetcolIntf6'), *rank_and_size()), 0); "
            "print('gathered', sorted(got)) if pc.id() == 0 else None")
    out = subprocess.run([str(mpiexec), "-n", "2", sys.executable, "-c", code], cwd=REPO,
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "gathered [(True, 0, 2), (True, 1, 2)]" in out.stdout


@pytest.mark.timeout(1200)   # compiles the mechanisms
def test_a_built_wheel_runs_outside_the_checkout(tmp_path):
    """Build the wheel, install it into a fresh virtual environment (its dependencies taken
    from this one's site-packages, without this checkout), and run from another folder."""
    import sysconfig
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    target = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", target,
                    *wheels.glob("netcol-*.whl")], check=True, capture_output=True, timeout=600)
    # the dependencies (NEURON, numpy, h5py, ...) from this environment, appended after the
    # new one's own site-packages: a path line in a .pth file does not run this
    # environment's editable-install hook, so netcol can only come from the wheel
    Path(target, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
               f"{os.environ['PATH']}", NETCOL_CACHE=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)   # a checkout on the path would hide the wheel's files
    where = subprocess.run([py, "-c", "import netcol, netcol.config.paths as p; print(netcol.__file__, p.mod_dir(), "
                            "p.params_dir('rowan2013'), p.batch_dir('rowan2013'))"],
                           cwd=elsewhere, capture_output=True, text=True, env=env)
    assert where.returncode == 0 and str(REPO) not in where.stdout, where.stderr
    assert all(target in place for place in where.stdout.split()), where.stdout
    r = subprocess.run([py, "-m", "netcol.cli", "run", "baseline", "--set", "duration=2", "--quiet", "--no-figure"],
                       cwd=elsewhere, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "runs" / "baseline" / "spikes.h5").exists()
    assert (tmp_path / "cache").exists()   # the mechanisms were compiled from the wheel's mod/


def test_the_top_level_is_the_design_cards():
    """setup.py (a shim), mod/, netcol/, batch/<model>/, params/<model>/, tests/, Makefile and
    README.md at the top; each model's experiments in params/<model>/experiments and the
    generic modules grouped by layer inside netcol/."""
    for name in ("setup.py", "mod", "netcol", "batch", "params", "tests", "Makefile", "README.md", "pyproject.toml"):
        assert (REPO / name).exists(), name
    from netcol.models import model, names
    for name in names():
        assert model(name).PARAMS_DIR == REPO / "params" / name
        assert list((REPO / "params" / name / "experiments").glob("*.toml")), name
    assert not list((REPO / "netcol" / "models").glob("*/params")) and not list((REPO / "netcol" / "models").glob("*/sweeps"))
    for layer in ("config", "build", "engine", "io", "analysis", "views"):
        assert (REPO / "netcol" / layer / "__init__.py").exists(), layer
    assert sorted(p.name for p in (REPO / "netcol").glob("*.py")) == ["__init__.py", "cli.py"]
