"""Issue 17 in chromium: the county makes a check plan, prints the tasks, records outcomes and sees
the figures; a township clerk makes its own plan and never sees the county's unannounced one."""

import datetime

import pytest
from django.utils import timezone

from assignments.models import SpotCheck
from supervision.models import SpotCheckPlan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def serving(make_village, make_cadre, dispatch, tree):
    start = (timezone.localdate() - datetime.timedelta(days=200)).replace(day=1)
    return [
        dispatch(
            make_cadre(name=f"督查{i}", phone=f"1380000001{i}"), make_village(name=f"村{i}"), start=start
        )
        for i in range(4)
    ]


def last_weekday():
    day = timezone.localdate() - datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def test_county_plans_prints_records_and_sees_the_figures(login, personas, serving, live_server):
    page = login(personas["county_admin"])
    page.click("nav.mainnav a[href='/supervision/']")
    page.click("a.button.primary[href$='/supervision/new/']")
    page.fill("input[name=size]", "3")
    page.click("form button[type=submit].primary")
    page.wait_for_selector("table.plan-tasks")
    plan = SpotCheckPlan.objects.get()
    assert plan.tasks.count() == 3
    assert page.locator("table.plan-tasks tbody tr").count() == 3

    page.click(f"a[href='/supervision/{plan.pk}/print/']")
    page.wait_for_selector("table.task-print")
    assert page.locator("table.task-print tbody tr").count() == 3
    assert "1380000001" in page.inner_text("table.task-print")
    page.go_back()

    for found in ("False", "True"):
        page.locator("table.plan-tasks a.button.small").first.click()
        page.fill("input[name=date]", last_weekday().isoformat())
        page.check(f"input[name=found_present][value={found}]")
        page.click("form button[type=submit].primary")
        page.wait_for_selector(".msg-success")
    assert SpotCheck.objects.count() == 2
    total = page.locator("table.plan-figures tr.total td").all_inner_texts()
    assert total[:3] == ["3", "2", "1"]
    page.goto(f"{live_server.url}/")
    assert page.locator(".home-supervision table.plan-figures").count() == 1


def test_a_township_plans_its_own_and_never_sees_the_countys_unannounced_plan(
    login, personas, serving, live_server, tree
):
    from supervision import plans

    secret = plans.make_plan(
        tree["county"], timezone.localdate(), 2, ["unannounced"], personas["county_admin"], seed=1
    )
    page = login(personas["clerk"])
    page.goto(f"{live_server.url}/supervision/new/")
    assert page.locator("input[name=methods][value=unannounced]").count() == 0
    page.click("form button[type=submit].primary")
    page.wait_for_selector("table.plan-tasks")
    own = SpotCheckPlan.objects.exclude(pk=secret.pk).get()
    assert own.region == tree["t1"]
    response = page.goto(f"{live_server.url}/supervision/{secret.pk}/")
    assert response.status == 404
