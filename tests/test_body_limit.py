"""Request bodies are capped before they are read (issue 14, item 12): by Content-Length, first
thing in the middleware, 413 with a message; 20 MB on the import URLs, 3 MB elsewhere."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User

MB = 1024 * 1024


class UnreadStream:
    """A wsgi.input that records whether anything read it (a 100 MB body is never sent here)."""

    def __init__(self):
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        return b""

    def readline(self, *args):
        self.reads += 1
        return b""


def post(client, path, length, content_type="application/x-www-form-urlencoded"):
    stream = UnreadStream()
    response = client.generic(
        "POST",
        path,
        data=b"x",
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": stream},
    )
    return response, stream


def test_the_limits_are_set():
    assert settings.MIDDLEWARE[0] == "config.bodylimit.RequestBodyLimitMiddleware"
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.REQUEST_BODY_MAX_BYTES <= 3 * MB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 3 * MB
    assert settings.UPLOAD_BODY_MAX_BYTES == 20 * MB


@pytest.mark.django_db
def test_an_anonymous_100_mb_login_post_is_refused_unread(client):
    users = User.objects.count()
    response, stream = post(client, reverse("login"), 100 * MB)
    assert response.status_code == 413
    assert stream.reads == 0
    assert "too large" in response.content.decode() or "过大" in response.content.decode()
    assert "100.0 MB" in response.content.decode()
    assert User.objects.count() == users


@pytest.mark.django_db
def test_an_import_over_20_mb_is_refused_unread_even_logged_in(client, personas):
    client.force_login(personas["county_admin"])
    path = reverse("excel:import", args=["cadres"])
    assert path.startswith(tuple(settings.UPLOAD_PATH_PREFIXES))
    response, stream = post(client, path, 21 * MB, "multipart/form-data; boundary=xyz")
    assert response.status_code == 413 and stream.reads == 0
    assert "20 MB" in response.content.decode()


@pytest.mark.django_db
def test_a_body_between_the_two_limits_is_refused_on_a_page_but_not_on_an_import(client, personas):
    client.force_login(personas["county_admin"])
    page, stream = post(client, reverse("login"), 5 * MB)
    assert page.status_code == 413 and stream.reads == 0
    upload, stream = post(
        client, reverse("excel:import", args=["cadres"]), 5 * MB, "multipart/form-data; boundary=xyz"
    )
    assert upload.status_code != 413  # read by Django (a broken multipart here: its own answer)


def test_the_refusal_is_plain_text_and_closes_the_connection(client):
    response, stream = post(client, "/", 100 * MB)
    assert response.status_code == 413 and stream.reads == 0
    assert response["Content-Type"].startswith("text/plain") and response["Connection"] == "close"
