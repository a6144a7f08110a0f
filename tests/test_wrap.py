import datetime as dt

from hk_market import transform, warehouse
from hk_market.publish import report, wrap

DAY = dt.date(2024, 11, 13)
DRIVERS = [{"instrument": "DX-Y.NYB", "name": "US dollar index", "close": 106.69, "change_pct": 0.34},
           {"instrument": "GC=F", "name": "Gold (US$/oz)", "close": None, "change_pct": None},
           {"instrument": "BTC-USD", "name": "Bitcoin (US$)", "close": 91051.0, "change_pct": 3.2},
           {"instrument": "CNH=X", "name": "USD/CNH", "close": 7.2312, "change_pct": None}]


def first_session_facts(source: str | None = "sample", drivers: list[dict] | None = None,
                        day: dt.date = DAY) -> report.DayFacts:
    """A day whose previous session is not loaded, with southbound net selling, one flat theme without short
    selling, and one theme that fell."""
    index = {"index_code": "HSI", "index_name": "Hang Seng Index", "close": 19823.53, "prev_close": None,
             "change_pct": None, "short_sell_ratio_pct": 19.39, "short_sell_ratio_change_pp": None}
    southbound = [{"channel": channel, "buy_hkd": 1e9, "sell_hkd": 3e9, "net_buy_hkd": net, "ytd_net_buy_hkd": net,
                   "ytd_complete": False, "ytd_sessions_loaded": 1, "ytd_sessions_expected": 201}
                  for channel, net in (("TOTAL", -2e9), ("SSE", -1.5e9), ("SZSE", -0.5e9))]
    flat = {"name": "Crypto-related", "securities": 2, "advancers": 1, "decliners": 1, "avg_change_pct": 0.001,
            "median_change_pct": 0.0, "turnover_hkd": 1e8, "short_sell_ratio_pct": 0.0,
            "best_stock_code": "01357", "best_name": "Meitu", "best_change_pct": 1.0,
            "worst_stock_code": "00434", "worst_name": None, "worst_change_pct": -1.0, "leaders": []}
    gold = {"name": "Gold", "securities": 2, "advancers": 0, "decliners": 2, "avg_change_pct": -2.5,
            "median_change_pct": -2.5, "turnover_hkd": 1e8, "short_sell_ratio_pct": 10.0,
            "best_stock_code": "01787", "best_name": "Shandong Gold", "best_change_pct": -1.0,
            "worst_stock_code": "03330", "worst_name": None, "worst_change_pct": -4.0,
            "leaders": [{"stock_code": "03330", "name": None, "change_pct": -4.0},
                        {"stock_code": "01787", "name": "Shandong Gold", "change_pct": -1.0}]}
    return report.DayFacts(day, [index], southbound, [flat, gold], [], [], [], {"HSI": [(day, 19823.53)]},
                           source=source, drivers=drivers or [])


def rising_short_selling_facts() -> report.DayFacts:
    facts = first_session_facts()
    index = facts.indices[0] | {"change_pct": -1.96, "short_sell_ratio_change_pp": 2.35}
    return report.DayFacts(**vars(facts) | {"indices": [index]})


def test_the_story_is_grouped_as_the_reference_wrap_and_says_what_it_cannot_compare():
    groups = dict(wrap.story(first_session_facts()))
    assert list(groups) == ["Indices", "Short selling", "Sectors and themes", "Southbound", "Notable movers"]
    assert groups["Indices"] == ["The Hang Seng Index closed at 19,823.53 (no previous session loaded) "
                                 "on Wednesday 13 November 2024."]
    assert groups["Short selling"] == ["Short selling: the Hang Seng Index's short selling ratio was 19.39%, "
                                       "with no previous session loaded."]
    assert groups["Southbound"][0].startswith("Stock Connect recorded southbound net selling of HK$2.00 billion "
                                              "(SSE HK$1.50 billion, SZSE HK$0.50 billion).")
    assert groups["Sectors and themes"] == [  # a move under 1% is left to the table and one sentence
        "Gold fell 2.50% on average (0 up, 2 down of 2), led by 03330 -4.00% and Shandong Gold (01787) -1.00%.",
        "Other themes: Crypto-related +0.00%."]


def test_the_wrap_opens_with_the_source_then_the_key_figures_before_any_story():
    for template in ("wrap.md.j2", "wrap.html.j2"):
        text = wrap.render(first_session_facts(), template)
        banner = text.index("SAMPLE DATA — invented figures from the embedded sample market, not the real market.")
        key_figures = text.index("Key figures")
        assert text.index("Hong Kong market wrap, Wednesday 13 November 2024") < banner < key_figures
        assert key_figures < text.index("Net buy, year to date (1 of 201 sessions)") < text.index("Short selling:")


def test_the_sample_wrap_of_2024_11_14_says_it_reproduces_a_real_wraps_figures():
    html = wrap.render(first_session_facts(day=dt.date(2024, 11, 14)), "wrap.html.j2")
    assert "On this day the sample reproduces a real market wrap&#39;s published figures" in html


def test_a_live_wrap_says_it_is_live_and_a_day_without_a_recorded_load_says_so():
    for template in ("wrap.md.j2", "wrap.html.j2"):
        live = wrap.render(first_session_facts(source="live"), template)
        assert "Source: live — Yahoo Finance and HKEX." in live and "SAMPLE DATA" not in live
        unknown = wrap.render(first_session_facts(source=None), template)
        assert "Source: not recorded (no load of this day in audit.runs)." in unknown


def test_market_drivers_are_key_figures_and_a_story_paragraph_with_n_a_for_what_is_not_loaded():
    text = wrap.render(first_session_facts(drivers=DRIVERS), "wrap.md.j2")
    assert ("| **Market drivers** | | |\n| US dollar index | 106.69 | +0.34% |\n| Gold (US$/oz) | n/a | n/a |\n"
            "| Bitcoin (US$) | 91,051.00 | +3.20% |\n| USD/CNH | 7.2312 | n/a |") in text
    assert ("## Market drivers\n\nMarket drivers: the US dollar index rose 0.34% to 106.69, gold n/a, Bitcoin rose "
            "3.20% to around US$91,051 and USD/CNH at 7.2312 (no previous close loaded).") in text


def test_a_rise_in_short_selling_reads_bearish_and_a_fall_in_price_too():
    html = wrap.render(rising_short_selling_facts(), "wrap.html.j2")
    assert '<td class="num bearish">+2.35 pp</td>' in html
    assert '<td class="num bearish">-1.96%</td>' in html
    assert "<span class=\"bearish\">red</span> a price fall or a higher short selling ratio (bearish)" in html


def test_a_theme_without_short_selling_shows_n_a_not_zero():
    html = wrap.render(first_session_facts(), "wrap.html.j2")
    assert '<td class="num" data-label="Short selling ratio">n/a</td>' in html
    assert 'data-label="Short selling ratio">0.00%' not in html


def test_the_html_wrap_escapes_names_and_draws_a_chart_per_index_with_axes():
    html = wrap.render(first_session_facts(), "wrap.html.j2")
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 2
    assert "Hang Seng Index&#39;s short selling ratio" in html
    assert ">Average move, %</text>" in html and ">Close (points)</text>" in html and ">Session</text>" in html


def test_the_source_of_a_day_is_each_datasets_latest_load_and_sample_if_any_is(scratch_warehouse):
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        con.execute("insert into marts.market_summary (trade_date, index_code, index_name, close) "
                    "values ($day, 'HSI', 'Hang Seng Index', 19823.53)", {"day": DAY})
        loads = [("prices", "sample", 1), ("prices", "live", 2), ("short_selling", "live", 1)]
        con.executemany("insert into audit.runs values ('run', ?, ?, ?, ?, 1, ?)",
                        [[DAY, DAY, source, dataset, dt.datetime(2024, 11, 13, 18, minute)]
                         for dataset, source, minute in loads])
        assert report.day_facts(con, DAY).source == "live"
        con.execute("insert into audit.runs values ('run', $day, $day, 'sample', 'southbound', 1, now())",
                    {"day": DAY})
        assert report.day_facts(con, DAY).source == "sample"
        assert [d["close"] for d in report.day_facts(con, DAY).drivers] == [None] * 4  # no macro loaded: n/a


def test_a_falling_theme_is_led_by_its_five_biggest_decliners(scratch_warehouse):
    changes = {"00001": -1.0, "00002": -6.0, "00003": -2.0, "00004": -4.0, "00005": -3.0, "00006": -5.0,
               "00007": 9.0, "00008": 0.0}
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        con.executemany("insert into core.security_groups values ('theme', 'Gold', ?)", [[code] for code in changes])
        con.executemany("insert into marts.security_daily (trade_date, stock_code, close, change_pct) "
                        "values (?, ?, 1.0, ?)", [[DAY, code, change] for code, change in changes.items()])
        transform.rebuild(con, "marts", "theme_daily", DAY, DAY)
        (theme,) = report._group_moves(con, "theme", DAY)
    assert [(m["stock_code"], m["change_pct"]) for m in theme["leaders"]] == [
        ("00002", -6.0), ("00006", -5.0), ("00004", -4.0), ("00005", -3.0), ("00003", -2.0)]
