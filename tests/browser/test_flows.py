"""The seven flows of issue 6, clicked through in chromium against the live server."""

import datetime
import re
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from appraisal.models import AppraisalRound
from assignments import attendance
from assignments.models import Assignment, AttendanceSheet, LeaveRequest, Policy

pytestmark = pytest.mark.django_db(transaction=True)


def month():
    return timezone.localdate().replace(day=1)


@pytest.fixture
def serving(make_village, make_cadre, dispatch, tree):
    """Two first secretaries in 沐浴店镇, eleven months into a two-year term. The county lets the
    current month be submitted early, and one day in the village is its minimum: the days to come
    cannot be P yet."""
    Policy.objects.create(region=tree["county"], submit_before_month_end=True, days_per_month=1)
    start = (timezone.localdate() - datetime.timedelta(days=330)).replace(day=1)
    return [
        dispatch(make_cadre(name="甲书记"), make_village(name="东村"), start=start),
        dispatch(make_cadre(name="乙书记"), make_village(name="西村"), start=start),
    ]


def clerk_fills_and_submits(page):
    page.click("a.button.primary.big")  # the dashboard's one click to the grid
    page.select_option("#brush", "P")
    for button in page.locator("button.fill-row").all():
        button.click()
    page.click("#grid-form button[type=submit]")
    page.wait_for_selector(".msg-success")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector(".msg-success")


def test_clerk_fills_the_current_month_and_submits_it(login, personas, serving):
    page = login(personas["clerk"])
    clerk_fills_and_submits(page)
    sheet = AttendanceSheet.objects.get(township=personas["clerk"].region, month=month())
    assert sheet.state == "submitted" and sheet.submitted_by == personas["clerk"]
    records = list(sheet.records.order_by("pk"))
    assert len(records) == 2
    for r in records:
        assert set(r.days) <= {"P", "H", "-", "."} and r.present_days == r.days.count("P") > 0


def test_county_approves_and_the_dashboard_compliance_changes(login, personas, serving, live_server):
    clerk_fills_and_submits(login(personas["clerk"]))
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}/?month={month():%Y-%m}")
    bars = page.locator("svg.chart-svg").first
    assert "100%" not in bars.inner_html()
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href$='/{month():%Y-%m}/']")
    page.click("form[action$='/approve/'] button")
    page.wait_for_selector(".msg-success")
    page.goto(f"{live_server.url}/")
    assert "100%" in page.locator("svg.chart-svg").first.inner_html()
    assert AttendanceSheet.objects.get(month=month()).state == "approved"


def test_dispatch_to_an_uncovered_village_and_an_overlapping_one_is_refused(
    login, personas, make_village, make_cadre, live_server
):
    village = make_village(name="无人村", categories=("weak_org",))  # needs a first secretary only
    first, second = make_cadre(name="新书记"), make_cadre(name="另一位")
    page = login(personas["county_admin"])
    gaps = page.locator("section.card", has_text="无人村")
    assert gaps.count() >= 1
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href*='village={village.code}']")
    page.select_option("#id_cadre", str(first.pk))
    page.click("form button[type=submit].primary")
    page.wait_for_selector(".msg-success")
    assert Assignment.objects.filter(village=village, cadre=first).exists()
    page.goto(f"{live_server.url}/")
    assert page.locator("a", has_text="无人村").count() == 0
    # The same village again, another first secretary over the same dates.
    page.goto(f"{live_server.url}/assignments/dispatch/?village={village.code}&role=first_secretary")
    page.select_option("#id_cadre", str(second.pk))
    page.click("form button[type=submit].primary")
    error = page.locator(".errorlist, .errorlist-box").first
    error.wait_for()
    assert error.inner_text().strip()
    assert not Assignment.objects.filter(cadre=second).exists()


def test_five_days_of_leave_go_to_the_county_and_are_approved_there(login, personas, serving, live_server):
    page = login(personas["clerk"])
    page.goto(f"{live_server.url}/leave/new/")
    # Five working days (leave counts working days), from the first working day ten days ahead.
    calendar = attendance.work_days(serving[0].village.township)
    start = calendar.next_working_day(timezone.localdate() + datetime.timedelta(days=9))
    end = calendar.dates(start, start + datetime.timedelta(days=30))[4]
    page.select_option("#id_assignment", str(serving[0].pk))
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", end.isoformat())
    page.fill("#id_reason", "家中老人住院")
    page.click("form button[type=submit].primary")
    page.wait_for_selector(".msg-success")
    leave = LeaveRequest.objects.get()
    assert leave.approval_level == "county" and leave.state == "pending"
    # The township cannot decide it; the county can, from its to-do list.
    assert page.locator("form[action$='/approve/']").count() == 0
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href='{leave.get_absolute_url()}']")
    page.click("form[action$='/approve/'] button")
    page.wait_for_selector(".msg-success")
    leave.refresh_from_db()
    assert leave.state == "approved" and leave.decided_by == personas["county_admin"]


def test_county_runs_an_appraisal_round_to_finalize(
    login, personas, make_village, make_cadre, dispatch, tree, live_server
):
    start = datetime.date(timezone.localdate().year - 1, 1, 1)
    for i in range(4):
        dispatch(make_cadre(name=f"干部{i}"), make_village(name=f"村{i}"), start=start)
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}/appraisal/")
    page.select_option("#id_county", str(tree["county"].pk))
    page.fill("#id_year", str(start.year))
    page.select_option("#id_kind", "annual")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/appraisal/rounds/\d+/$"))
    for n, box in zip((95, 92, 85, 80), page.locator("input[name^='score-']").all(), strict=True):
        box.fill(str(n))
    page.click("#round-form button.primary")
    page.wait_for_selector(".msg-success")
    page.click("form[action$='/suggest/'] button")
    page.wait_for_selector(".msg-success")
    page.click("form[action$='/finalize/'] button")
    page.wait_for_selector(".msg-success")
    round_ = AppraisalRound.objects.get()
    assert round_.state == "finalized" and round_.finalized_by == personas["county_admin"]
    assert sorted(round_.appraisals.values_list("score", flat=True)) == [Decimal(n) for n in (80, 85, 92, 95)]


def test_roster_export_downloads_and_opens(login, personas, serving, live_server, tmp_path):
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}/villages/")
    with page.expect_download() as info:
        page.click("a[href$='/exports/roster/']")
    path = tmp_path / "roster.xlsx"
    info.value.save_as(path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = {c for row in workbook.active.iter_rows(values_only=True) for c in row if c}
    assert {"甲书记", "乙书记", "东村"} <= cells


def test_clerk_typing_another_townships_village_url_gets_not_found(
    login, personas, make_village, tree, live_server
):
    elsewhere = make_village(township=tree["t2"], name="别处村")
    page = login(personas["clerk"])
    response = page.goto(f"{live_server.url}{elsewhere.get_absolute_url()}")
    assert response.status == 404
    assert "别处村" not in page.content()
    assert page.locator("h1").inner_text().strip()
    assert page.locator("a[href='/']").count() >= 1
