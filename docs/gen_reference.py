"""Write docs/reference/parameters.md from netcol's schemas (run by `make docs`).

Every experiment parameter of every model, every entry of each model's network file and
mechanism settings, and every sweep resource, with its meaning, unit, default and
allowed values, as the code checks them."""
from pathlib import Path

from netcol.config.experiment import fields
from netcol.models import model, names
from netcol.engine.sweep import RESOURCE_FIELDS

OUT = Path(__file__).resolve().parent / "reference" / "parameters.md"


def table(schema):
    rows = ["| parameter | meaning (unit) | default | allowed |", "|---|---|---|---|"]
    for key, f in schema.items():
        default = "required" if f.default is None else f"`{f.default!r}`"
        rows.append(f"| `{key}` | {f.doc} | {default} | {f.allowed()} |")
    return "\n".join(rows)


def main():
    from netcol.models.rowan2013.column import DELAY_FIELDS, INPUT_FIELDS, POPULATION_FIELDS, SECTION_FIELDS
    parts = ["# Parameter reference", "",
             "Generated from the schemas netcol checks every parameter against (`docs/gen_reference.py`).",
             "Set any of them with `--set KEY=VALUE`; network entries as `network.<path>` (the column's also",
             "as `column.<path>`).", ""]
    for name in names():
        parts += [f"## {name}: experiment parameters", "", model(name).TITLE + ".", "", table(fields(name)), ""]
    parts += ["## rowan2013: the network file (`column.toml`)", ""]
    parts += ["### `[populations.<type>]`", "", table(POPULATION_FIELDS), ""]
    for section, schema in SECTION_FIELDS.items():
        parts += [f"### `[{section}]`", "", table(schema), ""]
    parts += ["### `[delays.<class>]`", "", table(DELAY_FIELDS), "",
              "### `[external.<class>.<receptor>]`", "", table(INPUT_FIELDS), ""]
    from netcol.models.sadeh2015.network import SECTIONS
    parts += ["## sadeh2015: the network file (`network.toml`)", ""]
    for section, schema in SECTIONS.items():
        parts += [f"### `[{section}]`", "", table(schema), ""]
    from netcol.cells.condlif import MECHANISM_FIELDS as CONDLIF_FIELDS
    parts += ["## vogels2011: the network file (`network.toml`)", "", "### `[mechanism]`", "", table(CONDLIF_FIELDS), ""]
    from netcol.cells.eif import MECHANISM_FIELDS as EIF_FIELDS
    parts += ["## akil2021: the network file (`network.toml`)", "", "### `[mechanism]`", "", table(EIF_FIELDS), ""]
    parts += ["## Sweep resources (`[resources]` of a sweep file)", "", table(RESOURCE_FIELDS), ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
