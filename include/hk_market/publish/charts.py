"""Chart geometry for the market wrap: the numbers an inline SVG template draws (templates/_charts.html.j2).

Both charts have labelled axes: ticks at round values (1, 2, 2.5 or 5 times a power of ten) and a title.
"""

import datetime as dt
import math
from dataclasses import dataclass

BAR_ROW_PX, BAR_HEIGHT_PX = 24, 16
LABEL_PX, VALUE_PX, PLOT_PX = 124, 46, 240  # label column, room for a value beside its bar, the bars
AXIS_PX = 40  # below a plot: tick labels and the axis title
LINE_WIDTH_PX, LINE_HEIGHT_PX = 300, 190
LINE_LEFT_PX, LINE_RIGHT_PX, LINE_TOP_PX = 64, 14, 10  # room for the y ticks and title; the last x label


@dataclass(frozen=True)
class Tick:
    position: float  # px along its axis
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    up: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    zero_x: float
    bars: list[Bar]
    axis_y: float  # the x axis, below the bars
    ticks: list[Tick]
    x_title: str = "Average move, %"
    label_x: float = LABEL_PX - 8  # labels end here, left of the plot
    bar_height: int = BAR_HEIGHT_PX


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    points: str  # the SVG polyline's "x,y x,y ..."
    low: float
    high: float
    last: float
    first_day: dt.date
    last_day: dt.date
    left: float  # the plot's edges
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_title: str = "Session"
    y_title: str = "Close (points)"


def nice_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Round values from at or below low to at or above high, at most `most` of them (one for a flat range)."""
    if high == low:
        return [low]
    raw = (high - low) / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor * (most - 1) >= high - low)
    first = math.floor(low / step + 1e-9) * step
    count = math.ceil((high - first) / step - 1e-9) + 1
    return [round(first + n * step, 10) for n in range(count)]


def _tick_label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:,.{decimals}f}"


def bar_chart(values: list[tuple[str, float]]) -> BarChart:
    """Horizontal bars around a zero line, one row per (label, value), in the order given, over a % axis."""
    ticks = nice_ticks(min([0.0, *(v for _, v in values)]), max([0.0, *(v for _, v in values)]))
    low, high = ticks[0], ticks[-1]
    scale = PLOT_PX / ((high - low) or 1.0)
    zero_x = LABEL_PX + VALUE_PX + (0 - low) * scale
    bars = [Bar(label, value, x=min(zero_x, zero_x + value * scale), y=row * BAR_ROW_PX + 4,
                width=max(abs(value) * scale, 1.0), up=value >= 0)
            for row, (label, value) in enumerate(values)]
    axis_y = len(values) * BAR_ROW_PX + 8
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return BarChart(width=LABEL_PX + 2 * VALUE_PX + PLOT_PX, height=axis_y + AXIS_PX, zero_x=zero_x, bars=bars,
                    axis_y=axis_y, ticks=[Tick(zero_x + t * scale, _tick_label(t, step)) for t in ticks])


def line_chart(title: str, series: list[tuple[dt.date, float]]) -> LineChart:
    """A line of values over sessions on round y ticks around its own range (one small chart per index),
    the x axis labelled at its first, middle and last session."""
    values = [value for _, value in series]
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    left, right = LINE_LEFT_PX, LINE_WIDTH_PX - LINE_RIGHT_PX
    top, bottom = LINE_TOP_PX, LINE_HEIGHT_PX - AXIS_PX
    x_step = (right - left) / max(len(series) - 1, 1)
    y_scale = (bottom - top) / ((high - low) or 1.0)

    def y(value: float) -> float:
        return bottom - (value - low) * y_scale if high > low else (top + bottom) / 2

    points = " ".join(f"{left + n * x_step:.1f},{y(value):.1f}" for n, value in enumerate(values))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    labelled = sorted({0, (len(series) - 1) // 2, len(series) - 1})
    return LineChart(title=title, width=LINE_WIDTH_PX, height=LINE_HEIGHT_PX, points=points,
                     low=min(values), high=max(values), last=values[-1],
                     first_day=series[0][0], last_day=series[-1][0], left=left, right=right, top=top, bottom=bottom,
                     x_ticks=[Tick(left + n * x_step, f"{series[n][0]:%d %b}") for n in labelled],
                     y_ticks=[Tick(y(t), _tick_label(t, step)) for t in ticks])
