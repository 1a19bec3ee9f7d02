"""Check plans in the browser's terms (HTTP): the county and a township make a plan, print its tasks,
record outcomes as spot checks and read the figures; 暗访 stays the county's; pages use a constant
number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import AttendanceRecord, AttendanceSheet, SpotCheck
from supervision import plans
from supervision.models import SpotCheckPlan


def this_month():
    return timezone.localdate().replace(day=1)


def previous_month():
    return (this_month() - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def county(tree, make_village, make_cadre, dispatch):
    out = []
    prev = previous_month()
    for i in range(8):
        township = tree["t1"] if i % 2 else tree["t2"]
        a = dispatch(make_cadre(name=f"督查{i}", phone=f"1390000000{i}"), make_village(township=township))
        sheet, _ = AttendanceSheet.objects.get_or_create(township=township, month=prev)
        days = "P" * 28
        AttendanceRecord.objects.create(sheet=sheet, assignment=a, days=days + "P" * (len_month(prev) - 28))
        out.append(a)
    return out


def len_month(month):
    return ((month + datetime.timedelta(days=32)).replace(day=1) - month).days


def post_plan(client, region, methods=("phone", "visit"), size=3, month=None):
    return client.post(
        reverse("supervision:new"),
        {
            "region": region.pk,
            "month": f"{month or this_month():%Y-%m}",
            "size": size,
            "methods": list(methods),
        },
    )


def test_the_county_makes_a_plan_and_sees_its_tasks_with_their_reasons(client_for, personas, tree, county):
    client = client_for(personas["county_admin"])
    assert client.get(reverse("supervision:new")).status_code == 200
    response = post_plan(client, tree["county"])
    plan = SpotCheckPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.tasks.count() >= 3
    response = client.get(plan.get_absolute_url())
    assert response.context["verified"] is True
    page = response.content.decode()
    assert str(plan.seed) in page
    assert plan.tasks.first().assignment.cadre.name in page
    listing = client.get(reverse("supervision:plans")).content.decode()
    assert plan.get_absolute_url() in listing


def test_the_printed_tasks_give_the_number_the_time_and_the_village(client_for, personas, tree, county):
    client = client_for(personas["county_admin"])
    post_plan(client, tree["county"], methods=["phone"], size=8)
    plan = SpotCheckPlan.objects.get()
    page = client.get(reverse("supervision:print", args=[plan.pk])).content.decode()
    task = plan.tasks.select_related("assignment__cadre", "assignment__village").first()
    assert task.assignment.cadre.phone in page
    assert task.call_at.strftime("%H:%M") in page
    assert task.assignment.village.name in page


def test_recording_an_outcome_makes_a_spot_check_and_the_figures_count_it(client_for, personas, tree, county):
    client = client_for(personas["county_admin"])
    post_plan(client, tree["county"], size=2)
    plan = SpotCheckPlan.objects.get()
    task = plan.tasks.first()
    url = reverse("supervision:task", args=[task.pk])
    assert client.get(url).status_code == 200
    day = previous_month().replace(day=3)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    response = client.post(
        url, {"date": day.isoformat(), "found_present": "False", "note": "电话不通，村里说不在"}
    )
    assert response.status_code == 302
    check = SpotCheck.objects.get()
    assert check.assignment_id == task.assignment_id and not check.found_present
    assert plans.figures(plan)["total"]["absent"] == 1
    # The plan page counts from the tasks it shows; the dashboard by query: the same figures.
    assert client.get(plan.get_absolute_url()).context["figures"] == plans.figures(plan)
    # The same task again: nothing new recorded.
    client.post(url, {"date": day.isoformat(), "found_present": "True"})
    assert SpotCheck.objects.count() == 1


def test_an_outcome_without_a_finding_is_refused_naming_the_field(client_for, personas, tree, county):
    client = client_for(personas["county_admin"])
    post_plan(client, tree["county"], size=1)
    task = SpotCheckPlan.objects.get().tasks.first()
    response = client.post(reverse("supervision:task", args=[task.pk]), {"date": "2026-03-03"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["found_present"]
    assert not SpotCheck.objects.exists()


def test_a_township_plans_only_its_own_cadres_and_never_unannounced(client_for, personas, tree, county):
    client = client_for(personas["clerk"])
    assert post_plan(client, tree["county"]).status_code == 200
    assert post_plan(client, tree["t1"], methods=["unannounced"]).status_code == 200
    assert not SpotCheckPlan.objects.exists()
    assert post_plan(client, tree["t1"]).status_code == 302
    plan = SpotCheckPlan.objects.get()
    assert plan.region == tree["t1"]
    assert set(plan.tasks.values_list("assignment__village__township", flat=True)) == {tree["t1"].code}


def test_an_unannounced_plan_is_hidden_from_the_township(client_for, personas, tree, county):
    admin = client_for(personas["county_admin"])
    post_plan(admin, tree["county"], methods=["unannounced"])
    plan = SpotCheckPlan.objects.get()
    assert plan.unannounced
    clerk = client_for(personas["clerk"])
    assert clerk.get(plan.get_absolute_url()).status_code == 404
    assert clerk.get(reverse("supervision:print", args=[plan.pk])).status_code == 404
    assert clerk.get(reverse("supervision:task", args=[plan.tasks.first().pk])).status_code == 404
    assert plan.get_absolute_url() not in clerk.get(reverse("supervision:plans")).content.decode()


def test_the_plan_page_and_print_use_the_same_queries_for_few_and_many_tasks(
    client_for, personas, tree, county, make_village, make_cadre, dispatch
):
    client = client_for(personas["county_admin"])
    small = plans.make_plan(tree["county"], this_month(), 2, ["phone"], personas["county_admin"], seed=1)
    for i in range(12):
        dispatch(make_cadre(name=f"加{i}"), make_village())
    big = plans.make_plan(tree["county"], this_month(), 20, ["phone"], personas["county_admin"], seed=1)
    assert big.tasks.count() > small.tasks.count() + 10
    for name in ("supervision:plan", "supervision:print"):
        counts = []
        for plan in (small, big):
            client.get(reverse(name, args=[plan.pk]))
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name, args=[plan.pk])).status_code == 200
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], name
