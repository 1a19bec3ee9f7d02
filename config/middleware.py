"""A clear 503 page while the database is unreachable, wherever in the request the failure happens.

When PostgreSQL is down or restarting, every query raises django.db's ``OperationalError`` (connection
refused, server closed the connection, terminating connection due to administrator command) or
``InterfaceError`` (connection already closed). Left alone that is a 500 "server error" page, which
tells the clerk nothing. This middleware answers 503 Service Unavailable instead, with a
``Retry-After`` header and a page saying the database is briefly unavailable, that nothing was
half-saved (every write is one transaction, so an interrupted save is rolled back by PostgreSQL), and
to try again in a minute.

Two paths lead here:

- an exception from the view or from rendering its template response reaches ``process_exception``;
- an exception from a middleware inside this one (the session, authentication or history middleware,
  and the session save on the way out) is turned into a 500 response by Django's per-middleware
  exception handler before it could reach us; Django sends ``got_request_exception`` at that moment,
  so a receiver marks the request and ``__call__`` swaps the 500 for the 503.

The page is rendered without a request context: no context processor, session or user lookup runs,
so rendering it cannot touch the database. The language comes from the request's cookie and
Accept-Language header alone.

Recovery needs nothing from here: Django closes a connection that saw an error and is no longer usable
when the request finishes, and ``CONN_HEALTH_CHECKS`` re-checks a persistent connection before its
first use in the next request, so the app reconnects by itself once the server is back.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger("zhucun.db_unavailable")

RETRY_AFTER_SECONDS = 60
_MARK = "_zhucun_db_unavailable"


def database_unavailable(exc):
    """The django.db connection error behind ``exc`` (itself or one it was raised from), or None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def unavailable_response(request):
    language = translation.get_language_from_request(request)
    with translation.override(language):
        html = render_to_string(
            "503.html", {"retry_minutes": max(1, RETRY_AFTER_SECONDS // 60), "language": language}
        )
    response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost or refused database connection anywhere in the request into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except Exception as exc:  # reached only when Django lets exceptions propagate (tests, settings)
            if database_unavailable(exc) is None:
                raise
            return self._answer(request, exc)
        exc = getattr(request, _MARK, None)
        if exc is not None and response.status_code >= 500:
            return self._answer(request, exc)
        return response

    def process_exception(self, request, exception):
        exc = database_unavailable(exception)
        if exc is None:
            return None
        return self._answer(request, exc)

    def _answer(self, request, exc):
        logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exc)
        return unavailable_response(request)


@receiver(got_request_exception, dispatch_uid="zhucun-database-unavailable")
def _mark_database_unavailable(sender, request=None, **kwargs):
    if request is None:
        return
    exc = database_unavailable(sys.exc_info()[1])
    if exc is not None:
        setattr(request, _MARK, exc)
