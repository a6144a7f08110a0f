import datetime as dt

from hk_market import charts


def test_theme_bars_grow_right_for_rises_and_left_for_falls_from_one_zero_line():
    chart = charts.bar_chart([("Crypto-related", 4.0), ("Gold", -2.0)])
    rise, fall = chart.bars
    assert rise.up and rise.x == chart.zero_x and rise.width == 2 * fall.width
    assert not fall.up and fall.x + fall.width == chart.zero_x


def test_a_close_chart_spans_its_own_range_from_first_to_last_session():
    days = [dt.date(2024, 11, 12), dt.date(2024, 11, 13), dt.date(2024, 11, 14)]
    chart = charts.line_chart("HSI", list(zip(days, [19946.76, 19823.53, 19435.81], strict=True)))
    ys = [float(point.split(",")[1]) for point in chart.points.split()]
    assert ys[0] == chart.pad and ys[-1] == chart.height - chart.pad  # the high at the top, the low at the bottom
    assert (chart.low, chart.high, chart.last) == (19435.81, 19946.76, 19435.81)
    assert (chart.first_day, chart.last_day) == (days[0], days[-1])
