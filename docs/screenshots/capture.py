"""Capture each role's home page (and a few key pages: the appraisal rounds, last year's term-end round
closed with a recorded shortfall) from a running demo server.

    make screenshots        # seeds the demo, serves it on 127.0.0.1:8001 and runs this script

Uses Debian's chromium through Playwright (never `playwright install`).
"""

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = os.environ.get("BASE_URL", "http://127.0.0.1:8001")
OUT = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "zhucun2024"

PAGES = [
    ("county", "/", "home-county-admin.png"),
    ("county", "/todo/", "todo-county-admin.png"),
    ("clerk", "/", "home-township-clerk.png"),
    ("city", "/", "home-city-viewer.png"),
    ("province", "/", "home-province-viewer.png"),
    ("liaison", "/", "home-unit-liaison.png"),
]


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for user, path, name in PAGES:
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            page.goto(BASE + "/accounts/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            page.goto(BASE + path)
            page.screenshot(path=str(OUT / name), full_page=True)
            print("wrote", OUT / name)
            context.close()
        # The round pages: last year's term-end round (期满考核) closed with a recorded shortfall.
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.goto(BASE + "/accounts/login/")
        page.fill("input[name=username]", "county")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto(BASE + "/appraisal/")
        page.screenshot(path=str(OUT / "appraisal-rounds.png"), full_page=True)
        print("wrote", OUT / "appraisal-rounds.png")
        term_end = re.compile("期满考核|任期考核|Term-end")  # the kind's label, whatever the catalogue says
        page.locator("tbody tr", has_text=term_end).locator("a[href*='/appraisal/rounds/']").first.click()
        page.wait_for_selector("#quota")
        page.set_viewport_size({"width": 1366, "height": 900})  # the quota and the shortfall, not all rows
        page.screenshot(path=str(OUT / "appraisal-round-term-end-shortfall.png"))
        print("wrote", OUT / "appraisal-round-term-end-shortfall.png")
        context.close()
        # The clerk's grid on a phone: it scrolls sideways with the name column fixed.
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
        page = context.new_page()
        page.goto(BASE + "/accounts/login/")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.click("a.button.primary.big")
        page.screenshot(path=str(OUT / "grid-phone.png"))
        print("wrote", OUT / "grid-phone.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
