"""docs/tutorial.ipynb runs from top to bottom in a Jupyter kernel of this environment's
Python, and its outputs say what the text promises."""
import json
import re
import sys

import pytest

from helpers import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = REPO / "docs" / "tutorial.ipynb"
KERNEL = "netcol-tests"


def _text(cell):
    """Everything a cell printed or showed as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def _tagged(nb, tag):
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, tag
    return cells[0]


def test_tutorial_notebook_runs(tmp_path, monkeypatch):
    # a kernel spec of this very Python, found before any other (a user's python3 may be
    # another environment's)
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "netcol tests", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)", metadata={"tags": ["python"]}))
    work = tmp_path / "work"
    work.mkdir()
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=300, resources={"metadata": {"path": str(work)}})
    client.execute()

    assert _text(_tagged(nb, "python")).strip() == sys.executable
    count = re.search(r"(\d+) spikes", _text(_tagged(nb, "spike-count")))
    assert count, _text(_tagged(nb, "spike-count"))
    # 470 cells for 2 s at their baseline rates (about 0.6 Hz E, 5 Hz I): about 1,800 spikes
    assert 500 < int(count.group(1)) < 10000
    raster = _tagged(nb, "raster")
    assert any("image/png" in out.get("data", {}) for out in raster.outputs)
    assert (work / "runs" / "tutorial" / "raster.png").exists()
    rates = _text(_tagged(nb, "rates"))
    assert "rate_hz" in rates and "E2" in rates
    bad = [c for c in nb.cells if "no_such_entry" in c.source][0]
    assert "no_such_entry" in _text(bad) and len(_text(bad).strip().splitlines()) == 1
    assert not (work / "runs" / "tutorial-bad").exists()
    errors = [out for c in nb.cells for out in c.get("outputs", []) if out["output_type"] == "error"]
    assert not errors
