"""Chart geometry for the market wrap: the numbers an inline SVG template draws (templates/_charts.html.j2)."""

import datetime as dt
from dataclasses import dataclass

BAR_ROW_PX, BAR_HEIGHT_PX = 24, 16
LABEL_PX, VALUE_PX, PLOT_PX = 160, 56, 420  # label column, room for a value beside its bar, the bars
LINE_WIDTH_PX, LINE_HEIGHT_PX, LINE_PAD_PX = 300, 150, 24


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
    label_x: float = LABEL_PX - 10  # labels end here, left of the plot
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
    pad: int = LINE_PAD_PX


def bar_chart(values: list[tuple[str, float]]) -> BarChart:
    """Horizontal bars around a zero line, one row per (label, value), in the order given."""
    low = min([0.0, *(value for _, value in values)])
    high = max([0.0, *(value for _, value in values)])
    scale = PLOT_PX / ((high - low) or 1.0)
    zero_x = LABEL_PX + VALUE_PX + (0 - low) * scale
    bars = [Bar(label, value, x=min(zero_x, zero_x + value * scale), y=row * BAR_ROW_PX + 4,
                width=max(abs(value) * scale, 1.0), up=value >= 0)
            for row, (label, value) in enumerate(values)]
    return BarChart(width=LABEL_PX + 2 * VALUE_PX + PLOT_PX, height=len(values) * BAR_ROW_PX + 8, zero_x=zero_x,
                    bars=bars)


def line_chart(title: str, series: list[tuple[dt.date, float]]) -> LineChart:
    """A line of values over sessions, scaled to its own range (one small chart per index)."""
    values = [value for _, value in series]
    low, high = min(values), max(values)
    x_step = (LINE_WIDTH_PX - 2 * LINE_PAD_PX) / max(len(series) - 1, 1)
    y_scale = (LINE_HEIGHT_PX - 2 * LINE_PAD_PX) / ((high - low) or 1.0)
    points = " ".join(f"{LINE_PAD_PX + n * x_step:.1f},{LINE_HEIGHT_PX - LINE_PAD_PX - (value - low) * y_scale:.1f}"
                      for n, value in enumerate(values))
    return LineChart(title=title, width=LINE_WIDTH_PX, height=LINE_HEIGHT_PX, points=points, low=low, high=high,
                     last=values[-1], first_day=series[0][0], last_day=series[-1][0])
