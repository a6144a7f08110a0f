"""core.macro_closes and marts.macro_daily as the pipeline builds them from the sample, against the YAML beside
each model: its columns, types, descriptions (the tables' COMMENTs) and tests."""

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from hk_market import pipeline, settings

THANKSGIVING_WEEK = [dt.date(2024, 11, 27), dt.date(2024, 11, 28), dt.date(2024, 11, 29)]
MODELS = [settings.SQL_DIR / "core" / "macro_closes.yml", settings.SQL_DIR / "marts" / "macro_daily.yml"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The macro dataset alone loaded for Thanksgiving week through the pipeline's steps."""
    path = tmp_path_factory.mktemp("macro") / "hk_market.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HK_MARKET_WAREHOUSE", str(path))
        env.setenv("HK_MARKET_LANDING", str(path.parent / "landing"))
        pipeline.extract("macro", THANKSGIVING_WEEK)
        pipeline.validate("macro", THANKSGIVING_WEEK, "thanksgiving", data_docs=False)
        pipeline.load(THANKSGIVING_WEEK, "thanksgiving", datasets=("macro",))
    return path


def query(warehouse: Path, sql: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


def test_a_session_on_a_us_holiday_takes_the_previous_us_close_and_its_move(warehouse):
    rows = query(warehouse, "select trade_date, close_date, close, change_pct from marts.macro_daily "
                            "where instrument = 'GC=F' order by trade_date")
    (wednesday, _, close, change_pct), (thursday, close_date, holiday_close, holiday_change_pct), _ = rows
    assert (thursday, close_date) == (dt.date(2024, 11, 28), wednesday)
    assert (holiday_close, holiday_change_pct) == (close, change_pct)
    bitcoin = query(warehouse, "select close_date from marts.macro_daily "
                               "where instrument = 'BTC-USD' and trade_date = '2024-11-28'")
    assert bitcoin == [(dt.date(2024, 11, 28),)]


def test_change_pct_is_against_the_instruments_own_previous_close(warehouse):
    rows = query(warehouse, "select close, prev_close, change_pct from marts.macro_daily")
    assert len(rows) == 4 * len(THANKSGIVING_WEEK)
    assert all(change_pct == pytest.approx((close / prev_close - 1) * 100) for close, prev_close, change_pct in rows)


@pytest.mark.parametrize("model_file", MODELS, ids=lambda path: path.stem)
def test_the_models_yaml_lists_its_tables_columns_and_types(warehouse, model_file):
    model = yaml.safe_load(model_file.read_text())
    schema, table = model["model"].split(".")
    columns = query(warehouse, "select column_name, data_type, comment from duckdb_columns() "
                               "where schema_name = $schema and table_name = $table order by column_index",
                    {"schema": schema, "table": table})
    assert [(column["name"], column["type"]) for column in model["columns"]] == [row[:2] for row in columns]
    if schema == "marts":  # the analysts' dictionary: the COMMENTs say what the YAML says
        assert [" ".join(column["description"].split()) for column in model["columns"]] == [row[2] for row in columns]


@pytest.mark.parametrize("model_file", MODELS, ids=lambda path: path.stem)
def test_the_models_yaml_tests_hold(warehouse, model_file):
    model = yaml.safe_load(model_file.read_text())
    table = model["model"]
    assert table in ("core.macro_closes", "marts.macro_daily")  # the only names put into SQL text here
    (unique,) = (test["unique"] for test in model["tests"])
    assert unique == model["grain"]
    assert query(warehouse, f"select count(*) from (select distinct {', '.join(unique)} from {table})") == \
        query(warehouse, f"select count(*) from {table}")
    for column in model["columns"]:
        for test in column.get("tests", []):
            if test == "not_null":
                assert query(warehouse, f"select count(*) from {table} where {column['name']} is null") == [(0,)]
            else:
                values = query(warehouse, f"select distinct {column['name']} from {table}")
                assert {value for (value,) in values} <= set(test["accepted_values"])
