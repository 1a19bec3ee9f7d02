"""While PostgreSQL is unreachable the app answers a clear 503 page, and it recovers by itself.

The database is made unreachable for real: the connection's settings are pointed at a closed port on
127.0.0.1 (connection refused), or the server terminates the backend of a live connection
(pg_terminate_backend, what a restart does to every open connection). Nothing of ours is mocked.
Transactional tests, because the connection itself is closed and reopened.
"""

import contextlib
import datetime
import socket

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from assignments.models import AttendanceRecord, AttendanceSheet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]


def _store_in_session(request):
    # No query here: a new session is only written by SessionMiddleware on the way out.
    request.session["probe"] = 1
    return HttpResponse("stored")


def _terminate_own_backend(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the connection was fine when the request began
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return HttpResponse("not reached")


urlpatterns = [
    path("probe/session/", _store_in_session),
    path("probe/terminate/", _terminate_own_backend),
    path("", include("config.urls")),
]


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database_unreachable():
    """Every new connection is refused until the block ends."""
    connection.close()
    saved = {k: connection.settings_dict[k] for k in ("HOST", "PORT")}
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def month():
    return datetime.date.today().replace(day=1)


@pytest.fixture
def grid(personas, make_village, make_cadre, dispatch, month):
    """A serving first secretary in the clerk's township and the sheet's URL."""
    dispatch(make_cadre(), make_village(), start=month - datetime.timedelta(days=60))
    return f"/attendance/{personas['clerk'].region.code}/{month:%Y-%m}/"


def _assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert "Database briefly unavailable" in body
    assert "Nothing was half-saved" in body
    assert "try again in a minute" in body


def test_pages_answer_the_503_page_while_the_database_refuses_connections(personas, grid):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(personas["clerk"])
    with database_unreachable():
        for url in ("/", grid, "/villages/"):
            _assert_unavailable_page(client.get(url))


def test_a_grid_save_during_the_outage_answers_503_and_writes_nothing(personas, grid):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(personas["clerk"])
    page = client.get(grid)
    row = page.context["rows"][0]
    posted = {
        "version": page.context["sheet"].version,
        f"row-{row.assignment.pk}": row.days.replace("P", "A"),
    }
    with database_unreachable():
        _assert_unavailable_page(client.post(grid, posted))
    assert not AttendanceRecord.objects.exists()
    assert not AttendanceSheet.objects.exists()  # not even the month's sheet (its first save failed)


def test_a_failure_in_the_session_middleware_on_the_way_out_also_answers_503():
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with database_unreachable():
        _assert_unavailable_page(client.get("/probe/session/"))
    assert client.get("/probe/session/").status_code == 200


def test_the_503_page_is_in_chinese_by_default_and_needs_no_session():
    client = Client(raise_request_exception=False)
    with database_unreachable():
        response = client.get("/probe/session/")
    assert response.status_code == 503
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_app_serves_again_by_itself_once_the_database_is_back(personas, grid):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(personas["clerk"])
    with database_unreachable():
        assert client.get(grid).status_code == 503
    page = client.get(grid)
    assert page.status_code == 200
    row = page.context["rows"][0]
    posted = {
        "version": page.context["sheet"].version,
        f"row-{row.assignment.pk}": row.days.replace("P", "B"),
    }
    assert client.post(grid, posted).status_code == 302
    assert AttendanceRecord.objects.get().days == posted[f"row-{row.assignment.pk}"]


def _serve(path, cookie="", language="en"):
    """One request through Django's real WSGI handler, closed as a WSGI server closes it, so the
    connection handling at request start and end (CONN_MAX_AGE, health checks) runs as in gunicorn."""
    environ = RequestFactory().get(path, HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE=language).environ
    status = {}

    def start_response(line, headers, exc_info=None):
        status["code"] = int(line.split()[0])

    result = WSGIHandler()(environ, start_response)
    body = b"".join(result).decode()
    result.close()
    return status["code"], body


@pytest.fixture
def persistent_connections():
    connection.close()
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 600
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved
    connection.close()


def test_a_persistent_connection_that_failed_is_dropped_and_the_next_request_reconnects(
    personas, grid, persistent_connections
):
    client = Client()
    client.force_login(personas["clerk"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection.close()

    assert _serve(grid, cookie)[0] == 200
    assert connection.connection is not None, "kept open between requests (CONN_MAX_AGE)"
    first_backend = connection.connection.get_backend_pid()

    code, body = _serve("/probe/terminate/", cookie)
    assert code == 503
    assert "Database briefly unavailable" in body
    assert connection.connection is None, "the broken connection is closed when the request ends"

    assert _serve(grid, cookie)[0] == 200
    assert connection.connection.get_backend_pid() != first_backend


def test_a_persistent_connection_killed_between_requests_is_replaced_by_the_health_check(
    personas, grid, persistent_connections
):
    client = Client()
    client.force_login(personas["clerk"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection.close()
    assert _serve(grid, cookie)[0] == 200
    victim = connection.connection.get_backend_pid()

    # Another session ends the idle connection, as a server restart does.
    import psycopg2

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    other = psycopg2.connect(**params)
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [victim])
        assert cursor.fetchone()[0] is True
    other.close()

    assert _serve(grid, cookie)[0] == 200
    assert connection.connection.get_backend_pid() != victim
