"""The HK Market pages (hk_market.airflow_glue.web) as a browser gets them, through FastAPI's TestClient, from the
snapshot the real DAG published for 2024-11-14. Signing in is the API server's part: test_hk_market_page.py covers
it."""

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from hk_market.airflow_glue import web
from hk_market.airflow_glue.dag_defaults import MART_TABLES

from ..dags.conftest import WRAP_DAY, query

FULL_HKD = re.compile(r"\d{1,3}(,\d{3}){3,}\.\d\d")  # 115,880,242,403.00


@pytest.fixture
def client(wrap_warehouse, monkeypatch) -> TestClient:
    monkeypatch.setenv("HK_MARKET_SNAPSHOT", str(wrap_warehouse.with_name("hk_market_analyst.duckdb")))
    return TestClient(web.hk_market_app())


def test_the_page_says_the_sample_and_prints_money_in_hk_millions_or_billions(client):
    page = client.get("/", params={"day": str(WRAP_DAY)})
    assert page.status_code == 200
    assert "SAMPLE DATA — invented figures from the embedded sample market, not the real market." in page.text
    assert "<th>buy_<wbr>hkd (HK$ bn)</th>" in page.text  # southbound: billions only
    assert '<td class="num">40.03</td>' in page.text  # the TOTAL channel's buy, HK$ 40,034,300,000
    assert "<th>turnover_<wbr>hkd (HK$ m)</th>" in page.text  # securities: some turn over less than a billion
    assert '<td class="num">11,288.48</td>' in page.text  # MTR Corporation, HK$ 11,288,480,000 or so
    assert not FULL_HKD.search(page.text)


def test_a_day_that_is_not_a_date_gets_a_page_linking_the_latest_session(client):
    page = client.get("/", params={"day": "2024-11-31"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "&#39;2024-11-31&#39; is not a date: there is no such day in the calendar." in page.text
    assert f'latest: <a href="http://testserver/?day={WRAP_DAY}">Thursday 14 November 2024</a>' in page.text


@pytest.mark.parametrize(("day", "says", "nearest"), [
    ("2024-11-16", "Saturday 16 November 2024 is not an HKEX trading day",
     ['before: <a href="http://testserver/?day=2024-11-14">Thursday 14 November 2024</a>']),
    ("2024-11-12", "Tuesday 12 November 2024 is an HKEX session not loaded yet",
     ['after: <a href="http://testserver/?day=2024-11-13">Wednesday 13 November 2024</a>']),
])
def test_a_day_without_a_wrap_gets_a_page_naming_the_nearest_sessions(client, day, says, nearest):
    page = client.get("/", params={"day": day})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert says in page.text
    assert [line.removeprefix("<li>").removesuffix("</li>") for line in page.text.splitlines()
            if line.startswith("<li>")] == nearest


def test_the_page_offers_each_mart_table_of_the_day_as_csv(client):
    page = client.get("/", params={"day": str(WRAP_DAY)}).text
    assert re.findall(r'href="csv/(\w+)\?day=2024-11-14" download', page) == list(MART_TABLES)


def test_a_csv_download_holds_the_marts_rows_for_the_day_at_full_precision(client, wrap_warehouse):
    response = client.get("/csv/theme_daily", params={"day": str(WRAP_DAY)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="theme_daily_2024-11-14.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = dict(query(wrap_warehouse, "select theme, avg_change_pct from marts.theme_daily where trade_date = $day",
                          {"day": WRAP_DAY}))
    assert {row["theme"]: float(row["avg_change_pct"]) for row in rows} == expected
    assert {row["trade_date"] for row in rows} == {str(WRAP_DAY)}


@pytest.mark.parametrize("table", ["runs", "theme_daily; drop table marts.theme_daily"])
def test_only_the_known_mart_tables_can_be_downloaded(client, wrap_warehouse, table):
    response = client.get(f"/csv/{table}", params={"day": str(WRAP_DAY)})
    assert response.status_code == 404 and "There is no mart table" in response.text
    assert query(wrap_warehouse, "select count(*) from marts.theme_daily")[0][0] > 0


def test_a_csv_for_a_day_without_marts_is_refused_with_the_nearest_sessions(client):
    response = client.get("/csv/theme_daily", params={"day": "2024-11-16"})
    assert response.status_code == 404 and "Saturday 16 November 2024 is not an HKEX trading day" in response.text
