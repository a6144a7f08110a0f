"""Alerts: when a task fails, and when the daily run misses its deadline, log one line and e-mail it.

Both log through `hk_market.alerts`, so an operator greps one logger. The e-mail goes through the
provider's `SmtpNotifier` (Airflow's notifier framework) on the Airflow connection `hk_market_alerts`
(type smtp, recipients in its extra `to`); without that connection alerts go to the log only, and the
first alert of a process says so once. docs/operations.md shows the connection, and Slack instead.
The failure callback runs in the task's process; the deadline callback in the triggerer. Imported by
DAG files at parse time, so it imports nothing heavy at top level.
"""

import datetime as dt
import html
import logging

from hk_market.settings import HK_TZ

ALERTS_CONN_ID = "hk_market_alerts"
log = logging.getLogger("hk_market.alerts")  # the one logger operators grep for alerts (see above)


def log_task_failure(context) -> None:
    """`on_failure_callback`: log the DAG, task, trading day, try and cause of a failed task on one line,
    and e-mail it."""
    ti = context["ti"]
    error = context.get("exception")
    if isinstance(error, BaseException):
        cause = f"{type(error).__name__}: {_first_line(error)}"
    else:  # a failure Airflow describes rather than raises (a killed task, a heartbeat timeout)
        cause = str(error or "unknown")
    day = _day(context.get("logical_date"))
    line = (f"hk-market task failed: dag={ti.dag_id} task={ti.task_id} day={day} try={ti.try_number} "
            f"run={ti.run_id} cause={cause}")
    log.error("%s", line)
    log_url = getattr(ti, "log_url", None)  # the task's log in the UI
    text = f"{line}\n\nLog: {log_url}" if log_url else line
    notifier = _notifier(_connection(), context, f"[hk-market] {ti.dag_id}.{ti.task_id} failed for {day}", text)
    if notifier is not None:
        try:
            notifier(notifier.context)
        except Exception as error:  # noqa: BLE001 - an unreachable mail server must not hide the task's own failure
            log.warning("hk-market alert e-mail not sent (%s): %s", ALERTS_CONN_ID, error)


async def log_deadline_missed(context: dict, **_) -> None:
    """Deadline callback (run by the triggerer): the daily run had not finished by its deadline.

    `context` is what Airflow passes to deadline callbacks: the run (`dag_run`, as the REST API shows
    it) and the `deadline`. The 90 minutes count from when the run was queued; a backfill queues all its
    runs at once, so its later runs' deadlines pass while they wait their turn: noted, not alerted.
    """
    run, deadline = context["dag_run"], context["deadline"]
    day = _day(run.get("logical_date"))
    if run.get("run_type") == "backfill":
        log.info("hk-market backfill run past its deadline (not alerted): dag=%s day=%s run=%s",
                 run["dag_id"], day, run["dag_run_id"])
        return
    line = (f"hk-market deadline missed: dag={run['dag_id']} day={day} run={run['dag_run_id']} "
            f"state={run.get('state')} deadline={_hk_time(deadline['deadline_time'])}")
    log.error("%s", line)
    subject = f"[hk-market] {run['dag_id']} missed its deadline for {day}"
    notifier = _notifier(await _aconnection(), context, subject, line)
    if notifier is not None:
        try:
            await notifier
        except Exception as error:  # noqa: BLE001 - the log line above stands when the mail server does not answer
            log.warning("hk-market alert e-mail not sent (%s): %s", ALERTS_CONN_ID, error)


def _notifier(connection, context: dict, subject: str, text: str):
    """An SmtpNotifier for one alert on the hk_market_alerts connection, or None when it is not configured.

    The notifier renders its fields as templates; the alert goes in through the context, so a cause
    that happens to contain `{{` is sent as it is.
    """
    recipients = connection and connection.extra_dejson.get("to")
    if not recipients:
        _say_log_only("no Airflow connection" if connection is None else "no `to` in the extra of")
        return None
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    alert = {"subject": subject, "html": f"<pre>{html.escape(text)}</pre>"}
    return SmtpNotifier(to=recipients, smtp_conn_id=ALERTS_CONN_ID, subject="{{ hk_market_alert.subject }}",
                        html_content="{{ hk_market_alert.html }}", context={**context, "hk_market_alert": alert})


def _connection():
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        return None


async def _aconnection():
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return await BaseHook.aget_connection(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        return None


_said_log_only = False


def _say_log_only(reason: str) -> None:
    """Say once per process (a task's, the triggerer's) that alerts are not e-mailed, and why."""
    global _said_log_only
    if not _said_log_only:
        _said_log_only = True
        log.warning("hk-market alerts go to the log only: %s %s (docs/operations.md)", reason, ALERTS_CONN_ID)


def _day(logical_date: dt.datetime | str | None) -> str:
    """The Hong Kong day a run is for, from its logical date (ISO text when the run was serialised)."""
    return "none" if logical_date is None else _in_hong_kong(logical_date).date().isoformat()


def _hk_time(moment: dt.datetime | str) -> str:
    return _in_hong_kong(moment).strftime("%Y-%m-%d %H:%M HKT")


def _in_hong_kong(moment: dt.datetime | str) -> dt.datetime:
    return (dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment).astimezone(HK_TZ)


def _first_line(error: BaseException) -> str:
    """An exception's first line of text (validation errors go on to list every failed expectation)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "(no message)"
