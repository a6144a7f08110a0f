"""SQL never splices user input: values are bound parameters and the few names put into SQL text come
from allow-lists or the catalog, quoted by warehouse.quote_identifier(). Inputs from the CLI and the UI are
checked before use, and no secret is in the repository."""

import ast
import datetime as dt
import re
import subprocess
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hk_market import data_docs_site, expectations, pipeline, settings, snapshot, transform, warehouse
from hk_market.airflow_glue import run_days
from hk_market.datasets.southbound.schema import LANDING_SCHEMA as SOUTHBOUND_SCHEMA
from hk_market.registry import NAMES

from .test_snapshot import a_warehouse_with_one_index_day

PROJECT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("include", "dags", "plugins")
SQL_TEXT = re.compile(
    r"^\s*(select|insert|delete|update|create|drop|copy|attach|detach|with|alter|comment|pragma|set|install|load)\b",
    re.IGNORECASE,
)
# Every function that builds SQL text at run time, and where the names it puts into that text come from.
REVIEWED_SQL_TEXT = {
    ("include/hk_market/warehouse.py", "replace_table"): "table: checked against REFERENCE_TABLES, quoted",
    ("include/hk_market/warehouse.py", "replace_window"): "dataset: checked against registry.DATASETS, quoted",
    ("include/hk_market/warehouse.py", "record_validation"):
        "report.dataset: checked against registry.DATASETS, quoted",
    ("include/hk_market/transform.py", "rebuild"): "layer, model: checked against transform.MODELS, quoted",
    ("include/hk_market/models.py", "ddl"): "names and descriptions from the models' YAML, quoted and literal()s; "
    "data_type checked against DATA_TYPES",
    ("include/hk_market/models.py", "grain_breaks"): "the model's names and grain from its YAML, quoted",
    ("include/hk_market/publish/report.py", "_group_moves"): "kind: a key of GROUP_MARTS (KeyError otherwise)",
    ("include/hk_market/publish/report.py", "_index_history"): "INDEX_ORDER: a constant",
    ("include/hk_market/publish/report.py", "day_facts"): "INDEX_ORDER: a constant",
    ("include/hk_market/airflow_glue/web.py", "_mart_rows"): "table: from the constant MART_TABLES",
    ("include/hk_market/snapshot.py", "publish"): "catalog names (current_database(), duckdb_tables()), quoted; "
    "the snapshot's path a literal() (ATTACH binds nothing)",
    ("include/hk_market/extensions.py", "path"): "not SQL: a message (a package name from the constant PACKAGES)",
    ("include/hk_market/extensions.py", "load"): "the wheel's file path as a literal() (LOAD takes no parameters)",
    ("include/hk_market/lake.py", "_attach_lake"): "the setting and HK_MARKET_LAKE_DATA as literal()s; LAKE a constant",
    ("include/hk_market/lake.py", "open_motherduck"): "the setting as a literal(), its database as a quoted name",
    ("include/hk_market/lake.py", "conflicting_table"): "LAKE, a constant; the id is a bound parameter",
    ("include/hk_market/lake.py", "analyst_sql"): "wheel paths and the setting as literal()s; LAKE a constant",
}
DAY = dt.date(2024, 11, 14)
HOSTILE = "x'); drop table raw.prices; --"


def _sql_text_builders(path: Path) -> set[tuple[str, str]]:
    """(file, function) of every f-string, .format() or % / + whose literal text starts like SQL."""
    tree = ast.parse(path.read_text())
    enclosing = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            enclosing.update({id(node): function.name for node in ast.walk(function)})
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            text = node.left.value if isinstance(node.left, ast.Constant) else ""
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            text = node.func.value.value if isinstance(node.func.value, ast.Constant) else ""
        else:
            continue
        if isinstance(text, str) and SQL_TEXT.match(text):
            found.add((str(path.relative_to(PROJECT)), enclosing.get(id(node), "<module>")))
    return found


def test_every_function_that_builds_sql_text_is_reviewed_and_takes_its_names_from_an_allow_list():
    builders = set().union(*(
        _sql_text_builders(path) for folder in CODE_FOLDERS for path in sorted((PROJECT / folder).rglob("*.py"))
    ))

    assert builders == set(REVIEWED_SQL_TEXT), (
        "review how these build SQL text (and add them to REVIEWED_SQL_TEXT) or bind the values as parameters: "
        f"new {sorted(builders - set(REVIEWED_SQL_TEXT))}, gone {sorted(set(REVIEWED_SQL_TEXT) - builders)}"
    )


@pytest.fixture
def con(scratch_warehouse):
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        yield con


@pytest.mark.parametrize(
    "refused",
    [
        lambda con: transform.rebuild(con, "marts", f"security_daily{HOSTILE}", DAY, DAY),
        lambda con: transform.rebuild(con, "raw", "prices", DAY, DAY),
        lambda con: transform.model("../../..", "etc/passwd"),
        lambda con: warehouse.replace_window(con, f"prices{HOSTILE}", None, [DAY], "sample", "run"),
        lambda con: warehouse.replace_table(con, f"core.securities{HOSTILE}", None),
        lambda con: warehouse.record_validation(
            con, expectations.ValidationReport(f"prices{HOSTILE}", [DAY], [], pd.DataFrame()), "run"
        ),
    ],
    ids=["mart model", "layer", "model file path", "dataset", "reference table", "validated dataset"],
)
def test_a_name_outside_its_allow_list_is_refused_before_any_sql_runs(con, refused):
    with pytest.raises(ValueError, match="unknown"):
        refused(con)
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone() == (len(NAMES),)


def test_hostile_run_ids_are_stored_as_data_and_hostile_source_names_refused(scratch_warehouse):
    for dataset in NAMES:
        pipeline.extract(dataset, [DAY])

    with pytest.raises(ValueError, match="unknown source"):
        pipeline.load([DAY], "run", HOSTILE)
    pipeline.load([DAY], HOSTILE, "sample")

    with duckdb.connect(str(scratch_warehouse), read_only=True) as con:
        assert con.execute("select distinct run_id, source from raw.prices").fetchall() == [(HOSTILE, "sample")]
        assert con.execute("select count(distinct dataset) from audit.runs where run_id = $run", {"run": HOSTILE}
                           ).fetchone() == (len(NAMES),)


def test_a_run_id_cannot_place_data_docs_outside_the_gx_folder(scratch_warehouse):
    no_flows = pd.DataFrame(columns=list(SOUTHBOUND_SCHEMA)).astype(SOUTHBOUND_SCHEMA)
    report = expectations.validate("southbound", no_flows, [DAY], expected_sessions=[])

    data_docs_site.build(report, "../../../escaped")

    project = scratch_warehouse.parent.parent
    assert {path.relative_to(project).parts[0] for path in project.rglob("*")} == {"gx"}
    assert list(project.rglob("*escaped*"))


@pytest.mark.parametrize("name", ['a"b', "it's", "a;b", 'x" ; select 1; --', "x\"\"y"])
def test_a_quoted_identifier_names_exactly_that_table_whatever_its_characters(name):
    with duckdb.connect() as con:
        con.execute(f"create table {warehouse.quote_identifier(name)} (v integer)")
        con.execute(f"insert into {warehouse.quote_identifier('memory', 'main', name)} values (1)")
        assert con.execute("select table_name from duckdb_tables()").fetchall() == [(name,)]


# A database is named after its file up to the first dot: so no dot. "temp" exists, so the COPY would run.
CRAFTED = "temp\" to snapshot (schema); copy (select 42 as pwned) to 'pwned'; --"


@pytest.mark.parametrize("name", ['wh"quote', "wh'apostrophe", "wh;semicolon", CRAFTED],
                         ids=["double quote", "apostrophe", "semicolon", "crafted COPY TO"])
def test_publishing_from_a_warehouse_with_a_hostile_name_copies_it_whole_and_writes_nothing_else(
        name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the crafted COPY would write its file
    source, target = tmp_path / f"{name}.duckdb", tmp_path / f"analyst {name}.duckdb"
    a_warehouse_with_one_index_day(source)

    assert snapshot.publish(source, target) == target

    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select trade_date, index_code, close from marts.market_summary").fetchall() == [
            (DAY, "HSI", 19435.81)]
        assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone() == (0,)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([source.name, target.name])


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--from", "2024-13-01", "--to", "2024-11-14"], "argument --from: invalid parse_day value: '2024-13-01'"),
        (["--from", "2024-11-14", "--to", "11-14; rm"], "argument --to: invalid parse_day value: '11-14; rm'"),
        (["--from", "2024-11-14", "--to", "2024-11-01"], "--from 2024-11-14 is after --to 2024-11-01"),
    ],
)
def test_the_run_days_cli_refuses_bad_dates_before_any_work(argv, complaint, capsys):
    with pytest.raises(SystemExit) as stopped:
        run_days.main(argv)

    assert stopped.value.code == 2
    assert complaint in capsys.readouterr().err


def test_an_unknown_source_name_is_refused_naming_the_known_ones(monkeypatch):
    with pytest.raises(ValueError, match=r"unknown source 'sample; rm -rf /': HK_MARKET_SOURCE must be one of"):
        settings.source_name("sample; rm -rf /")
    monkeypatch.setenv("HK_MARKET_SOURCE", "ftp://elsewhere")
    with pytest.raises(ValueError, match="unknown source 'ftp://elsewhere'"):
        settings.source_name()


SECRETS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JSON web token (a MotherDuck token is one)": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\."),
    "Fernet key": re.compile(r"\b[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    "a filled-in secret setting": re.compile(
        r"^\s*(AIRFLOW__CORE__FERNET_KEY|AIRFLOW__API_AUTH__JWT_SECRET|AIRFLOW_ADMIN_PASSWORD|motherduck_token)"
        r"\s*[=:]\s*[^\s$#]", re.IGNORECASE | re.MULTILINE,
    ),
}


def test_no_secret_is_in_the_repository():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=PROJECT, check=True,
        capture_output=True, text=True,
    ).stdout.split()
    found = []
    for name in listed:
        path = PROJECT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{name}: {kind}" for kind, pattern in SECRETS.items() if pattern.search(text)]

    assert not found, found


def test_make_test_lints_with_ruffs_airflow_rules_before_the_suite():
    rules = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["select"]
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (PROJECT / "Makefile").read_text(), re.MULTILINE)[1]

    assert "AIR" in rules
    lint = re.search(r"ruff check dags include .*\btests\b", recipe)
    assert lint and lint.start() < recipe.index("pytest")
