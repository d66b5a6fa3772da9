"""Bad cell parameters are rejected with a message naming the parameter, the value and
what is allowed, before NEURON is even imported."""
import subprocess
import sys

import pytest

from netcol.cells.intf6 import CELL_FIELDS, cell_class, load_cell_classes
from netcol.models.rowan2013.column import load_cell_classes as column_cell_classes
from netcol.config.schema import ParamError, validate

from helpers import REPO, assert_param_error_names


def write(tmp_path, text):
    p = tmp_path / "cells.toml"
    p.write_text(text)
    return p


def test_shipped_classes_match_the_spec():
    classes = column_cell_classes()
    assert set(classes) == {"RS", "FS", "LTS"}
    rs, fs, lts = classes["RS"].params, classes["FS"].params, classes["LTS"].params
    assert (rs["RMP"], rs["VTH"], rs["Vblock"], rs["refrac"], rs["tauahp"], rs["RRWght"]) == (-65, -40, -25, 5, 400, 0.5)
    assert (fs["RMP"], fs["VTH"], fs["Vblock"], fs["refrac"], fs["ahpwt"]) == (-63, -40, -10, 1.25, 0.5)
    assert (lts["VTH"], lts["RRWght"], lts["tauahp"]) == (-47, 0.25, 50)
    assert not classes["RS"].inhib and classes["FS"].inhib and classes["LTS"].inhib
    # parameters the file leaves out keep the mechanism defaults
    assert rs["mg0"] == 3.57 and rs["tauAM"] == 10.0


@pytest.mark.parametrize("line,words", [
    ("tauAM2 = -20.0", ["tauAM2", "-20.0", "> 0.0"]),
    ("refrac = -1.0", ["refrac", "-1.0", ">= 0.0"]),
    ("VTH = 'high'", ["VTH", "'high'", "float"]),
    ("tauahp = 0.0", ["tauahp", "0.0", "> 0.0"]),
    ("colour = 3", ["unknown parameter", "colour"]),
])
def test_bad_values_are_named(tmp_path, line, words):
    assert_param_error_names(load_cell_classes, write(tmp_path, f"[RS]\ninhib = false\n{line}\n"), words)


def test_missing_inhib_flag(tmp_path):
    with pytest.raises(ParamError, match="missing parameter 'inhib'"):
        load_cell_classes(write(tmp_path, "[RS]\nRMP = -65.0\n"))


def test_unknown_cell_class():
    with pytest.raises(ParamError, match="unknown cell class 'XX'; known: FS, LTS, RS"):
        cell_class("XX", column_cell_classes())


def test_bool_is_not_a_number():
    with pytest.raises(ParamError, match="refrac"):
        validate({"refrac": True}, CELL_FIELDS, "test")


def test_validation_happens_before_neuron_is_loaded(tmp_path):
    p = write(tmp_path, "[RS]\ninhib = false\ntauGA = -1.0\n")
    code = ("import sys\nfrom netcol.cells.intf6 import load_cell_classes\n"
            f"try:\n    load_cell_classes({str(p)!r})\nexcept ValueError as e:\n    print('ERR', e)\n"
            "print('neuron loaded:', 'neuron' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout
    assert "ERR" in out and "tauGA" in out
    assert "neuron loaded: False" in out
