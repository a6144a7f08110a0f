"""Every figure of the real market wrap of 2024-11-14 that the sample reproduces, read from the marts that the real
DAG built for 2024-11-14 on the sample source, to the wrap's printed precision."""

import pytest

from .conftest import WRAP_DAY, query


def one(warehouse, sql: str):
    rows = query(warehouse, sql, {"day": WRAP_DAY})
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(("index_code", "close", "change_pct"), [
    ("HSI", 19435.81, -1.96),     # "the Hang Seng Index had fallen 1.96% to 19,435.81 points"
    ("HSTECH", 4318.32, -3.08),   # "the Hang Seng Tech Index dropped sharply by 3.08% to 4,318.32 points"
    ("HSCEI", 6973.08, -2.21),    # "the Hang Seng China Enterprises Index also slid 2.21% to 6,973.08 points"
])
def test_index_close_and_change_match_the_wrap(wrap_warehouse, index_code, close, change_pct):
    got_close, got_change = one(wrap_warehouse, f"""
        select close, change_pct from marts.market_summary
        where trade_date = $day and index_code = '{index_code}'""")
    assert round(got_close, 2) == close
    assert round(got_change, 2) == change_pct


@pytest.mark.parametrize(("index_code", "ratio_pct", "change_pp"), [
    ("HSI", 21.74, 2.35),     # "reached 21.74%, up 2.35 percentage points"
    ("HSCEI", 22.10, 3.94),   # "climbed to 22.10%, a 3.94-point increase"
])
def test_short_selling_ratio_and_point_change_match_the_wrap(wrap_warehouse, index_code, ratio_pct, change_pp):
    ratio, change = one(wrap_warehouse, f"""
        select short_sell_ratio_pct, short_sell_ratio_change_pp from marts.market_summary
        where trade_date = $day and index_code = '{index_code}'""")
    assert round(ratio, 2) == ratio_pct
    assert round(change, 2) == change_pp


def test_southbound_net_buy_matches_the_wrap(wrap_warehouse):
    # "southbound capital via Stock Connect continued to flow into Hong Kong, reaching HK$19.66 billion today"
    (net_buy_hkd,) = one(wrap_warehouse, """
        select net_buy_hkd from marts.southbound_daily where trade_date = $day and channel = 'TOTAL'""")
    assert round(net_buy_hkd / 1e9, 2) == 19.66


EXACT_CHANGES = {
    "02899": -3.74, "01818": -3.50,                  # Zijin Mining, Zhaojin Mining
    "00960": -7.19, "01918": -7.04,                  # Longfor, Sunac
    "01347": -7.81, "02878": -7.14, "01385": -2.70,  # Hua Hong, "Silicon Integrated Systems", Shanghai Fudan
    "01357": 5.46, "00434": 5.21, "01499": 3.69,     # Meitu, Boyaa, "OKLink"
    "03042": 4.24, "03439": 3.95, "03008": 3.88,     # ChinaAMC, Harvest, Bosera bitcoin ETFs
    "03896": 7.52, "00136": 4.15,                    # Kingsoft Cloud, China Ruyi
}


@pytest.mark.parametrize(("stock_code", "change_pct"), EXACT_CHANGES.items())
def test_named_security_change_matches_the_wrap(wrap_warehouse, stock_code, change_pct):
    (got,) = one(wrap_warehouse, f"""
        select change_pct from marts.security_daily where trade_date = $day and stock_code = '{stock_code}'""")
    assert round(got, 2) == change_pct


def test_lingbao_gold_plunged_over_6_percent(wrap_warehouse):
    (got,) = one(wrap_warehouse, """
        select change_pct from marts.security_daily where trade_date = $day and stock_code = '03330'""")
    assert -7 < got < -6


def test_new_city_development_dropped_nearly_8_percent(wrap_warehouse):
    (got,) = one(wrap_warehouse, """
        select change_pct from marts.security_daily where trade_date = $day and stock_code = '01030'""")
    assert -8 < got <= -7.5


@pytest.mark.parametrize(("stock_code", "close"), [("03896", 2.43), ("00136", 2.01)])
def test_named_security_close_matches_the_wrap(wrap_warehouse, stock_code, close):
    (got,) = one(wrap_warehouse, f"""
        select close from marts.security_daily where trade_date = $day and stock_code = '{stock_code}'""")
    assert got == close


@pytest.mark.parametrize(("theme", "sign"), [
    ("Gold", -1), ("Property", -1), ("Semiconductors", -1), ("Crypto-related", 1), ("Bitcoin ETFs", 1),
])
def test_theme_moves_the_way_the_wrap_says(wrap_warehouse, theme, sign):
    (avg_change_pct,) = one(wrap_warehouse, f"""
        select avg_change_pct from marts.theme_daily where trade_date = $day and theme = '{theme}'""")
    assert avg_change_pct * sign > 0


def test_kingsoft_cloud_is_among_the_top_gainers(wrap_warehouse):
    gainers = query(wrap_warehouse, """
        select stock_code from marts.movers_daily where trade_date = $day and direction = 'gainer'
        order by rank""", {"day": WRAP_DAY})
    assert ("03896",) in gainers[:5]


def wrap_report(wrap_warehouse, suffix: str) -> str:
    return (wrap_warehouse.parent / "reports" / f"{WRAP_DAY}.{suffix}").read_text()


def test_the_wrap_opens_with_the_sample_banner_and_the_reference_key_figures(wrap_warehouse):
    markdown = wrap_report(wrap_warehouse, "md")
    title, _, banner, _, key_figures = markdown.splitlines()[:5]
    assert title == "# Hong Kong market wrap, Thursday 14 November 2024"
    assert banner.startswith("> **SAMPLE DATA — invented figures from the embedded sample market, not the real "
                             "market. On this day the sample reproduces a real market wrap's published figures")
    assert key_figures == "## Key figures"
    table = markdown[:markdown.index("## Indices")]
    for row in ("| Hang Seng Index | 19,435.81 | -1.96% |", "| Hang Seng TECH Index | 4,318.32 | -3.08% |",
                "| Hang Seng China Enterprises Index | 6,973.08 | -2.21% |", "| Hang Seng Index | 21.74% | +2.35 pp |",
                "| Hang Seng China Enterprises Index | 22.10% | +3.94 pp |", "| Net buy | HK$19.66 bn |  |"):
        assert row in table


def test_the_story_tells_the_reference_wraps_themes_falls_first(wrap_warehouse):
    markdown = wrap_report(wrap_warehouse, "md")
    group = markdown[markdown.index("## Sectors and themes"):markdown.index("## Southbound")]
    told = [line.split(" ")[0] for line in group.splitlines()[2::2] if " on average (" in line]
    assert told == ["Property", "Semiconductors", "Gold", "Crypto-related", "Bitcoin"]


def test_the_run_summary_says_first_that_its_figures_are_the_samples(wrap_warehouse):
    from hk_market.publish import report

    summary = report.day_summary(WRAP_DAY, wrap_warehouse).splitlines()
    assert summary[0].startswith("SAMPLE DATA — invented figures from the embedded sample market")
    assert summary[1] == "Hong Kong market, Thursday 14 November 2024"
