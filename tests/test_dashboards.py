"""Home pages per role, the to-do list and its header count, sortable lists."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import AttendanceSheet, LeaveRequest, Policy
from dashboard import todos


def this_month():
    return timezone.localdate().replace(day=1)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    """A first secretary in 沐浴店镇 who started ten months ago (two-year term)."""
    start = (timezone.localdate() - datetime.timedelta(days=300)).replace(day=1)
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"), start=start)


def month_code(month=None):
    return f"{(month or this_month()):%Y-%m}"


def fill_and_submit(client, township, assignment, days=None):
    """Keep the current month as the grid shows it (days to come stay '.') and submit it early,
    which the township's policy allows here (Policy.submit_before_month_end)."""
    Policy.objects.update_or_create(region=township, defaults={"submit_before_month_end": True})
    url = reverse("attendance:sheet", args=[township.code, month_code()])
    response = client.get(url)
    row = response.context["rows"][0]
    posted = days or row.days
    client.post(url, {"version": response.context["sheet"].version, f"row-{assignment.pk}": posted})
    client.post(reverse("attendance:action", args=[township.code, month_code(), "submit"]))
    return AttendanceSheet.objects.get(township=township, month=this_month())


def test_county_compliance_changes_when_the_county_approves_a_sheet(client_for, personas, serving, tree):
    # Days to come cannot be P yet: one day in the village meets this township's minimum.
    Policy.objects.create(region=tree["t1"], days_per_month=1, submit_before_month_end=True)
    clerk = client_for(personas["clerk"])
    row = clerk.get(reverse("attendance:sheet", args=[tree["t1"].code, month_code()])).context["rows"][0]
    today = timezone.localdate().day - 1
    fill_and_submit(clerk, tree["t1"], serving, row.days[:today] + "P" + row.days[today + 1 :])
    admin = client_for(personas["county_admin"])
    before = admin.get(reverse("home") + f"?month={month_code()}")
    assert before.context["chart_total"].approved == 0
    assert before.context["submitted_count"] == 1
    admin.post(reverse("attendance:action", args=[tree["t1"].code, month_code(), "approve"]))
    after = admin.get(reverse("home"))
    assert after.context["chart_month"] == this_month()
    assert after.context["month_total"].approved == 1
    assert after.context["month_total"].rate == 100
    bar = next(b for b in after.context["bars"] if b.label == tree["t1"].name)
    assert bar.detail.rate == 100
    assert "100%" in after.content.decode()


def test_dashboard_falls_back_to_last_month_until_this_month_is_approved(client_for, personas, serving):
    response = client_for(personas["county_admin"]).get(reverse("home"))
    last = (this_month() - datetime.timedelta(days=1)).replace(day=1)
    assert response.context["chart_month"] == last


def test_county_dashboard_lists_uncovered_villages_and_links_every_tile(client_for, personas, make_village):
    bare = make_village(name="无人村")
    response = client_for(personas["county_admin"]).get(reverse("home"))
    html = response.content.decode()
    assert bare.name in html and bare.get_absolute_url() in html
    assert response.context["summary"]["no_secretary"] == 1
    # Each tile is a link.
    tiles = html.count('class="tile"') + html.count('class="tile ')
    assert tiles >= 10 and tiles == html.count('<a class="tile')


def test_chart_is_accessible_with_a_title_and_a_table(client_for, personas, serving):
    html = client_for(personas["county_admin"]).get(reverse("home")).content.decode()
    assert html.count('role="img"') == 2 and "<title" in html and "<desc" in html
    assert html.count('class="chart-table"') == 2


def test_city_viewer_sees_counties_and_drills_down(client_for, personas, serving, tree):
    viewer = client_for(personas["viewer"])
    response = viewer.get(reverse("home"))
    labels = [b.label for b in response.context["bars"]]
    assert labels == [tree["county"].name, tree["other_county"].name]
    assert f"?region={tree['county'].code}" in response.content.decode()
    drilled = viewer.get(reverse("home") + f"?region={tree['county'].code}")
    assert drilled.status_code == 200
    assert drilled.context["county_level"] and drilled.context["serving_count"] == 1
    assert [b.label for b in drilled.context["bars"]] == [tree["t1"].name, tree["t2"].name]


def test_drilling_outside_the_jurisdiction_is_not_found(client_for, personas, tree):
    assert client_for(personas["viewer"]).get(reverse("home") + "?region=370000000000").status_code == 404
    admin = client_for(personas["county_admin"])
    assert admin.get(reverse("home") + f"?region={tree['other_county'].code}").status_code == 404
    assert admin.get(reverse("home") + "?month=2026-13").status_code == 404


def test_clerk_home_shows_the_sheet_and_one_click_to_the_grid(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    response = clerk.get(reverse("home"))
    grid = reverse("attendance:sheet", args=[tree["t1"].code, month_code()])
    assert grid in response.content.decode()
    assert response.context["sheet"] is None and response.context["serving_count"] == 1
    fill_and_submit(clerk, tree["t1"], serving)
    response = clerk.get(reverse("home"))
    assert response.context["sheet"].state == "submitted"
    assert response.context["record_count"] == 1


def test_clerk_home_lists_who_is_behind_so_far(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    url = reverse("attendance:sheet", args=[tree["t1"].code, month_code()])
    response = clerk.get(url)
    row = response.context["rows"][0]
    absent = "".join("-" if c == "-" else "A" for c in row.days)
    clerk.post(url, {"version": response.context["sheet"].version, f"row-{serving.pk}": absent})
    behind = clerk.get(reverse("home")).context["behind"]
    if timezone.localdate().day >= 3:  # on the first working days nothing is expected yet
        assert [b["record"].assignment for b in behind] == [serving]


def test_other_clerk_does_not_see_this_townships_leave(client_for, personas, serving):
    LeaveRequest.objects.create(
        assignment=serving,
        start_date=timezone.localdate() + datetime.timedelta(days=20),
        end_date=timezone.localdate() + datetime.timedelta(days=21),
        reason="家中有事",
        approval_level="township",
        created_by=personas["clerk"],
    )
    assert len(client_for(personas["clerk"]).get(reverse("home")).context["pending_leave"]) == 1
    assert len(client_for(personas["other_clerk"]).get(reverse("home")).context["pending_leave"]) == 0


def test_liaison_home_lists_only_its_units_cadres(
    client_for, personas, serving, make_cadre, make_village, dispatch, tree
):
    other = make_cadre(name="外单位", unit=tree["other_unit"], region=tree["other_county"])
    dispatch(other, make_village(township=tree["t3"], name="海村"), start=serving.start_date)
    response = client_for(personas["liaison"]).get(reverse("home"))
    assert [a.cadre.name for a in response.context["assignments"]] == ["在岗书记"]
    assert "外单位" not in response.content.decode()


def test_todos_lead_to_the_action_and_the_header_counts_them(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    kinds = [g.kind for g in todos.for_user(personas["clerk"])]
    assert "fill_sheet" in kinds
    page = clerk.get(reverse("todos")).content.decode()
    assert reverse("attendance:sheet", args=[tree["t1"].code, month_code()]) in page
    fill_and_submit(clerk, tree["t1"], serving)
    assert "fill_sheet" not in [g.kind for g in todos.for_user(personas["clerk"])]

    admin = client_for(personas["county_admin"])
    groups = {g.kind: g for g in todos.for_user(personas["county_admin"])}
    assert groups["approve_sheet"].count == 1
    html = admin.get(reverse("todos")).content.decode()
    assert reverse("attendance:sheet", args=[tree["t1"].code, month_code()]) in html
    assert '<span class="count"' in admin.get(reverse("villages:list")).content.decode()
    assert todos.count(personas["county_admin"]) == sum(g.count for g in groups.values())
    assert todos.count(personas["other_admin"]) == 0


def test_viewer_has_nothing_to_do(client_for, personas):
    response = client_for(personas["viewer"]).get(reverse("todos"))
    assert response.status_code == 200 and response.context["groups"] == []


def test_recalled_village_appears_as_a_todo_linking_to_dispatch(client_for, personas, serving):
    serving.recall(timezone.localdate() - datetime.timedelta(days=1), "群众不满意", personas["county_admin"])
    groups = {g.kind: g for g in todos.for_user(personas["county_admin"])}
    text, url = groups["replace_secretary"].items[0]
    assert serving.village.name in text
    assert url.startswith(reverse("assignments:dispatch")) and serving.village.code in url


def test_village_list_sorts_by_a_column(client_for, personas, make_village):
    make_village(name="甲村")
    make_village(name="乙村")
    admin = client_for(personas["county_admin"])
    asc = [v.code for v in admin.get(reverse("villages:list") + "?o=code").context["page"].object_list]
    desc = [v.code for v in admin.get(reverse("villages:list") + "?o=-code").context["page"].object_list]
    assert asc == sorted(asc) and desc == asc[::-1]
    assert 'aria-sort="descending"' in admin.get(reverse("villages:list") + "?o=-code").content.decode()


@pytest.mark.parametrize("persona", ["county_admin", "viewer", "clerk", "liaison"])
def test_home_and_todos_run_constant_queries(
    persona, client_for, personas, make_village, make_cadre, dispatch, tree
):
    start = (timezone.localdate() - datetime.timedelta(days=300)).replace(day=1)
    client = client_for(personas[persona])

    def add(n):
        for i in range(n):
            township = tree["t1"] if i % 2 else tree["t2"]
            dispatch(make_cadre(name=f"干部{i}"), make_village(township=township), start=start)

    def queries(url):
        cache.clear()  # count the figures' queries, not a cached page
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = [queries(reverse("home")), queries(reverse("todos"))]
    add(10)
    assert [queries(reverse("home")), queries(reverse("todos"))] == small


def test_leave_and_spot_check_lists_filter_and_sort(client_for, personas, serving):
    from assignments import leave as leave_rules

    today = timezone.localdate()
    for offset in (20, 30):
        day = today + datetime.timedelta(days=offset)
        leave_rules.request_leave(serving, day, day, "事假", personas["clerk"])
    admin = client_for(personas["county_admin"])
    rows = admin.get(reverse("leave:list") + "?o=start").context["page"].object_list
    assert [lv.start_date for lv in rows] == sorted(lv.start_date for lv in rows)
    assert len(admin.get(reverse("leave:list") + "?state=approved").context["page"].object_list) == 0
    bad = admin.get(reverse("leave:list") + "?state=nonsense")
    assert bad.status_code == 200 and bad.context["filter"].errors
    checks = admin.get(reverse("spotchecks:list") + "?only=discrepancies&o=-date")
    assert checks.status_code == 200 and list(checks.context["page"].object_list) == []


def test_viewer_figures_are_cached_for_five_minutes_but_county_figures_are_live(
    client_for, personas, make_village, django_assert_max_num_queries
):
    viewer = client_for(personas["viewer"])
    first = viewer.get(reverse("home"))
    assert first.context["computed_at"] is not None
    make_village(name="新村")
    with django_assert_max_num_queries(8):  # session, user and the header; no figures
        again = viewer.get(reverse("home"))
    assert again.context["summary"] == first.context["summary"]
    admin = client_for(personas["county_admin"])
    assert admin.get(reverse("home")).context["summary"]["total"] == first.context["summary"]["total"] + 1
