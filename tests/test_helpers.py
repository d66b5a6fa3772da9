"""The tests' own comparison of run folders (helpers.same_outputs) sees a difference in
every output it names, and ignores what differs between two runs of the same result."""
import h5py
import numpy as np
import pytest

from helpers import same_outputs


def fake_run(d, run_id):
    d.mkdir()
    for name in ("spikes.h5", "state.h5", "nodes.h5", "edges.h5", "report_activity.h5"):
        with h5py.File(d / name, "w") as f:
            f.attrs["netcol_run_id"] = run_id
            f["g/data"] = np.array([1.0, np.nan, 3.0])
            f["g/ids"] = np.arange(3, dtype=np.uint64)
            f["names"] = np.array([b"E", b"I"])
    (d / "timeline.csv").write_text("time_s,event\n1,record\n")
    (d / "node_types.csv").write_text("node_type_id model_type\n1 point_neuron\n")
    (d / "run.json").write_text(f'{{"run_id": "{run_id}"}}')
    return d


@pytest.fixture
def pair(tmp_path):
    return fake_run(tmp_path / "a", "run-a"), fake_run(tmp_path / "b", "run-b")


def test_equal_runs_with_other_run_ids(pair):
    assert same_outputs(*pair)


@pytest.mark.parametrize("name", ["spikes.h5", "state.h5", "nodes.h5", "edges.h5", "report_activity.h5"])
@pytest.mark.parametrize("change", ["value", "dtype", "shape", "extra dataset", "nan"])
def test_every_dataset_of_every_file_is_compared(pair, name, change):
    with h5py.File(pair[1] / name, "a") as f:
        if change == "value":
            f["g/ids"][1] = 7
        elif change == "dtype":
            del f["g/ids"]
            f["g/ids"] = np.arange(3, dtype=np.int64)
        elif change == "shape":
            del f["g/data"]
            f["g/data"] = np.array([1.0, np.nan, 3.0, 4.0])
        elif change == "extra dataset":
            f["g/more"] = np.zeros(1)
        else:
            f["g/data"][1] = 2.0
    with pytest.raises(AssertionError):
        same_outputs(*pair)


@pytest.mark.parametrize("change", ["timeline.csv", "node_types.csv", "report only in one", "no edges in one"])
def test_tables_and_the_set_of_files_are_compared(pair, change):
    b = pair[1]
    if change.endswith(".csv"):
        (b / change).write_text((b / change).read_text() + "2,record\n")
    elif change == "report only in one":
        (b / "report_activity.h5").unlink()
    else:
        (pair[0] / "edges.h5").unlink()
    with pytest.raises(AssertionError):
        same_outputs(*pair)


def test_a_folder_without_its_outputs_is_not_equal_to_itself(tmp_path):
    empty = tmp_path / "e"
    empty.mkdir()
    with pytest.raises(AssertionError):
        same_outputs(empty, empty)
