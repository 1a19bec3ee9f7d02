"""Issue 14 item 16: pages and downloads with personal data are never stored by a browser or a proxy,
and the Content-Security-Policy allows no inline script, no inline style and no other origin."""

import datetime
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from config.headers import content_security_policy

ROOT = Path(settings.BASE_DIR)


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_private(response):
    assert "no-store" in response["Cache-Control"]
    policy = directives(response["Content-Security-Policy"])
    for name in ("default-src", "script-src", "style-src"):
        assert policy[name] == ["'self'"], (name, policy[name])
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_a_cadre_page_is_not_stored_and_allows_no_inline_script(client_for, personas, make_cadre):
    cadre = make_cadre()
    response = client_for(personas["county_admin"]).get(cadre.get_absolute_url())
    assert response.status_code == 200
    assert_private(response)


def test_an_export_download_is_not_stored(client_for, personas, make_cadre, make_village, dispatch):
    dispatch(make_cadre(), make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    response = client_for(personas["clerk"]).get(reverse("excel:export", args=["roster"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert_private(response)


def test_the_admin_and_the_login_page_send_the_same_headers(client, client_for, personas):
    assert_private(client.get(reverse("login")))
    assert_private(client_for(personas["county_admin"]).get(reverse("admin:cadres_cadre_changelist")))


def test_the_policy_has_no_unsafe_keyword_and_no_other_origin():
    policy = content_security_policy()
    assert "unsafe" not in policy and "*" not in policy and "http" not in policy


def templates():
    dirs = [ROOT / "templates", *ROOT.glob("*/templates")]
    return [p for d in dirs for p in d.rglob("*.html")]


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
}


def test_no_template_holds_inline_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates()
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert len(templates()) > 50
    assert found == []


def test_the_privacy_page_exists_in_both_languages_and_the_readme_links_it():
    text = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    for words in (
        "身份号码",
        "保存多久",
        "如何删除",
        "Who sees it",
        "How long it is kept",
        "How it is deleted",
    ):
        assert words in text, words
    assert "docs/privacy.md" in (ROOT / "README.md").read_text(encoding="utf-8")
