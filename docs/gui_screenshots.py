"""Take the GUI screenshots in docs/figures (docs/running.md shows them): the column's and
vogels2011's GUI at 1366 x 768 and 1920 x 1080, each on a virtual X display (Xvfb) of
that size after a short run of its experiment.

    .venv/bin/python docs/gui_screenshots.py              # all four
    .venv/bin/python docs/gui_screenshots.py column       # the column's two

Needs Xvfb (``apt-get install xvfb``); writes docs/figures/gui_<name>_<w>x<h>.png.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIGURES = REPO / "docs" / "figures"
SIZES = ((1366, 768), (1920, 1080))
#: What each screenshot shows: `netcol gui` arguments. The column: scaling on at 1 s and a
#: deletion round a second, browsing an E2 cell that fires 5 times in the 3 s (its sensor
#: steps up at each spike; its goal, set at 1 s, is its rate until then, 2 Hz).
#: vogels2011: its 1,000-cell network, plasticity on at 1 s.
SHOTS = {
    "column": ["scalingwithdeletion", "--set", "duration=3", "--set", "scaling_start=1", "--set",
               "segment_length=1", "--run", "3", "--browse", "381"],
    "vogels2011": ["vogels2011_small", "--set", "duration=1.5", "--set", "plasticity_start=1", "--run", "1.5",
                   "--browse", "10"],
}


def free_display():
    """A display number no X server holds."""
    return next(n for n in range(90, 200) if not os.path.exists(f"/tmp/.X{n}-lock"))


def shoot(name, size):
    """Run `netcol gui` for SHOTS[name] on a fresh Xvfb of size and save the screen."""
    from PIL import ImageGrab
    display = f":{free_display()}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{size[0]}x{size[1]}x24"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        gui = subprocess.Popen([sys.executable, "-m", "netcol.cli", "gui", *SHOTS[name], "--hold", "30"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, DISPLAY=display))
        try:
            line = gui.stdout.readline()
            if not line:
                raise SystemExit(f"netcol gui {' '.join(SHOTS[name])} failed:\n{gui.stderr.read()}")
            summary = json.loads(line)
            time.sleep(1.0)   # the windows drawn
            out = FIGURES / f"gui_{name}_{size[0]}x{size[1]}.png"
            ImageGrab.grab(xdisplay=display).save(out)
        finally:
            gui.terminate()
            gui.wait(timeout=30)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    print(f"{out.relative_to(REPO)}: t = {summary['t']:g} ms, {summary['spikes']} spikes")


def main(names):
    for name in names or SHOTS:
        if name not in SHOTS:
            raise SystemExit(f"no screenshot {name!r}; known: {', '.join(SHOTS)}")
        for size in SIZES:
            shoot(name, size)


if __name__ == "__main__":
    main(sys.argv[1:])
