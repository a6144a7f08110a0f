"""The live sources' HTTP: retries with backoff, 404 as not published, one clear message without a network.

Requests go to a local server on 127.0.0.1 that answers each path from a script, a closed local port, or a host
that never resolves (.invalid); nothing leaves the machine.
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hk_market.sources import http
from hk_market.sources.errors import HostUnreachable, NotPublished, SourceUnavailable


class ScriptedServer:
    """Answers GET path with the next (status, body, delay_seconds) scripted for it; counts the hits."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, str, float]]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                answers = server.script[self.path]
                status, body, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                if delay:
                    time.sleep(delay)
                payload = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)
    monkeypatch.setattr(http, "TIMEOUT_SECONDS", (1.0, 0.3))
    scripted = ScriptedServer()
    thread = threading.Thread(target=scripted.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


def test_a_page_is_returned_as_text(server):
    server.script["/ashtmain.htm"] = [(200, "<pre>report</pre>", 0)]
    assert http.get_text(server.url + "/ashtmain.htm") == "<pre>report</pre>"


def test_http_404_means_not_published_yet_and_is_not_retried_here(server):
    server.script["/d241114e.htm"] = [(404, "Not Found", 0)]
    with pytest.raises(NotPublished, match=r"d241114e.htm: HTTP 404, not published yet or no such day"):
        http.get_text(server.url + "/d241114e.htm")
    assert server.hits["/d241114e.htm"] == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_and_rate_limits_are_retried_until_they_pass(server, status):
    server.script["/file.js"] = [(status, "busy", 0), (status, "busy", 0), (200, "tabData = [];", 0)]
    assert http.get_text(server.url + "/file.js") == "tabData = [];"
    assert server.hits["/file.js"] == 3


def test_a_server_error_that_persists_fails_after_every_retry_naming_the_status(server):
    server.script["/file.js"] = [(503, "down", 0)]
    with pytest.raises(SourceUnavailable, match=r"HTTP 503 Service Unavailable on all 5 tries"):
        http.get_text(server.url + "/file.js")
    assert server.hits["/file.js"] == http.RETRIES + 1


def test_a_timeout_is_retried(server):
    server.script["/slow.htm"] = [(200, "late", 1.0), (200, "on time", 0)]
    assert http.get_text(server.url + "/slow.htm") == "on time"
    assert server.hits["/slow.htm"] == 2


def test_a_refusal_like_403_fails_at_once(server):
    server.script["/ListOfSecurities.xlsx"] = [(403, "Forbidden", 0)]
    with pytest.raises(SourceUnavailable, match="HTTP 403"):
        http.get(server.url + "/ListOfSecurities.xlsx")
    assert server.hits["/ListOfSecurities.xlsx"] == 1


def test_retries_wait_longer_each_time(server, monkeypatch):
    waits = []
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 2.0)
    monkeypatch.setattr(http, "sleep", waits.append)
    server.script["/file.js"] = [(503, "down", 0)]
    with pytest.raises(SourceUnavailable):
        http.get(server.url + "/file.js")
    assert waits == [2.0, 4.0, 8.0, 16.0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_host_that_refuses_connections_fails_fast_with_one_message_naming_it(monkeypatch):
    monkeypatch.setattr(http, "sleep", lambda seconds: pytest.fail("an unreachable host is not retried"))
    with pytest.raises(HostUnreachable) as failure:
        http.get_text(f"http://127.0.0.1:{closed_port()}/eng/csm/DailyStat/data_tab_daily_20241114e.js")
    assert failure.value.host == "127.0.0.1"
    assert str(failure.value).startswith("could not reach 127.0.0.1: ")


def test_no_network_is_one_message_naming_the_host_and_the_offline_source(monkeypatch):
    monkeypatch.setattr(http, "sleep", lambda seconds: pytest.fail("an unresolvable host is not retried"))
    with pytest.raises(HostUnreachable) as failure:  # .invalid never resolves (RFC 2606)
        http.get_text("http://hk-market-test.invalid/eng/stat/smstat/ssturnover/ncms/ashtmain.htm")
    message = str(failure.value)
    assert failure.value.host == "hk-market-test.invalid"
    assert message.startswith("could not reach hk-market-test.invalid: Failed to resolve 'hk-market-test.invalid' (")
    assert message.endswith(
        "). Is the network down? To run offline on the embedded market, set HK_MARKET_SOURCE=sample "
        "(in Airflow: airflow variables set hk_market_source sample)"
    )


def test_a_timeout_that_persists_is_transient_not_unreachable(server):
    server.script["/slow.htm"] = [(200, "late", 1.0)]
    with pytest.raises(SourceUnavailable, match="timed out") as failure:
        http.get_text(server.url + "/slow.htm")
    assert not isinstance(failure.value, HostUnreachable)
