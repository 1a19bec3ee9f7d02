"""Issue 16 at a phone's width (390 px): the cadre requests leave, the township approves it, the cadre
reports the return; the cadre reports a trip, which lands in the sheet once the clerk confirms it."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role, User
from assignments import attendance
from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest
from fieldwork.models import Trip

from ..conftest import create_user
from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def cadre(make_village, make_cadre, dispatch, tree):
    today = timezone.localdate()
    a = dispatch(
        make_cadre(name="王芳"), make_village(name="东村"), start=today - datetime.timedelta(days=200)
    )
    user = create_user("13800000001", Role.CADRE, cadre=a.cadre)
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    wd = attendance.work_days(tree["t1"])
    day = wd.next_working_day(today + datetime.timedelta(days=6))
    # The township's open sheet of that month, holding the cadre's row.
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=day.replace(day=1))
    cal = attendance.calendar_for(tree["t1"], sheet.month)
    record = AttendanceRecord.objects.create(
        sheet=sheet, assignment=a, days=attendance.default_days(a, cal, set()), required_days=20
    )
    return user, record, day


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_cadre_requests_leave_the_clerk_approves_and_the_cadre_reports_the_return(
    page, live_server, personas, cadre
):
    user, record, day = cadre
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, user.username)
    page.click("nav.cadre-nav a[href$='/my/leave/']")
    page.click("a[href$='/my/leave/new/']")
    fits_the_phone(page)
    page.fill("input[name=start_date]", day.isoformat())
    page.fill("input[name=end_date]", day.isoformat())
    page.fill("textarea[name=reason]", "家中有事")
    page.click("form.phone-form button[type=submit]")
    page.wait_for_selector(".msg-success")
    fits_the_phone(page)
    leave = LeaveRequest.objects.get(assignment=record.assignment)
    assert leave.created_by == user and leave.state == "pending"

    sign_in(page, live_server, personas["clerk"].username)
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href$='/leave/{leave.pk}/']")
    page.click("form[action$='/approve/'] button")
    page.wait_for_selector(".msg-success")
    record.refresh_from_db()
    assert record.days[day.day - 1] == "L"

    # Time passes: the leave is moved to today, so the return can be reported.
    today = timezone.localdate()
    LeaveRequest.objects.filter(pk=leave.pk).update(start_date=today, end_date=today)
    sign_in(page, live_server, user.username)
    page.goto(f"{live_server.url}/my/leave/{leave.pk}/")
    fits_the_phone(page)
    page.click(f"form[action$='/my/leave/{leave.pk}/return/'] button")
    page.wait_for_selector(".msg-success")
    leave.refresh_from_db()
    assert leave.returned_on == today


def test_the_cadre_reports_a_trip_that_lands_in_the_sheet_once_the_clerk_confirms(
    page, live_server, personas, cadre
):
    user, record, day = cadre
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, user.username)
    page.click("nav.cadre-nav a[href$='/my/trips/']")
    page.click("a[href$='/my/trips/new/']")
    page.fill("input[name=start_date]", day.isoformat())
    page.fill("input[name=end_date]", day.isoformat())
    page.select_option("select[name=kind]", "meeting")
    page.fill("input[name=destination]", "县委组织部")
    page.fill("textarea[name=reason]", "驻村干部培训会")
    page.click("form.phone-form button[type=submit]")
    page.wait_for_selector(".msg-success")
    fits_the_phone(page)
    trip = Trip.objects.get(assignment=record.assignment)
    assert not trip.late

    sign_in(page, live_server, personas["clerk"].username)
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href$='/trips/{trip.pk}/']")
    page.click("form[action$='/confirm/'] button")
    page.wait_for_selector(".msg-success")
    record.refresh_from_db()
    assert record.days[day.day - 1] == "B"

    sign_in(page, live_server, user.username)
    page.goto(f"{live_server.url}/my/trips/{trip.pk}/")
    assert page.locator(".badge.trip-confirmed").count() == 1
