"""Leave on the phone (请假 / 销假) and trip reports (外出报备), issue 16: the cadre requests leave and
reports trips on its own pages; the township or county decides on theirs; what they decide lands in
the open attendance sheet (L for leave, B for official business) without anyone typing it again."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.models import Role, User
from assignments import attendance
from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest
from dashboard import todos
from fieldwork.models import Trip

from .conftest import create_user


def _cadre_user(cadre, username):
    user = create_user(username, Role.CADRE, cadre=cadre)
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def world(make_cadre, make_village, dispatch, tree, personas):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=200)
    a = dispatch(make_cadre(name="王芳"), make_village(name="东村"), start=start)
    b = dispatch(
        make_cadre(name="李强", birth=datetime.date(1986, 3, 3)),
        make_village(name="西村", township=tree["t2"]),
        start=start,
    )
    wd = attendance.work_days(tree["t1"])
    # A working day a week ahead: requested before, decided by the township.
    ahead = wd.next_working_day(today + datetime.timedelta(days=6))
    return {
        "a": a,
        "b": b,
        "me": _cadre_user(a.cadre, "13800000001"),
        "other": _cadre_user(b.cadre, "13800000002"),
        "wd": wd,
        "today": today,
        "ahead": ahead,
        **personas,
    }


def open_sheet(assignment, day):
    """An open sheet of the day's month holding the cadre's row as a new row starts."""
    township = assignment.village.township
    month = day.replace(day=1)
    sheet = AttendanceSheet.objects.create(township=township, month=month)
    cal = attendance.calendar_for(township, month)
    first, last = sheet.bounds
    leaves = attendance.approved_leave_dates([assignment.pk], first, last).get(assignment.pk, set())
    return AttendanceRecord.objects.create(
        sheet=sheet,
        assignment=assignment,
        days=attendance.default_days(assignment, cal, leaves),
        required_days=20,
    )


def zh(message, **params):
    """A message as the pages show it (Chinese, the site's language), whatever the catalogue holds."""
    with translation.override("zh-hans"):
        text = gettext(str(message))
        return text % {k: str(v) for k, v in params.items()} if params else text


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def code_on(record, day):
    record.refresh_from_db()
    return record.days[day.day - 1]


@pytest.mark.django_db
def test_a_cadre_requests_leave_the_township_approves_it_lands_in_the_sheet_and_the_cadre_reports_the_return(
    world, client_for
):
    day = world["ahead"]
    record = open_sheet(world["a"], day)
    client = client_for(world["me"])
    sent = client.post(
        reverse("fieldwork:leave_new"), {"start_date": day, "end_date": day, "reason": "家中有事"}
    )
    leave = LeaveRequest.objects.get(assignment=world["a"])
    assert sent.status_code == 302 and sent.url == reverse("fieldwork:leave", args=[leave.pk])
    assert leave.created_by == world["me"] and leave.approval_level == "township" and not leave.retroactive
    assert (
        reverse("fieldwork:leave", args=[leave.pk])
        in client.get(reverse("fieldwork:leave_list")).content.decode()
    )

    clerk = client_for(world["clerk"])
    assert "王芳" in clerk.get(reverse("leave:list")).content.decode()
    kinds = {g.kind: g for g in todos.for_user(world["clerk"])}
    assert kinds["decide_leave"].count == 1
    assert clerk.post(reverse("leave:decide", args=[leave.pk, "approve"])).status_code == 302
    assert code_on(record, day) == "L"

    client = client_for(world["me"])
    page = client.get(reverse("fieldwork:leave", args=[leave.pk])).content.decode()
    # No return form before the leave has begun.
    assert reverse("fieldwork:leave_return", args=[leave.pk]) not in page
    # The leave lies ahead: its return cannot be reported before it happens.
    early = client.post(reverse("fieldwork:leave_return", args=[leave.pk]), {"returned_on": day})
    leave.refresh_from_db()
    assert early.status_code == 302 and leave.returned_on is None
    assert any(day.isoformat() in t for t in texts(early))
    # Time passes (the leave is moved to today): the cadre reports being back.
    LeaveRequest.objects.filter(pk=leave.pk).update(start_date=world["today"], end_date=world["today"])
    page = client.get(reverse("fieldwork:leave", args=[leave.pk])).content.decode()
    assert reverse("fieldwork:leave_return", args=[leave.pk]) in page
    client.post(reverse("fieldwork:leave_return", args=[leave.pk]), {"returned_on": world["today"]})
    leave.refresh_from_db()
    assert leave.returned_on == world["today"]


@pytest.mark.django_db
def test_a_leave_of_more_than_three_working_days_from_the_phone_goes_to_the_county(world, client_for):
    wd, first = world["wd"], world["ahead"]
    last = first
    while wd.count(first, last) < 4:
        last += datetime.timedelta(days=1)
    client_for(world["me"]).post(
        reverse("fieldwork:leave_new"), {"start_date": first, "end_date": last, "reason": "看病"}
    )
    leave = LeaveRequest.objects.get(assignment=world["a"])
    assert leave.approval_level == "county"
    assert {g.kind: g.count for g in todos.for_user(world["county_admin"])}.get("decide_leave") == 1
    assert "decide_leave" not in {g.kind for g in todos.for_user(world["clerk"])}


@pytest.mark.django_db
def test_leave_requested_from_the_phone_after_its_first_day_is_a_retroactive_request_for_the_county(
    world, client_for
):
    day = world["wd"].next_working_day(world["today"] - datetime.timedelta(days=10))
    response = client_for(world["me"]).post(
        reverse("fieldwork:leave_new"), {"start_date": day, "end_date": day, "reason": "急病"}
    )
    leave = LeaveRequest.objects.get(assignment=world["a"])
    assert leave.retroactive and leave.approval_level == "county"
    assert response.status_code == 302
    page = client_for(world["me"]).get(response.url).content.decode()
    assert "补假" in page


@pytest.mark.django_db
def test_the_cadre_may_cancel_its_pending_leave_but_not_a_decided_one(world, client_for):
    day = world["ahead"]
    client = client_for(world["me"])
    client.post(reverse("fieldwork:leave_new"), {"start_date": day, "end_date": day, "reason": "事假"})
    leave = LeaveRequest.objects.get(assignment=world["a"])
    client.post(reverse("fieldwork:leave_cancel", args=[leave.pk]))
    leave.refresh_from_db()
    assert leave.state == "cancelled" and leave.decided_by == world["me"]
    again = client.post(reverse("fieldwork:leave_cancel", args=[leave.pk]))
    assert zh("This leave is already %(state)s.", state=LeaveRequest.State.CANCELLED.label) in texts(again)


@pytest.mark.django_db
def test_a_cadre_cannot_see_or_act_on_another_cadres_leave_or_trip(world, client_for):
    day = world["ahead"]
    theirs_leave = LeaveRequest.objects.create(
        assignment=world["b"], start_date=day, end_date=day, reason="x", approval_level="township"
    )
    theirs_trip = Trip.report(world["b"], day, day, "meeting", "县委", "开会", world["other"])
    client = client_for(world["me"])
    for name in ["leave", "leave_cancel", "leave_return"]:
        method = client.get if name == "leave" else client.post
        assert method(reverse(f"fieldwork:{name}", args=[theirs_leave.pk])).status_code == 404
    for name in ["trip", "trip_cancel"]:
        method = client.get if name == "trip" else client.post
        assert method(reverse(f"fieldwork:{name}", args=[theirs_trip.pk])).status_code == 404
    theirs_leave.refresh_from_db()
    theirs_trip.refresh_from_db()
    assert theirs_leave.state == "pending" and theirs_trip.state == "pending"
    assert "李强" not in client.get(reverse("fieldwork:leave_list")).content.decode()
    assert "县委" not in client.get(reverse("fieldwork:trips")).content.decode()
    # The office pages are not the cadre's.
    assert client.get(reverse("trips:detail", args=[theirs_trip.pk])).status_code == 404
    assert client.get(reverse("leave:detail", args=[theirs_leave.pk])).status_code == 404


@pytest.mark.django_db
def test_a_trip_reported_by_the_cadre_and_confirmed_by_the_clerk_lands_in_the_open_sheet_as_business(
    world, client_for
):
    day = world["ahead"]
    record = open_sheet(world["a"], day)
    before = AttendanceSheet.objects.get(pk=record.sheet_id).version
    sent = client_for(world["me"]).post(
        reverse("fieldwork:trip_new"),
        {
            "start_date": day,
            "end_date": day,
            "kind": "meeting",
            "destination": "县委组织部",
            "reason": "培训会",
        },
    )
    trip = Trip.objects.get(assignment=world["a"])
    assert sent.url == reverse("fieldwork:trip", args=[trip.pk])
    assert not trip.late and trip.state == "pending" and trip.created_by == world["me"]
    assert code_on(record, day) != "B"

    clerk = client_for(world["clerk"])
    assert {g.kind: g.count for g in todos.for_user(world["clerk"])}["confirm_trip"] == 1
    assert "县委组织部" in clerk.get(reverse("trips:list")).content.decode()
    clerk.post(reverse("trips:decide", args=[trip.pk, "confirm"]))
    trip.refresh_from_db()
    assert trip.state == "confirmed" and trip.decided_by == world["clerk"] and trip.decided_at
    assert code_on(record, day) == "B"
    assert AttendanceSheet.objects.get(pk=record.sheet_id).version == before + 1
    assert "confirm_trip" not in {g.kind for g in todos.for_user(world["clerk"])}
    page = client_for(world["me"]).get(reverse("fieldwork:trip", args=[trip.pk])).content.decode()
    assert escape(zh(Trip.State.CONFIRMED.label)) in page


@pytest.mark.django_db
def test_business_never_overwrites_leave_rest_days_or_days_outside_the_term(world, personas):
    wd, day = world["wd"], world["ahead"]
    record = open_sheet(world["a"], day)
    days = list(record.days)
    days[day.day - 1] = "L"
    record.days = "".join(days)
    record.save()
    month_first, month_last = AttendanceSheet.objects.get(pk=record.sheet_id).bounds
    trip = Trip.report(world["a"], month_first, month_last, "project", "市里", "项目", world["me"])
    trip.confirm(personas["clerk"])
    record.refresh_from_db()
    for i, code in enumerate(record.days):
        d = month_first + datetime.timedelta(days=i)
        if d == day:
            assert code == "L"
        elif not wd.is_working(d):
            assert code == "H"
        else:
            assert code == "B"


@pytest.mark.django_db
def test_confirming_a_trip_into_a_submitted_sheet_marks_it_for_correction(world, personas):
    day = world["ahead"]
    record = open_sheet(world["a"], day)
    AttendanceSheet.objects.filter(pk=record.sheet_id).update(state="submitted")
    trip = Trip.report(world["a"], day, day, "meeting", "县里", "会议", world["me"])
    closed = trip.confirm(personas["clerk"])
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    assert closed == [sheet] and sheet.needs_correction and "王芳" in sheet.correction_note
    assert code_on(record, day) != "B"


@pytest.mark.django_db
def test_reopening_a_sheet_writes_in_the_trips_confirmed_while_it_was_closed(world, personas):
    day = world["ahead"]
    record = open_sheet(world["a"], day)
    AttendanceSheet.objects.filter(pk=record.sheet_id).update(state="submitted")
    trip = Trip.report(world["a"], day, day, "meeting", "县里", "会议", world["me"])
    trip.confirm(personas["clerk"])
    other_day = world["wd"].next_working_day(day + datetime.timedelta(days=1))
    pending = Trip.report(world["a"], other_day, other_day, "meeting", "县里", "会议", world["me"])
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.reopen(personas["county_admin"], "补录外出")
    record.refresh_from_db()
    assert code_on(record, day) == "B"
    if other_day.month == day.month:  # a trip not confirmed stays out of the sheet
        assert code_on(record, pending.start_date) != "B"


@pytest.mark.django_db
def test_a_trip_reported_once_its_first_day_has_begun_is_flagged_late_everywhere(world, client_for):
    today = world["today"]
    client_for(world["me"]).post(
        reverse("fieldwork:trip_new"),
        {
            "start_date": today,
            "end_date": today,
            "kind": "project",
            "destination": "镇政府",
            "reason": "项目",
        },
    )
    trip = Trip.objects.get(assignment=world["a"])
    assert trip.late
    mine = client_for(world["me"]).get(reverse("fieldwork:trips")).content.decode()
    assert "补报" in mine
    clerk = client_for(world["clerk"])
    assert "补报" in clerk.get(reverse("trips:list")).content.decode()
    assert "补报" in clerk.get(reverse("trips:detail", args=[trip.pk])).content.decode()
    items = {g.kind: g for g in todos.for_user(world["clerk"])}["confirm_trip"].items
    assert "补报" in items[0][0]


@pytest.mark.django_db
def test_the_clerk_of_another_township_gets_404_on_a_trip(world, client_for):
    trip = Trip.report(world["a"], world["ahead"], world["ahead"], "meeting", "县里", "会议", world["me"])
    other = client_for(world["other_clerk"])
    assert other.get(reverse("trips:detail", args=[trip.pk])).status_code == 404
    assert other.post(reverse("trips:decide", args=[trip.pk, "confirm"])).status_code == 404
    assert "县里" not in other.get(reverse("trips:list")).content.decode()
    trip.refresh_from_db()
    assert trip.state == "pending"
    # The county of the village may decide too.
    client_for(world["county_admin"]).post(reverse("trips:decide", args=[trip.pk, "confirm"]))
    trip.refresh_from_db()
    assert trip.state == "confirmed"


@pytest.mark.django_db
def test_not_confirming_a_trip_needs_a_reason_which_the_cadre_sees(world, client_for):
    trip = Trip.report(world["a"], world["ahead"], world["ahead"], "meeting", "县里", "会议", world["me"])
    clerk = client_for(world["clerk"])
    refused = clerk.post(reverse("trips:decide", args=[trip.pk, "reject"]), {"reason": "  "})
    trip.refresh_from_db()
    assert trip.state == "pending"
    assert zh("Say why the trip is not confirmed.") in texts(refused)
    clerk.post(reverse("trips:decide", args=[trip.pk, "reject"]), {"reason": "与村两委会冲突"})
    trip.refresh_from_db()
    assert trip.state == "rejected" and trip.decision_note == "与村两委会冲突"
    page = client_for(world["me"]).get(reverse("fieldwork:trip", args=[trip.pk])).content.decode()
    assert "与村两委会冲突" in page


@pytest.mark.django_db
def test_confirming_a_trip_twice_is_refused_with_a_message(world, client_for):
    day = world["ahead"]
    record = open_sheet(world["a"], day)
    trip = Trip.report(world["a"], day, day, "meeting", "县里", "会议", world["me"])
    clerk = client_for(world["clerk"])
    clerk.post(reverse("trips:decide", args=[trip.pk, "confirm"]))
    version = AttendanceSheet.objects.get(pk=record.sheet_id).version
    again = clerk.post(reverse("trips:decide", args=[trip.pk, "confirm"]))
    assert again.status_code == 302
    assert zh("This trip report is already %(state)s.", state=Trip.State.CONFIRMED.label) in texts(again)
    assert AttendanceSheet.objects.get(pk=record.sheet_id).version == version


@pytest.mark.django_db
def test_an_overlapping_trip_is_refused_with_the_constraints_message(world, client_for):
    day = world["ahead"]
    Trip.report(world["a"], day, day + datetime.timedelta(days=1), "meeting", "县里", "会议", world["me"])
    response = client_for(world["me"]).post(
        reverse("fieldwork:trip_new"),
        {"start_date": day, "end_date": day, "kind": "project", "destination": "市里", "reason": "项目"},
    )
    assert response.status_code == 200
    assert Trip.objects.count() == 1
    body = response.content.decode()
    overlap = next(c for c in Trip._meta.constraints if c.name == "trip_no_overlap")
    assert escape(zh(overlap.violation_error_message)) in body


@pytest.mark.django_db
def test_the_cadre_may_cancel_a_pending_trip_and_then_report_those_days_again(world, client_for):
    day = world["ahead"]
    trip = Trip.report(world["a"], day, day, "meeting", "县里", "会议", world["me"])
    client = client_for(world["me"])
    client.post(reverse("fieldwork:trip_cancel", args=[trip.pk]))
    trip.refresh_from_db()
    assert trip.state == "cancelled"
    client.post(
        reverse("fieldwork:trip_new"),
        {"start_date": day, "end_date": day, "kind": "meeting", "destination": "县里", "reason": "改期"},
    )
    assert Trip.objects.filter(state="pending").count() == 1


@pytest.mark.django_db
def test_a_trip_outside_the_assignment_is_refused_naming_the_dates(world, client_for):
    day = world["a"].start_date - datetime.timedelta(days=400)
    response = client_for(world["me"]).post(
        reverse("fieldwork:trip_new"),
        {"start_date": day, "end_date": day, "kind": "meeting", "destination": "县里", "reason": "会议"},
    )
    assert response.status_code == 200 and not Trip.objects.exists()


@pytest.mark.django_db
def test_the_lists_use_a_constant_number_of_queries(world, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wd = world["wd"]

    def counts():
        found = {}
        for user, urls in [
            (world["me"], ["fieldwork:leave_list", "fieldwork:trips"]),
            (world["clerk"], ["trips:list"]),
        ]:
            client = client_for(user)
            for name in urls:
                with CaptureQueriesContext(connection) as ctx:
                    assert client.get(reverse(name), {"show": "all"}).status_code == 200
                found[name] = len(ctx)
        return found

    day = world["ahead"]
    LeaveRequest.objects.create(
        assignment=world["a"], start_date=day, end_date=day, reason="x", approval_level="township"
    )
    Trip.report(world["a"], day, day, "meeting", "县里", "会议", world["me"])
    few = counts()
    for n in range(1, 8):
        d = wd.next_working_day(day + datetime.timedelta(days=7 * n))
        LeaveRequest.objects.create(
            assignment=world["a"], start_date=d, end_date=d, reason="x", approval_level="township"
        )
        d2 = wd.next_working_day(d)
        Trip.report(world["a"], d2, d2, "meeting", "县里", "会议", world["me"])
    assert counts() == few
