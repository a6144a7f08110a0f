import duckdb

from hk_market import dictionary, settings, warehouse


def fresh_schema() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    return con


def test_the_data_dictionary_in_docs_matches_the_models_yaml_and_the_quality_suites():
    documented = (settings.PROJECT_ROOT / "docs" / "data-dictionary.md").read_text()
    assert documented == dictionary.render(fresh_schema()), "run `make dictionary` and commit the result"


def test_every_mart_table_and_column_has_a_comment():
    con = fresh_schema()
    tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts' and comment is null")
    assert tables.fetchall() == []
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts' and comment is null")
    assert columns.fetchall() == []


def test_the_contract_tables_exist_with_their_required_columns():
    required = {
        "security_daily": {"name", "sector", "close", "prev_close", "change_pct", "volume", "turnover_hkd",
                           "short_turnover_hkd", "short_sell_ratio_pct"},
        "market_summary": {"close", "change_pct", "short_sell_ratio_pct", "short_sell_ratio_change_pp"},
        "southbound_daily": {"channel", "buy_hkd", "sell_hkd", "net_buy_hkd", "ytd_net_buy_hkd", "ytd_complete"},
        "sector_daily": {"sector", "securities", "advancers", "decliners", "avg_change_pct", "median_change_pct",
                         "turnover_hkd", "short_sell_ratio_pct", "best_stock_code", "best_change_pct",
                         "worst_stock_code", "worst_change_pct"},
        "theme_daily": {"theme", "securities", "advancers", "decliners", "avg_change_pct", "best_stock_code"},
        "movers_daily": {"direction", "rank", "stock_code", "name", "sector", "close", "change_pct", "volume",
                         "turnover_hkd"},
    }
    con = fresh_schema()
    for table, columns in required.items():
        found = {row[0] for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = $table",
            {"table": table}).fetchall()}
        assert columns | {"trade_date"} <= found, table
