"""Every page the navigation reaches has its breadcrumb and exactly one highlighted navigation item."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import AppraisalRound
from assignments import leave as leave_rules

PERSONAS = ["county_admin", "clerk", "other_clerk", "viewer", "province", "liaison"]
CURRENT = re.compile(r'<a href="([^"]*)"[^>]*aria-current="page"')


@pytest.fixture
def world(personas, tree, make_village, make_cadre, dispatch):
    today = timezone.localdate()
    a = dispatch(
        make_cadre(name="导航书记"),
        make_village(name="导航村"),
        start=(today - datetime.timedelta(days=300)).replace(day=1),
    )
    ahead = today + datetime.timedelta(days=14)
    while ahead.weekday() != 0:
        ahead += datetime.timedelta(days=1)
    leave = leave_rules.request_leave(a, ahead, ahead, "事假", personas["clerk"])
    rnd = AppraisalRound.start(tree["county"], today.year - 1, "annual", personas["county_admin"])
    return {"assignment": a, "leave": leave, "round": rnd}


def _nav_links(html):
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert nav, "the page has the main navigation"
    return [h for h in re.findall(r'<a href="([^"]+)"', nav.group(0)) if not h.startswith("/admin/")]


def _pages(world, tree):
    a = world["assignment"]
    return [
        a.village.get_absolute_url(),
        a.cadre.get_absolute_url(),
        a.get_absolute_url(),
        world["leave"].get_absolute_url(),
        world["round"].get_absolute_url(),
        reverse("attendance:sheet", args=[tree["t1"].code, f"{timezone.localdate():%Y-%m}"]),
        reverse("appraisal:village_results", args=[a.village.code]),
        reverse("assignments:dispatch"),
        reverse("leave:new"),
        reverse("spotchecks:new"),
        reverse("excel:import", args=["cadres"]),
        reverse("password_change"),
    ]


def _check(client, url):
    response = client.get(url, follow=True)
    if response.status_code in (403, 404):
        return None  # outside the role's jurisdiction or rights: not a page it reaches
    assert response.status_code == 200, url
    html = response.content.decode()
    assert re.search(r'<nav class="crumbs"[^>]*>.+?</nav>', html, re.S), f"no breadcrumb on {url}"
    current = CURRENT.findall(html)
    assert len(current) == 1, (url, current)
    return current[0]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_has_a_breadcrumb_and_one_highlighted_navigation_item(
    persona, world, client_for, personas, tree
):
    client = client_for(personas[persona])
    home = client.get(reverse("home")).content.decode()
    links = _nav_links(home)
    assert links
    for url in links:
        current = _check(client, url)
        if current is not None:
            assert current == url, f"{url} highlights {current}"
    for url in _pages(world, tree):
        _check(client, url)


def test_an_appraisal_page_about_a_village_highlights_appraisal_only(world, client_for, personas):
    client = client_for(personas["county_admin"])
    url = reverse("appraisal:village_results", args=[world["assignment"].village.code])
    assert _check(client, url) == reverse("appraisal:rounds")


def test_an_assignment_page_highlights_villages_as_its_breadcrumb_does(world, client_for, personas):
    client = client_for(personas["county_admin"])
    assert _check(client, world["assignment"].get_absolute_url()) == reverse("villages:list")
    assert _check(client, reverse("assignments:dispatch")) == reverse("villages:list")


def test_the_language_menu_names_each_language_in_itself(client_for, personas):
    client = client_for(personas["clerk"])
    for lang in ("zh-hans", "en"):
        client.cookies["django_language"] = lang
        html = client.get(reverse("todos"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        menu = re.search(r'<select name="language".*?</select>', html, re.S).group(0)
        assert ">简体中文</option>" in menu and ">English</option>" in menu
