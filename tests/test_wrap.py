import datetime as dt

from hk_market import report, warehouse, wrap

DAY = dt.date(2024, 11, 13)


def first_session_facts() -> report.DayFacts:
    """A day whose previous session is not loaded, with southbound net selling and one flat theme."""
    index = {"index_code": "HSI", "index_name": "Hang Seng Index", "close": 19823.53, "prev_close": None,
             "change_pct": None, "short_sell_ratio_pct": 19.39, "short_sell_ratio_change_pp": None}
    southbound = [{"channel": channel, "buy_hkd": 1e9, "sell_hkd": 3e9, "net_buy_hkd": net, "ytd_net_buy_hkd": net,
                   "ytd_complete": False, "ytd_sessions_loaded": 1, "ytd_sessions_expected": 201}
                  for channel, net in (("TOTAL", -2e9), ("SSE", -1.5e9), ("SZSE", -0.5e9))]
    theme = {"name": "Gold", "securities": 2, "advancers": 1, "decliners": 1, "avg_change_pct": 0.001,
             "median_change_pct": 0.0, "turnover_hkd": 1e8, "short_sell_ratio_pct": 10.0,
             "best_stock_code": "01787", "best_name": "Shandong Gold", "best_change_pct": 1.0,
             "worst_stock_code": "03330", "worst_name": None, "worst_change_pct": -1.0,
             "leaders": [{"stock_code": "01787", "name": "Shandong Gold", "change_pct": 1.0},
                         {"stock_code": "03330", "name": None, "change_pct": -1.0}]}
    return report.DayFacts(DAY, [index], southbound, [theme], [], [], [], {"HSI": [(DAY, 19823.53)]})


def test_the_story_of_a_first_session_says_what_it_cannot_compare():
    paragraphs = wrap.story(first_session_facts())
    assert paragraphs[0] == ("The Hang Seng Index closed at 19,823.53 (no previous session loaded) "
                             "on Wednesday 13 November 2024.")
    assert "short selling ratio was 19.39%, with no previous session loaded." in paragraphs[1]
    assert paragraphs[2].startswith("Stock Connect recorded southbound net selling of HK$2.00 billion "
                                    "(SSE HK$1.50 billion, SZSE HK$0.50 billion).")
    assert paragraphs[3] == ("Gold was unchanged on average (1 up, 1 down of 2); its biggest moves were "
                             "Shandong Gold (01787) +1.00% and 03330 -1.00%.")


def test_the_html_wrap_escapes_names_and_draws_a_chart_per_index():
    html = wrap.render(first_session_facts(), "wrap.html.j2")
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 2
    assert "Hang Seng Index&#39;s short selling ratio" in html


def test_a_falling_theme_is_led_by_its_five_biggest_decliners(scratch_warehouse):
    changes = {"00001": -1.0, "00002": -6.0, "00003": -2.0, "00004": -4.0, "00005": -3.0, "00006": -5.0,
               "00007": 9.0, "00008": 0.0}
    with warehouse.connect() as con:
        warehouse.ensure_schema(con)
        con.executemany("insert into core.security_groups values ('theme', 'Gold', ?)", [[code] for code in changes])
        con.executemany("insert into marts.security_daily (trade_date, stock_code, close, change_pct) "
                        "values (?, ?, 1.0, ?)", [[DAY, code, change] for code, change in changes.items()])
        con.execute("insert into marts.theme_daily by name "
                    "select * rename (group_name as theme) from core.group_moves('theme', $day, $day)", {"day": DAY})
        (theme,) = report._group_moves(con, "theme", DAY)
    assert [(m["stock_code"], m["change_pct"]) for m in theme["leaders"]] == [
        ("00002", -6.0), ("00006", -5.0), ("00004", -4.0), ("00005", -3.0), ("00003", -2.0)]
