"""The netcol command line through its real entry point: run, info, plot, report, help,
and bad input."""
import json
import re

import numpy as np
import pytest

from helpers import run_cli as netcol

COMMANDS = ["run", "resume", "info", "plot", "report", "sweep", "sweep-summary", "gui"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A short training run (for figures 4), and a short deletion run with trials."""
    base = tmp_path_factory.mktemp("figs")
    r = netcol("run", "onlytraining", "--set", "duration=20", "--set", "learn_start=5", "--set", "learn_end=15",
               "--out", str(base / "onlytraining"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert "figure:" in r.stdout and (base / "onlytraining" / "raster.png").exists()
    r = netcol("run", "onlydeletion", "--set", "duration=24", "--set", "segment_length=10", "--set", "trial_length=2",
               "--set", "recording_interval=4", "--out", str(base / "onlydeletion"), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    return base


def test_information_per_deletion_segment(runs):
    """The trials of each segment between deletion rounds (10 s of 2-s trials, unique
    from 0 s: three unique and two repeat trials in the first, two and three in the
    second) give one information rate each (Figure 2, panel D)."""
    from netcol.models.rowan2013 import measures
    info = measures.segment_information(runs / "onlydeletion", 10.0)
    assert info["t0"].tolist() == [0.0, 10.0]
    assert info["n_unique"].tolist() == [3, 2] and info["n_repeat"].tolist() == [2, 3]
    assert np.isfinite(info["corrected"]).all() and (info["low"] <= info["high"]).all()


def test_info(runs):
    r = netcol("info", str(runs / "onlytraining"), "--params")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "experiment: onlytraining" in out and "status: complete" in out and "reached 20 of 20 s" in out
    assert "rates 5-20 s: E " in out and "I " in out and "learn_end = 15.0" in out
    meta = json.loads((runs / "onlytraining" / "run.json").read_text())
    assert f"spikes: {meta['spikes']}" in out


def test_info_says_a_resumed_runs_wall_time_is_since_resuming(tmp_path):
    """run.json keeps the last process's wall time: info must not pass it off as the run's."""
    out = tmp_path / "run"
    args = ["baseline", "--set", "duration=4", "--checkpoint-every", "2", "--out", str(out), "--quiet", "--no-figure"]
    assert netcol("run", *args, env={"NETCOL_FAULT": "sigterm@3"}).returncode == 130
    assert netcol("resume", str(out), "--quiet", "--no-figure").returncode == 0
    r = netcol("info", str(out))
    assert re.search(r"wall [0-9.]+ s since resuming at 2 s \(", r.stdout), r.stdout


@pytest.mark.parametrize("what", ["raster", "rates", "activity", "scale", "spectra", "weights"])
def test_plot_views(runs, what):
    r = netcol("plot", str(runs / "onlytraining"), "--what", what)
    assert r.returncode == 0, r.stderr
    for ext in ("png", "pdf"):
        assert (runs / "onlytraining" / f"{what}.{ext}").stat().st_size > 5000


def test_plot_information_needs_trials(runs):
    r = netcol("plot", str(runs / "onlydeletion"), "--what", "info")
    assert r.returncode == 0, r.stderr
    assert (runs / "onlydeletion" / "info.png").exists()
    r = netcol("plot", str(runs / "onlytraining"), "--what", "info")
    assert r.returncode == 2 and "fewer than two trials" in r.stderr and "Traceback" not in r.stderr


def test_paper_figure_from_a_folder_of_runs(runs):
    r = netcol("plot", str(runs), "--figure", "4")
    assert r.returncode == 0, r.stderr
    assert (runs / "figure4.png").exists() and (runs / "figure4.pdf").exists()
    r = netcol("plot", str(runs), "--figure", "3")      # needs an onlyscaling run
    assert r.returncode == 2 and "needs a run of 'onlyscaling'" in r.stderr and "netcol run onlyscaling" in r.stderr


def test_plot_window_dpi_and_out(runs, tmp_path):
    from PIL import Image
    sizes = {}
    for dpi in (100, 200):
        out = tmp_path / f"raster{dpi}"
        r = netcol("plot", str(runs / "onlytraining"), "--what", "raster", "--window", "4", "6", "--dpi", str(dpi),
                   "--out", str(out))
        assert r.returncode == 0, r.stderr
        sizes[dpi] = Image.open(out.with_suffix(".png")).size
        assert out.with_suffix(".pdf").exists()
    assert 1.8 < sizes[200][0] / sizes[100][0] < 2.2                 # the PNG follows --dpi
    r = netcol("plot", str(runs / "onlytraining"), "--what", "raster", "--window", "6", "4")
    assert r.returncode == 2 and "T0 must be before T1" in r.stderr


def test_figures_mark_previews_and_the_protocol(runs):
    from netcol.views.figstyle import preview_note, pyplot
    from netcol.models.rowan2013.figures import draw_timecourse, sensor_label
    # both runs were shortened with --set duration: their figures say so
    assert preview_note(runs / "onlytraining") == "onlytraining run for 20 of 9600 s"
    ax = pyplot().subplots()[1]
    draw_timecourse(ax, [runs / "onlytraining"], "activity", sensor_label(runs / "onlytraining"), measured=True)
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "learning" in labels and "training, no scaling" in labels
    assert "training, no scaling: measured rate" in labels
    assert ax.get_ylabel().startswith("E activity sensor (")            # named as the sensor, with its filter
    ax = pyplot().subplots()[1]
    draw_timecourse(ax, [runs / "onlydeletion"], "scale", "scale")
    assert "deletion rounds" in [h.get_label() for h in ax.get_legend().legend_handles]
    # Figure 2's activity: on a log axis from half the lowest line, room for the legend above
    ax = pyplot().subplots()[1]
    draw_timecourse(ax, [runs / "onlydeletion"], "activity", "E activity", log=True)
    line = ax.get_lines()[0].get_ydata()
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] == pytest.approx(line[line > 0].min() / 2)
    assert ax.get_ylim()[1] > 10 * line.max() and ax.get_legend() is not None


def test_figures_of_an_unfinished_run_say_how_far_it_got(runs, tmp_path):
    """A run read while it goes (or after it stopped) is stamped as unfinished, with the
    time it reached: its figure must not pass for the whole run's."""
    import shutil
    from netcol.views.figstyle import preview_note
    run = tmp_path / "onlytraining"
    shutil.copytree(runs / "onlytraining", run)
    meta = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(dict(meta, status="running")))
    assert preview_note(run).startswith("onlytraining unfinished at ") and preview_note(run).endswith(" of 20 s")


def test_scale_factors_spanning_decades_are_drawn_on_a_log_axis():
    """After deletions the quartiles run from 1e-5 to 1e2: a linear axis drew the median's
    fall as a flat line.  Factors near 1 keep a linear axis, at least 0.02 wide."""
    from netcol.views.figstyle import pyplot
    from netcol.models.rowan2013.figures import MIN_SCALE_SPAN, _readable_scale_axis
    ax = pyplot().subplots()[1]
    ax.plot([0, 1], [1e-5, 80.0])
    _readable_scale_axis(ax, 79.0, np.array([1e-5, 0.05, 80.0]))
    assert ax.get_yscale() == "log"
    ax = pyplot().subplots()[1]
    ax.plot([0, 1], [0.999, 1.001])
    _readable_scale_axis(ax, 0.001, np.array([0.999, 1.001]))
    lo, hi = ax.get_ylim()
    assert ax.get_yscale() == "linear" and hi - lo >= MIN_SCALE_SPAN


def test_a_timecourse_and_its_goal_come_from_one_read_of_the_records(runs, monkeypatch):
    """A running run adds records between two reads: the activity and its goal are drawn
    from one read, so their lengths agree."""
    from netcol.views.figstyle import pyplot
    from netcol.models.rowan2013 import measures
    from netcol.models.rowan2013.figures import draw_timecourse
    reads = []
    real = measures.read_records
    monkeypatch.setattr(measures, "read_records", lambda d: reads.append(d) or real(d))
    draw_timecourse(pyplot().subplots()[1], [runs / "onlytraining"], "activity", "E activity")
    assert reads == [runs / "onlytraining"]


def test_alive_cells_of_runs_that_delete_alike_show_every_line(runs):
    """Runs with the same seed delete the same cells at the same times: the later run's
    line is drawn so that the first stays visible under it."""
    from netcol.views.figstyle import pyplot
    from netcol.models.rowan2013.figures import draw_alive
    ax = pyplot().subplots()[1]
    draw_alive(ax, [runs / "onlydeletion", runs / "onlydeletion"])
    first, second = ax.get_lines()[:2]
    assert np.array_equal(first.get_ydata(), second.get_ydata()) and first.get_ydata()[-1] < first.get_ydata()[0]
    assert second.get_linestyle() != "-" and second.get_linewidth() < first.get_linewidth()


def test_spectrum_bands_contain_the_estimate():
    from netcol.views.plots import spectrum_band
    lo, hi = spectrum_band(np.array([1.0, 2.0]), tapers=7)
    assert np.all(lo < [1.0, 2.0]) and np.all(hi > [1.0, 2.0])
    assert np.allclose(hi / lo, hi[0] / lo[0]) and 2.5 < hi[0] / lo[0] < 5   # chi-square, 14 degrees of freedom


def test_a_long_segments_spectrum_is_drawn_as_log_binned_means():
    from netcol.views.plots import log_binned
    f = np.arange(2400, 240001) / 2400.0            # 1 to 100 Hz every 1/2,400 Hz
    p = 1.0 / f
    fb, pb = log_binned(f, p)
    assert len(fb) == 200 and np.all(np.diff(fb) > 0)           # 100 bins per decade, two decades
    first = f < 10 ** 0.01
    assert fb[0] == pytest.approx(f[first].mean()) and pb[0] == pytest.approx(p[first].mean())
    short = np.array([1.0, 1.5, 3.0, 50.0])            # fewer points than bins: kept as they are
    assert np.array_equal(log_binned(short, 2 * short)[1], 2 * short)


def test_report(runs):
    r = netcol("report", str(runs / "onlytraining"))
    assert r.returncode == 0, r.stderr
    assert (runs / "onlytraining" / "report.png").stat().st_size > 50000


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_lists_options_with_defaults(cmd):
    r = netcol(cmd, "--help")
    assert r.returncode == 0 and "usage: netcol " + cmd in r.stdout
    if cmd == "run":
        for opt in ("--set", "--out", "--np", "--checkpoint-every", "--overwrite", "--quiet"):
            assert opt in r.stdout
        assert "(default: None)" in r.stdout and "(default: False)" in r.stdout


@pytest.mark.parametrize("args,words", [
    (["info", "/nonexistent/run"], ["not a netcol run directory"]),
    (["plot", "/nonexistent/run", "--what", "raster"], ["not a netcol run directory"]),
    (["report", "/nonexistent/run"], ["not a netcol run directory"]),
    (["resume", "/nonexistent/run"], ["not a netcol run directory"]),
])
def test_errors_are_one_line_with_a_hint(args, words):
    r = netcol(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("netcol: error:") and lines[1].strip().startswith("hint:")
    for w in words:
        assert w in lines[0]


def test_argument_errors_exit_nonzero():
    assert netcol("plot", "x", "--what", "nonsense").returncode == 2
    assert netcol("frobnicate").returncode == 2


def test_debug_shows_the_traceback():
    r = netcol("info", "/nonexistent/run", "--debug")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_run_folders_from_before_models_were_packages(tmp_path):
    """A folder written before the column became a model package (no model named, the
    network called column, the population multiplier called scale) stays readable and
    resumable."""
    from netcol.engine import checkpoint
    out = tmp_path / "old"
    r = netcol("run", "onlyscaling", "--set", "duration=6", "--set", "scaling_start=2", "--checkpoint-every", "2",
               "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr

    def old_form(eff):
        eff = dict(eff)
        del eff["model"]
        eff["column"], eff["column_overrides"] = eff.pop("network"), eff.pop("network_overrides")
        eff["params"] = {("scale" if k == "size" else k): v for k, v in eff["params"].items()}
        return eff
    meta = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps(old_form(meta)))
    ck = checkpoint.read(out)
    ck["effective"] = old_form(ck["effective"])
    checkpoint.write(out, ck)
    r = netcol("info", str(out), "--params")
    assert r.returncode == 0 and "model: rowan2013" in r.stdout and "size: 1" in r.stdout, r.stderr
    for cmd in (["plot", str(out), "--what", "scale"], ["report", str(out)]):
        assert netcol(*cmd).returncode == 0
    r = netcol("resume", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr


def test_version():
    from netcol import __version__
    r = netcol("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"netcol {__version__}"


def test_output_piped_into_a_closed_reader():
    """`netcol list --params | head -1`: no traceback, no [Errno 32]."""
    import subprocess
    from helpers import NETCOL, REPO
    proc = subprocess.Popen([*NETCOL, "list", "--params"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()   # the reader goes away before netcol writes, as `head` may
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "Errno 32" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("args,env,words", [
    (["gui"], {"DISPLAY": ""}, ["needs a display", "hint: start a virtual display"]),
    (["sweep-summary", "onlytraining-plastinc", "--out", "NOWHERE"], {}, ["nothing to summarise", "hint: run the sweep"]),
])
def test_errors_come_with_a_fitting_hint(tmp_path, args, env, words):
    args = [str(tmp_path / "none") if a == "NOWHERE" else a for a in args]
    r = netcol(*args, env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr


def test_resume_without_a_checkpoint_points_at_the_folder(tmp_path):
    out = tmp_path / "r"
    assert netcol("run", "baseline", "--set", "duration=1", "--out", str(out), "--quiet", "--no-figure").returncode == 0
    r = netcol("resume", str(out))
    assert r.returncode == 2 and "no checkpoint to resume from" in r.stderr and "hint: netcol info DIR" in r.stderr


def test_plot_help_groups_the_views_by_model_and_names_each_models_figures():
    r = netcol("plot", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "generic: raster, rates, spectra, traces;" in text
    assert "rowan2013: activity, scale, info, weights;" in text and "vogels2011: rate_course, weights," in text
    assert "rowan2013: 2, 3, 4, 5, 6, 7" in text and "vogels2011: 1" in text
    assert "{raster,rates" not in text   # no flat list in which 'weights' stands twice


def test_misspelt_names_get_did_you_mean(runs):
    r = netcol("run", "baselin", "--check")
    assert r.returncode == 2 and "did you mean 'baseline'?" in r.stderr
    r = netcol("run", "baseline", "--check", "--set", "durration=3")
    assert r.returncode == 2 and "did you mean 'duration'?" in r.stderr and "hint: netcol list --params" in r.stderr
    r = netcol("plot", str(runs / "onlytraining"), "--what", "rasterr")
    assert r.returncode != 0 and "did you mean 'raster'?" in r.stderr
    r = netcol("run", "missing.toml", "--check")
    assert r.returncode == 2 and "missing.toml: file not found" in r.stderr
    assert "hint" not in r.stderr   # the parameter list would not help with a missing file


def test_list_shows_each_models_sweeps():
    r = netcol("list")
    assert r.returncode == 0
    block = r.stdout.split("vogels2011:")[1]
    assert "sweep vogels2011_small-target_rate" in block
    assert "sweep onlyscaling-activitybeta" in r.stdout.split("rowan2013:")[1].split("sadeh2015:")[0]
