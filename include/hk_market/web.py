"""The "HK Market" page that the Airflow plugin serves: pick a trading day, see its wrap and its mart rows.

It reads the analyst snapshot, never the live warehouse, so a running DAG and the page never wait on
each other. Only users signed in to Airflow (the UI's session cookie, or a bearer token) see it.
"""

import datetime as dt
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from hk_market import report, settings, warehouse, wrap
from hk_market.dag_defaults import MART_TABLES


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


def mart_rows(con, day: dt.date) -> list[dict]:
    """Each mart's rows for the day: name, column names, rows."""
    tables = []
    for table in MART_TABLES:
        cursor = con.execute(f"select * exclude (trade_date) from marts.{table} where trade_date = $day order by all",
                             {"day": day})
        tables.append({"name": table, "columns": [column[0] for column in cursor.description],
                       "rows": cursor.fetchall()})
    return tables


def page(day: dt.date | None, snapshot: Path | str) -> str:
    """The page for a day (the latest when None), read from the snapshot (on a DuckLake, the lake read-only)."""
    on_lake = settings.is_lake(snapshot)
    if not on_lake and not Path(snapshot).exists():
        raise HTTPException(status_code=503, detail=f"no analyst snapshot at {snapshot} yet: run hk_market_daily")
    with warehouse.connect(snapshot, read_only=True) as con:
        days = report.trading_days(con)
        day = day or (days[0] if days else None)
        facts = report.day_facts(con, day) if day else None
        if facts is None:
            raise HTTPException(status_code=404, detail=f"{day} is not a trading day in the analyst snapshot")
        tables = mart_rows(con, day)
    published = dt.datetime.now() if on_lake else dt.datetime.fromtimestamp(Path(snapshot).stat().st_mtime)
    return wrap.render(facts, "page.html.j2", days=days, tables=tables,
                       snapshot=settings.display_name(snapshot) if on_lake else Path(snapshot).name,
                       published=f"{published.astimezone():%Y-%m-%d %H:%M %Z}")


app = FastAPI(title="HK Market", dependencies=[Depends(signed_in)])


@app.get("/", response_class=HTMLResponse)
def hk_market_page(day: dt.date | None = None) -> str:
    """A trading day's wrap and mart tables (`?day=YYYY-MM-DD`; the latest day by default)."""
    return page(day, settings.analyst_database())
