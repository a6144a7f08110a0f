"""The "HK Market" page that the Airflow plugin serves: pick a trading day, see its wrap and its mart rows, and
download each mart's rows for the day as CSV.

It reads the analyst snapshot, never the live warehouse, so a running DAG and the page never wait on
each other. Only users signed in to Airflow (the UI's session cookie, or a bearer token) see it: `app`
puts the pages (`pages`) behind that check.
"""

import csv
import datetime as dt
import io
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from hk_market import calendar, settings, warehouse
from hk_market.publish import report, wrap
from hk_market.registry import MART_TABLES
from hk_market.sql_text import quote_identifier


async def signed_in(request: Request) -> None:
    """Let through an Airflow user allowed to see the website; 401 or 403 otherwise."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import resolve_user_from_token

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials if scheme.lower() == "bearer" else request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    user = await resolve_user_from_token(token)
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status_code=403, detail="Forbidden")


class PageError(Exception):
    """A request the page answers with an HTML page of its own: the status, what went wrong, the nearest sessions."""

    def __init__(self, status: int, message: str, before: dt.date | None = None, after: dt.date | None = None):
        super().__init__(message)
        self.status, self.message, self.before, self.after = status, message, before, after


def _money_unit(values: list) -> tuple[float, str]:
    """HK$ bn for a column of billions only, else HK$ m (so a small figure never prints as 0.00)."""
    amounts = [abs(v) for v in values if v]
    return (1e9, "bn") if amounts and min(amounts) >= 1e9 else (1e6, "m")


def _cell(column: str, value, money_scale: float) -> tuple[str, bool]:
    """A mart value as the page prints it, and whether it is a number (right-aligned)."""
    if value is None:
        return "n/a", True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if column.endswith("_hkd"):
        return f"{value / money_scale:,.2f}", True
    if column == "short_sell_ratio_pct":
        return wrap.FILTERS["ratio"](value), True
    if column.endswith("change_pct"):
        return wrap.FILTERS["signed_pct"](value), True
    if column.endswith("_pp"):
        return wrap.FILTERS["signed_pp"](value), True
    if column in ("close", "prev_close") and isinstance(value, float):
        return wrap.FILTERS["price"](value), True
    if isinstance(value, float):
        return wrap.FILTERS["number"](value), True
    if isinstance(value, int):
        return f"{value:,}", True
    return str(value), False


def mart_table(name: str, columns: list[str], rows: list[tuple]) -> dict:
    """A mart's rows for the page, less the day: headers with units, cells formatted (money in HK$ m or bn, n/a for
    no data)."""
    keep = [n for n, column in enumerate(columns) if column != "trade_date"]
    columns, rows = [columns[n] for n in keep], [[row[n] for n in keep] for row in rows]
    scales = {c: _money_unit([row[n] for row in rows]) for n, c in enumerate(columns) if c.endswith("_hkd")}
    headers = [f"{c} (HK$ {scales[c][1]})" if c in scales else f"{c} (%)" if c.endswith("_pct") else c
               for c in columns]
    cells = [[_cell(c, value, scales.get(c, (1.0, ""))[0]) for c, value in zip(columns, row, strict=True)]
             for row in rows]
    return {"name": name, "headers": headers, "rows": cells}


def _mart_rows(con, table: str, day: dt.date) -> tuple[list[str], list[tuple]]:
    """A known mart's rows for the day (the name from MART_TABLES only, the day bound)."""
    if table not in MART_TABLES:
        raise PageError(404, f"There is no mart table {table!r}: the page offers {', '.join(MART_TABLES)}.")
    cursor = con.execute(f"select * from {quote_identifier('marts', table)} where trade_date = $day "
                         "order by all", {"day": day})
    return [column[0] for column in cursor.description], cursor.fetchall()


def _snapshot() -> str:
    """What the page reads: the snapshot file, or on a DuckLake the lake itself (read-only)."""
    snapshot = settings.analyst_database()
    if not settings.is_lake(snapshot) and not Path(snapshot).exists():
        raise PageError(503, f"No analyst snapshot at {snapshot} yet: run hk_market_daily.")
    return snapshot


def _check_day(text: str | None, days: list[dt.date]) -> dt.date:
    """The requested day (the latest when none), if the snapshot holds it; a PageError naming the nearest
    sessions before and after it otherwise."""
    if not days:
        raise PageError(404, "The analyst snapshot holds no trading day yet: run hk_market_daily.")
    if text is None:
        return days[0]
    try:
        day = calendar.parse_day(text)
    except ValueError as error:
        raise PageError(400, f"{error}. Pick a day as YYYY-MM-DD.", after=days[0]) from None
    if day in days:
        return day
    try:
        why = "an HKEX session not loaded yet" if calendar.is_session(day) else "not an HKEX trading day"
    except ValueError:  # outside the calendar's range
        why = "outside the HKEX calendar this project knows"
    raise PageError(404, f"{wrap.FILTERS['long_date'](day)} is {why}: the analyst snapshot has no wrap for it.",
                    before=max((d for d in days if d < day), default=None),
                    after=min((d for d in days if d > day), default=None))


def page(day_text: str | None) -> str:
    """The wrap and mart tables of a day (the latest when None), read from the snapshot."""
    snapshot = _snapshot()
    with warehouse.connect(snapshot, read_only=True) as con:
        days = report.trading_days(con)
        day = _check_day(day_text, days)
        facts = report.day_facts(con, day)
        tables = [mart_table(table, *_mart_rows(con, table, day)) for table in MART_TABLES]
    on_lake = settings.is_lake(snapshot)
    published = dt.datetime.now() if on_lake else dt.datetime.fromtimestamp(Path(snapshot).stat().st_mtime)
    return wrap.render(facts, "page.html.j2", days=days, tables=tables,
                       snapshot=settings.display_name(snapshot) if on_lake else Path(snapshot).name,
                       published=f"{published.astimezone():%Y-%m-%d %H:%M %Z}")


def mart_csv(table: str, day_text: str | None) -> tuple[str, str]:
    """A mart's rows for a day as CSV (full precision, money in HKD), and its file name."""
    with warehouse.connect(_snapshot(), read_only=True) as con:
        day = _check_day(day_text, report.trading_days(con))
        columns, rows = _mart_rows(con, table, day)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return text.getvalue(), f"{table}_{day.isoformat()}.csv"


pages = APIRouter()


@pages.get("/", response_class=HTMLResponse)
def hk_market_page(day: str | None = None) -> str:
    """A trading day's wrap and mart tables (`?day=YYYY-MM-DD`; the latest day by default)."""
    return page(day)


@pages.get("/csv/{table}")
def hk_market_csv(table: str, day: str | None = None) -> Response:
    """A mart's rows for a trading day as a CSV download (`/csv/<mart table>?day=YYYY-MM-DD`)."""
    text, filename = mart_csv(table, day)
    return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def page_error(request: Request, error: PageError) -> HTMLResponse:
    """A PageError as a page: what went wrong, and links to the nearest sessions."""
    def link(day: dt.date | None):
        return day and str(request.url_for("hk_market_page").include_query_params(day=day.isoformat()))

    html = wrap.templates().get_template("error.html.j2").render(
        error=error, before_url=link(error.before), after_url=link(error.after))
    return HTMLResponse(html, status_code=error.status)


def hk_market_app(dependencies: tuple = ()) -> FastAPI:
    """A FastAPI app serving the pages behind the dependencies, its errors as HTML pages."""
    application = FastAPI(title="HK Market", dependencies=list(dependencies))
    application.include_router(pages)
    application.add_exception_handler(PageError, page_error)
    return application


app = hk_market_app(dependencies=(Depends(signed_in),))
