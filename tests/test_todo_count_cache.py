"""The header's to-do badge is reused from the cache only while nothing it counts has changed."""

import datetime
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import leave as leave_rules
from config.generation import data_generation
from dashboard import todos
from villages.models import Region

# The apps whose tables the to-dos read; every table of theirs must move the data generation.
COUNTED_APPS = ("assignments", "villages", "cadres", "appraisal", "fieldwork", "supervision")


def _badge(client):
    html = client.get(reverse("leave:list")).content.decode()
    link = re.search(rf'<a href="{re.escape(reverse("todos"))}"[^>]*>(.*?)</a>', html, re.S)
    number = re.search(r'<span class="count"[^>]*>(\d+)</span>', link.group(1))
    return int(number.group(1)) if number else 0


def _next_monday(after):
    day = after + datetime.timedelta(days=1)
    while day.weekday() != 0:
        day += datetime.timedelta(days=1)
    return day


@pytest.mark.django_db
def test_every_table_the_to_dos_read_moves_the_data_generation():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'zhucun_generation'"
        )
        triggered = {row[0] for row in cursor.fetchall()}
    tables = {
        m._meta.db_table
        for label in COUNTED_APPS
        for m in apps.get_app_config(label).get_models()
        if not m._meta.db_table.endswith("event")
    }
    missing = tables - triggered
    assert not missing, f"add these tables to the data generation's triggers: {sorted(missing)}"


@pytest.mark.django_db
def test_a_write_by_anyone_moves_the_generation():
    before = data_generation()
    Region.objects.filter(pk=-1).update(name="x")  # a statement that changes no row still counts
    assert data_generation() > before


def test_another_users_leave_request_shows_in_the_badge_on_the_next_page(
    client_for, personas, make_village, make_cadre, dispatch, tree
):
    today = timezone.localdate()
    start = (today - datetime.timedelta(days=300)).replace(day=1)
    a = dispatch(make_cadre(name="甲"), make_village(township=tree["t1"]), start=start)
    client = client_for(personas["clerk"])
    first = _badge(client)
    assert _badge(client) == first  # nothing changed: the same count
    ahead = _next_monday(today + datetime.timedelta(days=7))
    leave_rules.request_leave(a, ahead, ahead, "事假", personas["county_admin"])  # not through this client
    assert _badge(client) == first + 1


def test_an_unchanged_badge_is_not_computed_again(
    client_for, personas, make_village, make_cadre, dispatch, tree
):
    today = timezone.localdate()
    start = (today - datetime.timedelta(days=300)).replace(day=1)
    dispatch(make_cadre(name="甲"), make_village(township=tree["t1"]), start=start)
    client = client_for(personas["county_admin"])
    url = reverse("leave:list")
    client.get(url)
    with CaptureQueriesContext(connection) as fresh:
        todos.counts(personas["county_admin"])
    with CaptureQueriesContext(connection) as page:
        client.get(url)
    with CaptureQueriesContext(connection) as cached:
        todos.cached_counts(personas["county_admin"])
    assert len(cached) == 1  # the generation only
    assert len(fresh) > 3
    assert todos.cached_counts(personas["county_admin"]) == todos.counts(personas["county_admin"])
    assert len(page) >= 1


def test_the_county_home_is_reused_until_anything_changes_then_live(client_for, personas, make_village):
    admin = client_for(personas["county_admin"])
    with CaptureQueriesContext(connection) as fresh:
        first = admin.get(reverse("home"))
    with CaptureQueriesContext(connection) as cached:
        again = admin.get(reverse("home"))
    assert len(cached) < len(fresh) // 2
    assert again.context["summary"] == first.context["summary"]
    make_village(name="新村")  # by anyone, through any path: the generation moves
    assert admin.get(reverse("home")).context["summary"]["total"] == first.context["summary"]["total"] + 1
