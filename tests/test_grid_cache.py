"""The grid is served from the cache only while nothing under it has changed: a save, a leave decision
or a new assignment made by anyone shows on the next load, and each user sees only their own rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments import leave as leave_rules
from cadres.models import Unit

FEB = "2026-02"


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


def url(tree):
    return reverse("attendance:sheet", args=[tree["t1"].code, FEB])


def load(client, tree):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(tree))
    assert response.status_code == 200
    return response, len(queries)


def test_an_unchanged_grid_comes_from_the_cache_with_the_same_rows(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    first, fresh = load(client, tree)
    again, cached = load(client, tree)
    assert cached < fresh
    assert again.context["grid_html"] == first.context["grid_html"]
    assert [r.days for r in again.context["rows"]] == [r.days for r in first.context["rows"]]


def test_a_save_by_another_clerk_shows_on_the_next_load(client_for, personas, serving, tree, make_user):
    from accounts.models import Role

    me = client_for(personas["clerk"])
    colleague = client_for(make_user("clerk-b", Role.TOWNSHIP_CLERK, region=tree["t1"]))
    response, _n = load(me, tree)
    days = response.context["rows"][0].days
    i = days.index("P")
    changed = days[:i] + "A" + days[i + 1 :]
    colleague.post(url(tree), {"version": response.context["sheet"].version, f"row-{serving.pk}": changed})
    after, _n = load(me, tree)
    assert after.context["rows"][0].days == changed
    assert after.context["sheet"].version == response.context["sheet"].version + 1


def test_leave_approved_by_the_county_shows_on_the_township_grid(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    load(client, tree)
    # A working week of February 2026 (Mon 2 – Fri 6), requested beforehand and approved.
    leave = leave_rules.request_leave(
        serving,
        datetime.date(2026, 2, 2),
        datetime.date(2026, 2, 6),
        "事假",
        personas["clerk"],
        today=datetime.date(2026, 1, 20),
    )
    leave.approve(personas["county_admin"] if leave.approval_level == "county" else personas["clerk"])
    response, _n = load(client, tree)
    assert response.context["rows"][0].leave_dates >= {datetime.date(2026, 2, d) for d in range(2, 7)}


def test_a_new_assignment_shows_on_the_next_load(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    client = client_for(personas["clerk"])
    response, _n = load(client, tree)
    assert len(response.context["rows"]) == 1
    dispatch(make_cadre(name="新书记"), make_village(name="西村"))
    response, _n = load(client, tree)
    assert len(response.context["rows"]) == 2


def test_a_liaison_never_gets_the_clerks_cached_grid(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    other_unit = Unit.objects.create(
        name="莱阳市农业农村局", level="county", kind="party_gov", region=tree["county"]
    )
    dispatch(make_cadre(name="别家干部", unit=other_unit), make_village(name="西村"))
    clerk, _n = load(client_for(personas["clerk"]), tree)
    liaison, _n = load(client_for(personas["liaison"]), tree)
    assert {r.assignment.cadre.name for r in clerk.context["rows"]} == {"在岗书记", "别家干部"}
    assert {r.assignment.cadre.name for r in liaison.context["rows"]} == {"在岗书记"}
    assert "别家干部" not in liaison.content.decode()
