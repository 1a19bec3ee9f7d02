"""The home page's tiles, the header's to-do badge and the to-do page give the same numbers."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments import leave as leave_rules


def _next_monday(after):
    day = after + datetime.timedelta(days=1)
    while day.weekday() != 0:
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def busy(personas, tree, make_village, make_cadre, dispatch):
    """Twelve cadres in the clerk's township with a short leave each waiting for the township
    (more than a home page lists), two 补假 waiting for the county, one village left by a recall,
    and three cadres in the other township."""
    today = timezone.localdate()
    start = (today - datetime.timedelta(days=300)).replace(day=1)
    ahead = _next_monday(today + datetime.timedelta(days=7))
    before = _next_monday(today - datetime.timedelta(days=21))
    served = []
    for i in range(12):
        a = dispatch(make_cadre(name=f"甲{i}"), make_village(township=tree["t1"]), start=start)
        served.append(a)
        leave_rules.request_leave(a, ahead, ahead, "事假", personas["clerk"])
    for a in served[:2]:
        leave_rules.request_leave(a, before, before, "事假", personas["clerk"])
    for i in range(3):
        dispatch(make_cadre(name=f"乙{i}"), make_village(township=tree["t2"]), start=start)
    served[-1].recall(today - datetime.timedelta(days=1), "群众不满意", personas["county_admin"])
    return served


def _badge(html):
    """The number on the header's to-do link (none shown: 0)."""
    todo_url = re.escape(reverse("todos"))
    link = re.search(rf'<a href="{todo_url}"[^>]*>(.*?)</a>', html, re.S)
    assert link, "the header links to the to-do page"
    number = re.search(r'<span class="count"[^>]*>(\d+)</span>', link.group(1))
    return int(number.group(1)) if number else 0


def _todo_page(html):
    return {
        kind: int(n)
        for kind, n in re.findall(
            r'<section class="card todo" data-kind="(\w+)">\s*<h2>.*?<span class="count">(\d+)</span>',
            html,
            re.S,
        )
    }


def _tiles(html):
    tiles = {kind: int(n) for kind, n in re.findall(r'<b data-todo="(\w+)">(\d+)</b>', html)}
    total = re.search(r'data-todo="all"><b>(\d+)</b>', html)
    return tiles, int(total.group(1)) if total else None


@pytest.mark.parametrize("persona", ["county_admin", "clerk", "other_clerk", "liaison", "viewer"])
def test_home_tiles_header_badge_and_todo_page_agree(persona, busy, client_for, personas):
    client = client_for(personas[persona])
    home = client.get(reverse("home")).content.decode()
    page = client.get(reverse("todos")).content.decode()
    groups = _todo_page(page)
    badge = _badge(home)
    assert badge == _badge(page) == sum(groups.values())
    tiles, total = _tiles(home)
    if groups:
        assert total == badge
    for kind, number in tiles.items():
        assert number == groups.get(kind, 0), kind


def test_the_clerk_sees_every_leave_to_decide_counted_not_only_those_listed(busy, client_for, personas):
    home = client_for(personas["clerk"]).get(reverse("home")).content.decode()
    tiles, _total = _tiles(home)
    assert tiles["decide_leave"] == 12


def test_the_county_tile_counts_the_leave_the_county_decides(busy, client_for, personas):
    client = client_for(personas["county_admin"])
    tiles, _total = _tiles(client.get(reverse("home")).content.decode())
    assert tiles["decide_leave"] == 2
    assert _todo_page(client.get(reverse("todos")).content.decode())["decide_leave"] == 2
    assert tiles["replace_secretary"] == 1
