"""Compile netcol's NMODL mechanisms on first use and load them.

The compiled library is cached under ``$NETCOL_CACHE`` (default
``~/.cache/netcol``) in a folder keyed by a hash of the mod sources, the compiler options
(``COMPILE_FLAGS``) and the NEURON version, so an edited mod file or a new NEURON rebuilds
automatically; a build whose
library no longer matches its recorded checksum is rebuilt too.  When several
MPI ranks start at once, one builds while the others wait on a file lock.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config.paths import mod_dir

MOD_DIR = mod_dir()
#: File in a build folder naming its library and the library's SHA-256.
MANIFEST = "netcol-build.txt"
#: Compiler options added to nrnivmodl's -O2 (its -incflags are the only way in).  -O3
#: made the column 12 % faster in an A/B of 60-s baselines with identical spikes in both
#: modes; fused multiply-adds stay off so that results keep the same bits on every
#: processor (GCC contracts by default where FMA is part of the base instruction set).
COMPILE_FLAGS = "-O3 -ffp-contract=off"


class MechanismBuildError(RuntimeError):
    """The NMODL sources failed to compile; the message holds the compiler's errors."""


def mod_files(mod_dir=MOD_DIR):
    """Return the sorted list of files netcol compiles: the .mod files and the C++ headers
    they include (.hpp).

    Parameters
    ----------
    mod_dir : pathlib.Path
        Folder with the NMODL sources.

    Returns
    -------
    list of pathlib.Path
    """
    files = sorted(Path(mod_dir).glob("*.mod"))
    if not files:
        raise MechanismBuildError(f"netcol: no .mod files found in {mod_dir}")
    return files + sorted(Path(mod_dir).glob("*.hpp"))


def cache_root():
    """Return the root folder of the mechanism cache."""
    return Path(os.environ.get("NETCOL_CACHE", Path.home() / ".cache" / "netcol"))


def build_key(files, neuron_version):
    """Hash of the mod sources, the compiler options and the NEURON version that names a
    build folder."""
    digest = hashlib.sha256(neuron_version.encode())
    digest.update(COMPILE_FLAGS.encode())
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return f"nrn{neuron_version}-{digest.hexdigest()[:16]}"


def _library_in(folder):
    hits = sorted(Path(folder).glob("*/libnrnmech.so")) + sorted(Path(folder).glob("*/.libs/libnrnmech.so"))
    return hits[0] if hits else None


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _intact_library(folder):
    """The build's library if it is exactly what was built (the manifest's checksum), else
    None: loading a damaged library would crash the process (a truncated file is a bus
    error inside dlopen), so a damaged build is rebuilt instead."""
    try:
        rel, digest = (Path(folder) / MANIFEST).read_text().split()
    except (OSError, ValueError):
        return None
    lib = Path(folder) / rel
    return lib if lib.exists() and _digest(lib) == digest else None


def _compile(files, dest):
    """Run nrnivmodl on copies of the mod files in a temporary folder, then move it to dest."""
    nrnivmodl = shutil.which("nrnivmodl", path=os.path.dirname(sys.executable) + os.pathsep
                             + os.environ.get("PATH", ""))
    if nrnivmodl is None:
        raise MechanismBuildError("netcol: nrnivmodl not found; is NEURON installed in this environment?")
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=dest.parent))
    # a minute of silence looks like a hang: say what is happening and that it happens once
    print(f"netcol: compiling the NMODL mechanisms of {files[0].parent} (once per NEURON version and change of "
          f"mod/; about a minute) into {dest}", file=sys.stderr, flush=True)
    try:
        for f in files:
            shutil.copy2(f, tmp / f.name)
        # the headers are found from the build folder, where nrnivmodl compiles the C++
        proc = subprocess.run([nrnivmodl, "-incflags", f"-I{tmp} {COMPILE_FLAGS}", "."], cwd=tmp,
                              capture_output=True, text=True)
        if proc.returncode < 0:   # the compiler was stopped by a signal (Ctrl-C reaches it too)
            raise KeyboardInterrupt
        lib = _library_in(tmp)
        if proc.returncode != 0 or lib is None:
            out = (proc.stdout + proc.stderr).splitlines()
            errors = [ln for ln in out if "error" in ln.lower()] or out[-20:]
            raise MechanismBuildError(
                "netcol: compiling the NMODL mechanisms in mod/ failed:\n  "
                + "\n  ".join(errors[:30]))
        (tmp / MANIFEST).write_text(f"{lib.relative_to(tmp)} {_digest(lib)}\n")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def build_mechanisms(neuron_version, mod_dir=MOD_DIR):
    """Return the path of the compiled mechanism library, compiling it if needed.

    Parameters
    ----------
    neuron_version : str
        Version of the running NEURON (part of the cache key).
    mod_dir : pathlib.Path
        Folder with the NMODL sources.

    Returns
    -------
    pathlib.Path
        Path of ``libnrnmech.so``.

    Raises
    ------
    MechanismBuildError
        If compilation fails (the compiler's error lines are in the message).
    """
    files = mod_files(mod_dir)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    dest = root / build_key(files, neuron_version)
    lib = _intact_library(dest)
    if lib is not None:
        return lib
    with open(root / (dest.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _intact_library(dest) is None:
                if dest.exists():
                    print(f"netcol: the compiled mechanisms in {dest} are damaged or incomplete; rebuilding them",
                          file=sys.stderr)
                    shutil.rmtree(dest)
                _compile(files, dest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    lib = _intact_library(dest)
    if lib is None:
        raise MechanismBuildError(f"netcol: the build in {dest} holds no intact libnrnmech.so; delete it and retry")
    return lib


def load_mechanisms(h):
    """Compile (if needed) and load netcol's mechanisms into NEURON ``h``.

    Parameters
    ----------
    h : hoc.HocObject
    """
    from ..cells import BINDINGS
    if all(hasattr(h, name) for name in BINDINGS):
        return
    import neuron
    lib = build_mechanisms(neuron.__version__)
    if not h.nrn_load_dll(str(lib)):
        raise MechanismBuildError(f"netcol: NEURON could not load {lib}")
