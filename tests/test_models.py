"""The SQL models of include/sql/: each table is as its YAML declares it, every model's grain and not-null
tests hold on a built warehouse, a broken grain fails the build, and a model is built after what it reads."""

import datetime as dt

import duckdb
import pytest

from hk_market import calendar, models, pipeline, transform, warehouse

from .test_pipeline import run_window
from .warehouse_contents import assert_same_contents, contents

SESSIONS = calendar.sessions(dt.date(2024, 11, 12), dt.date(2024, 11, 14))
MODELS = {model.table: model for model in transform.BUILD_ORDER}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A sample warehouse with three sessions loaded and built (read only by the tests that share it)."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HK_MARKET_WAREHOUSE", str(folder / "hk_market.duckdb"))
        patch.setenv("HK_MARKET_LANDING", str(folder / "landing"))
        patch.setenv("HK_MARKET_REPORTS", str(folder / "reports"))
        run_window(SESSIONS)
    with duckdb.connect(str(folder / "hk_market.duckdb"), read_only=True) as con:
        yield con


@pytest.mark.parametrize("table", MODELS)
def test_no_two_rows_of_a_built_model_share_its_grain_and_its_not_null_columns_hold_no_null(built, table):
    model = MODELS[table]
    window = {"start": SESSIONS[0], "end": SESSIONS[-1]}
    (days,) = built.execute(f"select count(distinct trade_date) from {table}").fetchone()
    assert days == len(SESSIONS)  # the model has rows on every session, so the checks below read something
    assert built.execute(model.grain_breaks(), window).fetchall() == []
    for column in (c.name for c in model.columns if c.not_null):
        assert built.execute(f"select count(*) from {table} where {column} is null").fetchone() == (0,), column


def test_each_table_has_the_columns_types_not_nulls_and_comments_its_yaml_declares():
    with duckdb.connect() as con:
        warehouse.ensure_schema(con)
        for table, model in MODELS.items():
            found = con.execute(
                "select column_name, data_type, not is_nullable, comment from duckdb_columns() "
                "where schema_name = $layer and table_name = $name order by column_index",
                {"layer": model.layer, "name": model.name}).fetchall()
            assert found == [(c.name, c.data_type.upper(), c.not_null, c.description) for c in model.columns], table
            assert con.execute("select comment from duckdb_tables() where schema_name = $layer and table_name = $name",
                               {"layer": model.layer, "name": model.name}).fetchone() == (model.description,)


def test_a_build_whose_rows_share_a_grain_fails_naming_the_model_and_the_days_and_changes_nothing(scratch_warehouse):
    run_window(SESSIONS[1:])
    with warehouse.connect() as con:  # a seed that lists a security twice doubles its rows in the marts
        con.execute("insert into core.securities select * from core.securities where stock_code = '00700'")
    before = contents(scratch_warehouse, ("core", "marts"))

    with pytest.raises(transform.BuildError, match=r"building marts\.security_daily for 2024-11-13\.\.2024-11-14 "
                       r"failed: rows share its grain \(trade_date, stock_code\) on 2024-11-13 \(2 rows\), "
                       r"2024-11-14 \(2 rows\)"):
        pipeline.build(SESSIONS[1:])

    assert_same_contents(contents(scratch_warehouse, ("core", "marts")), before)


def test_a_model_is_built_after_every_model_whose_table_its_select_reads():
    order = [model.table for model in transform.BUILD_ORDER]
    read_models = {table: models.reads(model.select) & MODELS.keys() for table, model in MODELS.items()}

    assert read_models["marts.sector_daily"] == read_models["marts.theme_daily"] == {"marts.security_daily"}
    assert read_models["marts.market_summary"] == {"core.index_prices", "marts.security_daily"}
    for table, upstream in read_models.items():
        assert all(order.index(read) < order.index(table) for read in upstream), table


def test_the_tables_a_select_reads_are_its_schema_qualified_tables_not_its_ctes_comments_or_macros():
    select = """
        -- marts.not_read is only named in this comment
        with days as (select trade_date from core.trading_calendar where trade_date between $start and $end)
        select core.sum_hkd(p.turnover_hkd) from days join raw.prices as p using (trade_date)
        where p.stock_code in (select stock_code from core.securities)"""
    assert models.reads(select) == {"core.trading_calendar", "raw.prices", "core.securities"}


def test_no_macro_of_the_ddl_reads_a_table():
    with duckdb.connect() as con:
        warehouse.ensure_schema(con)
        macros = con.execute("select function_name, function_type, macro_definition from duckdb_functions() "
                             "where schema_name in ('core', 'marts') order by all").fetchall()
    assert [name for name, _, _ in macros] == ["avg_pct", "group_summary", "sum_hkd"]
    for name, kind, definition in macros:
        assert kind == "macro" and " from " not in definition.lower(), name


@pytest.mark.parametrize(("close_column", "refused"), [
    ("    data_type: double\n    not_nul: true\n", r"unknown column keys \['not_nul'\]"),
    ("    data_type: text\n", r"data_type \['text'\] not one of"),
], ids=["misspelt test", "type outside the allow-list"])
def test_a_model_yaml_with_a_misspelt_key_or_an_unknown_type_is_refused(tmp_path, close_column, refused):
    spec = tmp_path / "prices.yml"
    spec.write_text("name: prices\ndescription: Prices.\ngrain: [trade_date]\ncolumns:\n"
                    "  - name: trade_date\n    data_type: date\n    description: The day.\n"
                    "  - name: close\n    description: The close.\n" + close_column)
    with pytest.raises(ValueError, match=refused):
        models.load_model("marts", spec)
