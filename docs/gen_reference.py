"""Write docs/reference/parameters.md from netcol's schemas (run by `make docs`).

Every experiment parameter of every model, every entry of each model's network file and
mechanism settings, and every sweep resource, with its meaning, unit, default and
allowed values, as the code checks them."""
from pathlib import Path

from netcol.config.experiment import fields
from netcol.models import model, names
from netcol.engine.sweep import RESOURCE_FIELDS

OUT = Path(__file__).resolve().parent / "reference" / "parameters.md"


def table(schema, when=None):
    """A Markdown table of a schema; when: key -> in what case a field without default is
    required (else "required")."""
    rows = ["| parameter | meaning (unit) | default | allowed |", "|---|---|---|---|"]
    for key, f in schema.items():
        default = (when or {}).get(key, "required") if f.default is None else f"`{f.default!r}`"
        rows.append(f"| `{key}` | {f.doc} | {default} | {f.allowed()} |")
    return "\n".join(rows)


def pathway_tables(tables):
    """The `[pathways.<name>]` tables of a population model (netcol.cells.pathways)."""
    when = {"indegree": "required with rule fixed_indegree, else absent"}
    delayed = [n for n in tables.names if n not in tables.undelayed]
    parts = [f"### `[pathways.<name>]`, name one of {', '.join(f'`{n}`' for n in delayed)}", "",
             table(tables.fields(), when), ""]
    if tables.undelayed:
        parts += [f"### `[pathways.<name>]`, name one of {', '.join(f'`{n}`' for n in tables.undelayed)} "
                  "(external input: no delay)", "",
                  table({k: f for k, f in tables.fields().items() if k != "delay"}, when), ""]
    return parts


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
    from netcol.models.sadeh2015.network import PATHWAY_TABLES as SADEH_PATHWAYS, SECTIONS
    parts += ["## sadeh2015: the network file (`network.toml`)", ""]
    for section, schema in SECTIONS.items():
        parts += [f"### `[{section}]`", "", table(schema), ""]
    parts += pathway_tables(SADEH_PATHWAYS)
    from netcol.cells.condlif import MECHANISM_FIELDS as CONDLIF_FIELDS
    from netcol.models.vogels2011.network import PATHWAY_TABLES as VOGELS_PATHWAYS
    parts += ["## vogels2011: the network file (`network.toml`)", "", "### `[mechanism]`", "", table(CONDLIF_FIELDS), ""]
    parts += pathway_tables(VOGELS_PATHWAYS)
    from netcol.cells.eif import MECHANISM_FIELDS as EIF_FIELDS
    from netcol.models.akil2021.network import PATHWAY_TABLES as AKIL_PATHWAYS
    parts += ["## akil2021: the network file (`network.toml`)", "", "### `[mechanism]`", "", table(EIF_FIELDS), ""]
    parts += pathway_tables(AKIL_PATHWAYS)
    parts += ["## Sweep resources (`[resources]` of a sweep file)", "", table(RESOURCE_FIELDS), ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
