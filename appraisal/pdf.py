"""PDF of the printed forms: the same HTML the browser prints, printed by headless Chromium.

Chromium is Debian's /usr/bin/chromium (the browser tests use it too; ``settings.PDF_CHROMIUM``
names another), driven through Playwright's Python API, which requirements.txt already carries. Why
Chromium rather than a PDF library: docs/architecture.md ("Printed forms and PDF"). The page CSS
(@page A4, one person per sheet via ``break-after: page``) decides the layout, so the browser's
printout and the PDF are the same pages.

A deployment without Chromium gets ``Unavailable``, which the views turn into a page that says so
(status 503), never a server error.
"""

import concurrent.futures
import os

from django.conf import settings

DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT_SECONDS = 120


class Unavailable(Exception):
    """The PDF cannot be made here: Chromium or Playwright is missing, or Chromium failed."""


def chromium_path():
    return getattr(settings, "PDF_CHROMIUM", None) or DEFAULT_CHROMIUM


def available():
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _print(html):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(java_script_enabled=False)  # the forms have no script
            # Nothing to fetch: the stylesheet is inlined and the forms have no images or scripts.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            # Untagged: these are printed forms; the accessibility tree of 250 pages only costs time.
            return page.pdf(prefer_css_page_size=True, print_background=True, tagged=False, outline=False)
        finally:
            browser.close()


def render(html, stylesheet=""):
    """The PDF (bytes) of a complete HTML document, ``stylesheet`` (CSS text) put into its head here
    (templates hold no inline style: tests/test_privacy_headers.py). Playwright's sync API refuses
    to run in a thread with an asyncio loop (an ASGI server, a test session's browser), so it runs
    in a thread of its own."""
    if stylesheet:
        html = html.replace("</head>", f"<style>{stylesheet}</style></head>", 1)
    if not available():
        raise Unavailable(f"Chromium not found at {chromium_path()}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_print, html)
        try:
            return future.result(timeout=TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError as exc:
            raise Unavailable("Chromium did not finish the PDF in time") from exc
        except Exception as exc:  # a browser that fails to start or crashes: no PDF here
            raise Unavailable(str(exc)) from exc
