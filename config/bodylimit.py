"""Request bodies are capped before anything reads them (issue 14, item 12).

Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, ``FILE_UPLOAD_MAX_MEMORY_SIZE``) apply while a
body is parsed: a large multipart upload is first spooled to a temporary file, and gunicorn has no
body limit at all. This middleware, first in ``MIDDLEWARE`` (before CSRF, sessions and the login
lockout read anything), looks at the ``Content-Length`` header alone and answers 413 when it is over
``UPLOAD_BODY_MAX_BYTES`` on the upload URLs (``UPLOAD_PATH_PREFIXES``, the Excel imports) or
``REQUEST_BODY_MAX_BYTES`` anywhere else. The body is never read. A request without a
Content-Length (chunked) reaches Django as an empty body (WSGI), so it cannot carry more than the
header says. nginx's ``client_max_body_size`` should say the same in front (README).
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _


def body_limit(path):
    if any(path.startswith(p) for p in settings.UPLOAD_PATH_PREFIXES):
        return settings.UPLOAD_BODY_MAX_BYTES
    return settings.REQUEST_BODY_MAX_BYTES


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty, too
        limit = body_limit(request.path_info)
        if length > limit:
            return self.refuse(request, length, limit)
        return self.get_response(request)

    @staticmethod
    def refuse(request, length, limit):
        with translation.override(translation.get_language_from_request(request)):
            message = _(
                "The request is too large (%(size).1f MB; at most %(max).0f MB here). Nothing was read "
                "or saved. For an import, split the file into several."
            ) % {"size": length / 1024 / 1024, "max": limit / 1024 / 1024}
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["Connection"] = "close"  # the unread body must not be taken for the next request
        return response
