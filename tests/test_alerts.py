"""The alert callbacks: one line an operator can act on, from the context Airflow hands them, e-mailed
through the hk_market_alerts connection when there is one."""

import asyncio
import datetime as dt
import email.message
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from hk_market.airflow_glue.alerts import ALERTS_CONN_ID, log_deadline_missed, log_task_failure

UTC = dt.UTC
WRAP_RUN = dt.datetime(2024, 11, 14, 9, 30, tzinfo=UTC)  # 17:30 HKT


def failure_context(error: BaseException | str) -> dict:
    """What the task runner passes on_failure_callback (the parts the alert reads)."""
    ti = SimpleNamespace(dag_id="hk_market_daily", task_id="validate_prices", try_number=1,
                         run_id="scheduled__2024-11-14T09:30:00+00:00")
    return {"ti": ti, "task_instance": ti, "logical_date": WRAP_RUN, "exception": error}


def deadline_context(run_type: str) -> dict:
    """What the scheduler passes a deadline callback: the run as the REST API shows it, and the deadline."""
    return {
        "dag_run": {"dag_id": "hk_market_daily", "dag_run_id": f"{run_type}__2024-11-14T09:30:00+00:00",
                    "logical_date": "2024-11-14T09:30:00Z", "run_type": run_type, "state": "running"},
        "deadline": {"id": "0193", "deadline_time": dt.datetime(2024, 11, 14, 11, 0, tzinfo=UTC)},
    }


class Inbox(Message):
    """A local SMTP server's mailbox: every message it received."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


def text_of(message: email.message.Message) -> str:
    """A received alert's subject and body, as the person reading it sees them."""
    [part] = [part for part in message.walk() if part.get_content_type() == "text/html"]
    return f"{message['Subject']}\n{part.get_payload(decode=True).decode()}"


@pytest.fixture
def smtp_inbox(monkeypatch) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 and a free port, named by the hk_market_alerts connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        monkeypatch.setenv(f"AIRFLOW_CONN_{ALERTS_CONN_ID.upper()}", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"to": "oncall@example.com", "from_email": "airflow@example.com", "disable_ssl": True,
                      "disable_tls": True, "retry_limit": 0, "timeout": 10}}))
        yield inbox
    finally:
        server.stop()


def alert_lines(caplog, level: int = logging.INFO) -> list[logging.LogRecord]:
    """The alert lines themselves (not the one line a process says when alerts are not e-mailed)."""
    return [record for record in caplog.records
            if record.levelno >= level and record.getMessage().startswith(("hk-market task", "hk-market deadline",
                                                                           "hk-market backfill"))]


def test_a_failed_task_logs_dag_task_day_and_cause_on_one_line(caplog):
    error = ValueError("prices for 2024-11-14 failed validation:\n  expect_column_values_to_be_between(close)")
    with caplog.at_level(logging.ERROR, logger="hk_market.alerts"):
        log_task_failure(failure_context(error))
    [record] = alert_lines(caplog)
    assert record.getMessage() == (
        "hk-market task failed: dag=hk_market_daily task=validate_prices day=2024-11-14 try=1 "
        "run=scheduled__2024-11-14T09:30:00+00:00 cause=ValueError: prices for 2024-11-14 failed validation:"
    )


def test_a_failure_without_an_exception_still_names_its_cause(caplog):
    with caplog.at_level(logging.ERROR, logger="hk_market.alerts"):
        log_task_failure(failure_context("Task exceeded its execution_timeout"))
    assert alert_lines(caplog)[0].getMessage().endswith("cause=Task exceeded its execution_timeout")


def test_a_missed_deadline_logs_the_day_and_the_deadline_in_hong_kong_time(caplog):
    with caplog.at_level(logging.INFO, logger="hk_market.alerts"):
        asyncio.run(log_deadline_missed(context=deadline_context("scheduled")))
    [record] = alert_lines(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "hk-market deadline missed: dag=hk_market_daily day=2024-11-14 run=scheduled__2024-11-14T09:30:00+00:00 "
        "state=running deadline=2024-11-14 19:00 HKT"
    )


def test_a_backfill_past_its_deadline_is_noted_not_alerted(caplog):
    with caplog.at_level(logging.INFO, logger="hk_market.alerts"):
        asyncio.run(log_deadline_missed(context=deadline_context("backfill")))
    [record] = alert_lines(caplog)
    assert record.levelno == logging.INFO
    assert "not alerted" in record.getMessage() and "day=2024-11-14" in record.getMessage()


def test_both_alerts_are_emailed_with_dag_task_day_and_cause(smtp_inbox):
    log_task_failure(failure_context(ValueError("prices for 2024-11-14 failed validation: {{ not a template }}")))
    asyncio.run(log_deadline_missed(context=deadline_context("scheduled")))
    failure, deadline = map(text_of, smtp_inbox.messages)
    assert failure.splitlines()[0] == "[hk-market] hk_market_daily.validate_prices failed for 2024-11-14"
    assert "cause=ValueError: prices for 2024-11-14 failed validation: {{ not a template }}" in failure
    assert deadline.splitlines()[0] == "[hk-market] hk_market_daily missed its deadline for 2024-11-14"
    assert "state=running deadline=2024-11-14 19:00 HKT" in deadline
    assert {message["To"] for message in smtp_inbox.messages} == {"oncall@example.com"}


def test_without_the_connection_alerts_go_to_the_log_and_it_says_so_once(tmp_path):
    script = (
        "import asyncio, logging\n"
        "logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s', force=True)\n"
        "from tests.test_alerts import deadline_context, failure_context\n"
        "from hk_market.airflow_glue.alerts import log_deadline_missed, log_task_failure\n"
        "log_task_failure(failure_context(ValueError('bad prices')))\n"
        "log_task_failure(failure_context(ValueError('bad prices')))\n"
        "asyncio.run(log_deadline_missed(context=deadline_context('scheduled')))\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW_CONN_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1], env={**env, "AIRFLOW_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    said = done.stderr + done.stdout
    assert said.count("hk-market alerts go to the log only: no Airflow connection hk_market_alerts") == 1
    assert said.count("hk-market task failed:") == 2 and said.count("hk-market deadline missed:") == 1
    assert "Traceback" not in said


def test_a_mail_server_that_does_not_answer_costs_a_warning_not_the_callback(monkeypatch, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(f"AIRFLOW_CONN_{ALERTS_CONN_ID.upper()}", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"to": "oncall@example.com", "from_email": "airflow@example.com", "disable_ssl": True,
                  "retry_limit": 0, "timeout": 5}}))
    with caplog.at_level(logging.WARNING, logger="hk_market.alerts"):
        log_task_failure(failure_context(ValueError("bad prices")))
        asyncio.run(log_deadline_missed(context=deadline_context("scheduled")))
    said = [record.getMessage() for record in caplog.records if record.name == "hk_market.alerts"]
    not_sent = "hk-market alert e-mail not sent (hk_market_alerts)"
    assert [line.split(":")[0] for line in said] == ["hk-market task failed", not_sent, "hk-market deadline missed",
                                                     not_sent]
