import datetime as dt

from hk_market.publish import charts


def test_theme_bars_grow_right_for_rises_and_left_for_falls_from_one_zero_line():
    chart = charts.bar_chart([("Crypto-related", 4.0), ("Gold", -2.0)])
    rise, fall = chart.bars
    assert rise.up and rise.x == chart.zero_x and rise.width == 2 * fall.width
    assert not fall.up and fall.x + fall.width == chart.zero_x


def test_the_theme_axis_is_labelled_in_percent_at_round_ticks_through_zero():
    chart = charts.bar_chart([("Crypto-related", 4.37), ("Property", -5.68)])
    assert [tick.label for tick in chart.ticks] == ["-10", "-5", "0", "5"]
    assert next(tick.position for tick in chart.ticks if tick.label == "0") == chart.zero_x
    assert chart.x_title == "Average move, %" and chart.axis_y < chart.height


def test_round_ticks_cover_the_range_in_steps_of_1_2_2_5_or_5_times_a_power_of_ten():
    assert charts.nice_ticks(19435.81, 21586.61) == [19000, 20000, 21000, 22000]
    assert charts.nice_ticks(0.0, 0.9) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert charts.nice_ticks(7.0, 7.0) == [7.0]


def test_a_close_chart_has_round_y_ticks_around_its_range_and_dated_x_ticks():
    days = [dt.date(2024, 11, 12), dt.date(2024, 11, 13), dt.date(2024, 11, 14)]
    chart = charts.line_chart("HSI", list(zip(days, [19946.76, 19823.53, 19435.81], strict=True)))
    assert [tick.label for tick in chart.y_ticks] == ["19,400", "19,600", "19,800", "20,000"]
    assert chart.y_ticks[0].position == chart.bottom and chart.y_ticks[-1].position == chart.top
    assert [(tick.label, tick.position) for tick in chart.x_ticks] == [
        ("12 Nov", chart.left), ("13 Nov", (chart.left + chart.right) / 2), ("14 Nov", chart.right)]
    ys = [float(point.split(",")[1]) for point in chart.points.split()]
    assert chart.top < ys[0] < ys[1] < ys[2] < chart.bottom  # falling closes, inside the plot
    assert (chart.low, chart.high, chart.last) == (19435.81, 19946.76, 19435.81)
    assert (chart.x_title, chart.y_title) == ("Session", "Close (points)")
