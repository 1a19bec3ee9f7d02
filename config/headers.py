"""Headers on every response the application itself writes (static files are answered before this by
whitenoise, which gives them their own long cache headers).

- ``Cache-Control: no-store``: pages and downloads carry personal data (names, ID numbers, phone
  numbers, attendance); no browser, shared computer or proxy may keep a copy (个人信息保护法 Art. 51:
  security measures). A response that already says ``no-store`` is left as it is.
- ``Content-Security-Policy``: scripts, styles, images, fonts and connections from the app's own
  origin only, no inline script or style (every script is a file under ``static/js/``; no ``on…``
  attribute, no ``style`` attribute: ``tests/test_privacy_headers.py`` greps the templates), no
  plugins, no framing, forms post only to the app. ``CONTENT_SECURITY_POLICY`` in settings replaces it.
"""

from django.conf import settings

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy():
    return getattr(settings, "CONTENT_SECURITY_POLICY", None) or DEFAULT_POLICY


class PrivacyHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        if settings.DEBUG and response.status_code >= 400:
            # Django's technical 404 and 500 pages (DEBUG only) carry their own inline style and script.
            return response
        response.setdefault("Content-Security-Policy", content_security_policy())
        return response
