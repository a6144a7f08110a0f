"""The SQL models of include/sql/core/ and include/sql/marts/: <model>.sql selects the rows of the table
<layer>.<model>, and <model>.yml beside it declares that table's columns (name, data_type, not_null,
description) and its grain (the columns no two rows share). The tables' DDL and COMMENTs are made from the
YAML; the build order follows from the tables each select reads."""

import graphlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from hk_market import settings
from hk_market.sql_text import literal, quote_identifier

LAYERS = ("core", "marts")
# The types a model's column may declare: the YAML's data_type goes into the DDL as it is, so only these.
DATA_TYPES = ("date", "varchar", "double", "integer", "bigint", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str
    not_null: bool = False


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    select: str  # its <model>.sql, with the window of days as the parameters $start and $end

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    def ddl(self) -> str:
        """Create the table (if it does not exist) with its columns, and set its COMMENTs."""
        table = quote_identifier(self.layer, self.name)
        columns = ",\n".join(f"    {quote_identifier(c.name)} {c.data_type}{' not null' * c.not_null}"
                             for c in self.columns)
        comments = [f"comment on table {table} is {literal(self.description)};"] + [
            f"comment on column {table}.{quote_identifier(c.name)} is {literal(c.description)};"
            for c in self.columns]
        return "\n".join([f"create table if not exists {table} (\n{columns}\n);", *comments])

    def grain_breaks(self) -> str:
        """A select of the days ($start..$end) on which rows share the grain, with how many rows (rows_sharing)."""
        table, grain = quote_identifier(self.layer, self.name), ", ".join(map(quote_identifier, self.grain))
        return (f"select trade_date, sum(shared)::bigint as rows_sharing from ("
                f"select trade_date, count(*) as shared from {table} where trade_date between $start and $end "
                f"group by {grain} having count(*) > 1) group by trade_date order by trade_date")


def load_model(layer: str, spec_path: Path) -> Model:
    """A model of the layer from its YAML (spec_path), checked: known keys only, the types of DATA_TYPES, a grain
    of its columns that starts with trade_date; its select is the .sql file beside the YAML."""
    spec, where = yaml.safe_load(spec_path.read_text()), f"{layer}/{spec_path.name}"
    if set(spec) != {"name", "description", "grain", "columns"} or spec["name"] != spec_path.stem:
        raise ValueError(f"{where}: expected the keys name ({spec_path.stem!r}), description, grain and columns")
    if unknown := {key for column in spec["columns"] for key in column} - set(Column.__dataclass_fields__):
        raise ValueError(f"{where}: unknown column keys {sorted(unknown)}")
    columns = tuple(Column(**column) for column in spec["columns"])
    names = [column.name for column in columns]
    if unknown := [c.data_type for c in columns if c.data_type not in DATA_TYPES]:
        raise ValueError(f"{where}: data_type {unknown} not one of {DATA_TYPES}")
    if spec["grain"][:1] != ["trade_date"] or not set(spec["grain"]) <= set(names) or len(set(names)) < len(names):
        raise ValueError(f"{where}: the grain {spec['grain']} must be trade_date then other columns of {names}")
    return Model(layer, spec["name"], spec["description"], tuple(spec["grain"]), columns,
                 spec_path.with_suffix(".sql").read_text())


def reads(select: str) -> set[str]:
    """The tables (schema.table) a select statement reads, from DuckDB's parse of it."""
    with duckdb.connect() as con:
        (parsed,) = con.execute("select json_serialize_sql($sql)", {"sql": select}).fetchone()
    tree, found, stack = json.loads(parsed), set(), []
    if tree["error"]:
        raise ValueError(f"cannot parse the select: {tree['error_message']}")
    stack.append(tree)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node["schema_name"]:  # a CTE's name has no schema
                found.add(f"{node['schema_name']}.{node['table_name']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


@cache
def build_order() -> tuple[Model, ...]:
    """Every model of include/sql/, each after the models whose tables its select reads."""
    found = {}
    for layer in LAYERS:
        folder = settings.SQL_DIR / layer
        specs, selects = {p.stem for p in folder.glob("*.yml")}, {p.stem for p in folder.glob("*.sql")}
        if specs != selects:
            raise ValueError(f"{folder}: every model needs its .sql and its .yml: {sorted(specs ^ selects)} lack one")
        for stem in sorted(specs):
            model = load_model(layer, folder / f"{stem}.yml")
            found[model.table] = model
    graph = {table: sorted(reads(model.select) & found.keys()) for table, model in found.items()}
    return tuple(found[table] for table in graphlib.TopologicalSorter(graph).static_order())
