import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments import attendance
from assignments import leave as leave_rules
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
    SpotCheck,
)

FEB = datetime.date(2026, 2, 1)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    """A first secretary in 沐浴店镇 serving from 2025-03-01 to 2027-03-01."""
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


BEFORE = datetime.date(2026, 1, 1)  # the day these requests are made: before the leave (请假在先)


def sheet_url(township, month="2026-02"):
    return reverse("attendance:sheet", args=[township.code, month])


def open_sheet(client, township, month="2026-02"):
    response = client.get(sheet_url(township, month))
    assert response.status_code == 200
    return response


def post_grid(client, township, rows, version, month="2026-02", original=None):
    data = {"version": version}
    for pk, days in rows.items():
        data[f"row-{pk}"] = days
    for pk, days in (original or {}).items():
        data[f"orig-{pk}"] = days
    return client.post(sheet_url(township, month), data, follow=True)


# --- required days ------------------------------------------------------------------------------
def test_required_days_are_prorated_at_the_start_of_a_term(make_village, make_cadre, dispatch, tree):
    a = dispatch(make_cadre(), make_village(), start=datetime.date(2026, 3, 16))
    policy = Policy.effective_for(tree["t1"])
    assert attendance.required_days(policy, a, datetime.date(2026, 3, 1)) == 10  # 20 × 16/31 = 10.3
    assert attendance.required_days(policy, a, datetime.date(2026, 4, 1)) == 20


def test_required_days_are_prorated_at_the_end_of_a_term(make_village, make_cadre, dispatch, personas, tree):
    a = dispatch(make_cadre(), make_village(), start=datetime.date(2025, 3, 1))
    a.end(datetime.date(2026, 4, 11), "adjusted", personas["county_admin"])
    policy = Policy.effective_for(tree["t1"])
    assert attendance.required_days(policy, a, datetime.date(2026, 4, 1)) == 7  # 20 × 11/30 = 7.33
    a2 = dispatch(make_cadre(name="乙"), make_village(), start=datetime.date(2025, 3, 1))
    a2.end(datetime.date(2026, 4, 15), "adjusted", personas["county_admin"])
    assert attendance.required_days(policy, a2, datetime.date(2026, 4, 1)) == 10  # 20 × 15/30 = 10 exactly


def test_a_holiday_month_requires_no_more_than_its_working_days(client_for, personas, serving, tree):
    response = open_sheet(client_for(personas["clerk"]), tree["t1"])
    assert response.context["rows"][0].required == 16
    assert response.context["rows"][0].shortfall == 0
    Policy.objects.create(region=tree["county"], minimum_excludes_holidays=False)
    response = open_sheet(client_for(personas["clerk"]), tree["t1"])
    assert response.context["rows"][0].required == 20


def test_half_a_day_rounds_up():
    assert attendance.prorate(20, 27, 40) == 14  # 13.5
    assert attendance.prorate(20, 31, 31) == 20
    assert attendance.prorate(0, 10, 31) == 0


# --- the grid ----------------------------------------------------------------------------------
def test_spring_festival_2026_is_shaded_and_adjusted_days_marked(client_for, personas, serving, tree):
    response = open_sheet(client_for(personas["clerk"]), tree["t1"])
    cal = response.context["calendar"]
    assert cal.official
    assert cal.day(17).kind == "holiday" and cal.day(17).name == "春节"
    assert cal.day(14).kind == "adjusted_workday"
    row = response.context["rows"][0]
    assert row.days[14:23] == "HHHHHHHHH"  # 15–23 Feb rest days
    assert row.days[13] == "P"  # the adjusted Saturday is a working day
    assert 'class="day holiday"' in response.content.decode()


def test_next_year_falls_back_to_weekends_and_says_so(
    client_for, personas, make_village, make_cadre, dispatch, tree
):
    dispatch(make_cadre(), make_village(), start=datetime.date(2026, 6, 1))
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"], "2027-02")
    assert response.context["calendar"].official is False
    assert "2027" in response.content.decode()
    HolidayOverride.objects.create(
        region=tree["county"], date=datetime.date(2027, 2, 8), kind="holiday", name="春节"
    )
    response = open_sheet(client, tree["t1"], "2027-02")
    assert response.context["calendar"].official is True
    assert response.context["calendar"].day(8).kind == "holiday"


def test_clerk_saves_the_grid_and_the_database_counts_days(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    row = response.context["rows"][0]
    assert row.days[1] == row.days[3] == "P"
    days = row.days[0] + "A" + row.days[2] + "B" + row.days[4:]
    response = post_grid(client, tree["t1"], {serving.pk: days}, response.context["sheet"].version)
    record = AttendanceRecord.objects.get()
    assert record.days == days
    assert record.present_days == row.days.count("P") - 2 + 1  # one P became A, one became B
    assert record.required_days == 16  # Spring Festival: February 2026 has 16 working days (除节假日外)
    assert "history" in response.context and response.context["history"]


def test_official_business_does_not_count_when_the_policy_says_so(client_for, personas, serving, tree):
    Policy.objects.create(region=tree["county"], business_counts_as_present=False)
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    days = response.context["rows"][0].days.replace("P", "B", 3)
    post_grid(client, tree["t1"], {serving.pk: days}, response.context["sheet"].version)
    record = AttendanceRecord.objects.get()
    assert record.present_days == days.count("P")


def test_a_second_save_from_an_older_page_is_refused_and_names_who(
    client_for, personas, serving, tree, make_user
):
    from accounts.models import Role

    colleague = make_user("clerk-b", Role.TOWNSHIP_CLERK, tree["t1"], last_name="王", first_name="同事")
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    loaded = response.context["rows"][0].days
    version = response.context["sheet"].version
    from django.test import Client

    other = Client()
    other.force_login(colleague)
    theirs = "A" + loaded[1:]
    post_grid(other, tree["t1"], {serving.pk: theirs}, version, original={serving.pk: loaded})
    mine = loaded[:2] + "L" + loaded[3:]
    response = post_grid(client, tree["t1"], {serving.pk: mine}, version, original={serving.pk: loaded})
    body = response.content.decode()
    assert "王同事" in body and "1" in body
    assert AttendanceRecord.objects.get().days == theirs


def test_bad_codes_are_refused_naming_row_and_day_and_nothing_is_written(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    days = response.context["rows"][0].days
    version = response.context["sheet"].version
    response = post_grid(client, tree["t1"], {serving.pk: days[:4] + "X" + days[5:]}, version)
    body = response.content.decode()
    assert "X" in body and "5" in body
    response = post_grid(client, tree["t1"], {serving.pk: days[:-1]}, version)
    assert "27" in response.content.decode()
    response = post_grid(client, tree["t1"], {serving.pk: "-" + days[1:]}, version)
    assert not AttendanceRecord.objects.exists()
    assert not AttendanceSheet.objects.exists()  # refused first saves create no sheet either


def test_days_outside_the_assignment_must_stay_dash(
    client_for, personas, make_village, make_cadre, dispatch, tree
):
    a = dispatch(make_cadre(), make_village(), start=datetime.date(2026, 2, 10))
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    days = response.context["rows"][0].days
    assert days.startswith("---------") and days[9] != "-"
    post_grid(client, tree["t1"], {a.pk: "P" + days[1:]}, response.context["sheet"].version)
    assert not AttendanceRecord.objects.exists()


def test_sheet_workflow_and_approved_sheets_reject_writes(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    response = open_sheet(clerk, tree["t1"])
    days, version = response.context["rows"][0].days, response.context["sheet"].version
    post_grid(clerk, tree["t1"], {serving.pk: days}, version)
    sheet = AttendanceSheet.objects.get()
    clerk.post(reverse("attendance:action", args=[tree["t1"].code, "2026-02", "submit"]))
    sheet.refresh_from_db()
    assert sheet.state == "submitted" and sheet.submitted_by == personas["clerk"]
    assert (
        clerk.post(reverse("attendance:action", args=[tree["t1"].code, "2026-02", "approve"])).status_code
        == 403
    )
    admin = client_for(personas["county_admin"])
    admin.post(reverse("attendance:action", args=[tree["t1"].code, "2026-02", "approve"]))
    sheet.refresh_from_db()
    assert sheet.state == "approved" and sheet.approved_by == personas["county_admin"]
    # Writes are refused through the page, the admin and even straight SQL.
    clerk = client_for(personas["clerk"])
    post_grid(clerk, tree["t1"], {serving.pk: "A" + days[1:]}, sheet.version)
    assert AttendanceRecord.objects.get().days == days
    record = AttendanceRecord.objects.get()
    admin_url = reverse("admin:assignments_attendancesheet_change", args=[sheet.pk])
    assert client_for(personas["clerk"]).post(admin_url, {}).status_code == 403
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.filter(pk=record.pk).update(days="A" + days[1:])
    with pytest.raises(ValidationError):
        sheet.approve(personas["county_admin"])
    admin = client_for(personas["county_admin"])
    admin.post(reverse("attendance:action", args=[tree["t1"].code, "2026-02", "reopen"]), {"reason": ""})
    sheet.refresh_from_db()
    assert sheet.state == "approved"
    admin.post(
        reverse("attendance:action", args=[tree["t1"].code, "2026-02", "reopen"]), {"reason": "第3日有误"}
    )
    sheet.refresh_from_db()
    assert sheet.state == "open" and sheet.reopen_reason == "第3日有误"


def test_clerk_cannot_read_or_post_another_townships_sheet(client_for, personas, serving, tree):
    client = client_for(personas["other_clerk"])
    assert client.get(sheet_url(tree["t1"])).status_code == 404
    open_sheet(client_for(personas["clerk"]), tree["t1"])
    client = client_for(personas["other_clerk"])
    response = client.post(sheet_url(tree["t1"]), {"version": 1, f"row-{serving.pk}": "P" * 28})
    assert response.status_code == 404
    assert not AttendanceRecord.objects.exists()


def test_city_viewer_reads_sheets_but_cannot_save(client_for, personas, serving, tree):
    open_sheet(client_for(personas["clerk"]), tree["t1"])
    client = client_for(personas["viewer"])
    assert client.get(sheet_url(tree["t1"])).status_code == 200
    assert client.post(sheet_url(tree["t1"]), {"version": 1}).status_code == 403


@pytest.mark.parametrize("n", [5, 50])
def test_grid_get_and_post_run_constant_queries(
    n, client_for, personas, make_village, make_cadre, dispatch, tree
):
    counts = {}
    AttendanceSheet.objects.create(
        township=tree["t1"], month=FEB
    )  # saved before, as in every month after the first
    for size in (5, n):
        while len(attendance.serving_in_month(tree["t1"], FEB)) < size:
            i = len(attendance.serving_in_month(tree["t1"], FEB))
            birth = datetime.date(1975, 1, 1) + datetime.timedelta(days=i * 41)
            dispatch(make_cadre(name=f"干部{i}", birth=birth), make_village())
        client = client_for(personas["clerk"])
        warm = open_sheet(client, tree["t1"])
        # Saved once by the clerk (the first save creates the month's sheet), as every month is.
        client.post(
            sheet_url(tree["t1"]),
            {
                "version": warm.context["sheet"].version,
                **{f"row-{r.assignment.pk}": r.days for r in warm.context["rows"]},
            },
        )
        cache.clear()  # the rows computed afresh, not the cached grid
        with CaptureQueriesContext(connection) as get_ctx:
            response = open_sheet(client, tree["t1"])
        rows = {r.assignment.pk: r.days for r in response.context["rows"]}
        with CaptureQueriesContext(connection) as post_ctx:
            client.post(
                sheet_url(tree["t1"]),
                {"version": response.context["sheet"].version, **{f"row-{k}": v for k, v in rows.items()}},
            )
        counts[size] = (
            len(get_ctx),
            len([q for q in post_ctx.captured_queries if "SAVEPOINT" not in q["sql"]]),
        )
    assert counts[5] == counts[n]
    assert AttendanceRecord.objects.count() == n


# --- leave ---------------------------------------------------------------------------------------
def test_three_days_go_to_the_township_four_to_the_county(serving, personas):
    three = leave_rules.request_leave(
        serving, datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), "家事", personas["clerk"], today=BEFORE
    )
    four = leave_rules.request_leave(
        serving,
        datetime.date(2026, 3, 10),
        datetime.date(2026, 3, 13),
        "病假",
        personas["clerk"],
        today=BEFORE,
    )
    assert three.approval_level == "township" and four.approval_level == "county"


def test_each_level_decides_only_its_own_leave(client_for, personas, serving):
    short = leave_rules.request_leave(
        serving, datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), "家事", personas["clerk"], today=BEFORE
    )
    long = leave_rules.request_leave(
        serving,
        datetime.date(2026, 3, 10),
        datetime.date(2026, 3, 14),
        "病假",
        personas["clerk"],
        today=BEFORE,
    )
    clerk, county = client_for(personas["clerk"]), None
    assert clerk.post(reverse("leave:decide", args=[long.pk, "approve"])).status_code == 403
    assert clerk.post(reverse("leave:decide", args=[short.pk, "approve"])).status_code == 302
    county = client_for(personas["county_admin"])
    long_pk = long.pk
    assert county.post(reverse("leave:decide", args=[long_pk, "approve"])).status_code == 302
    assert LeaveRequest.objects.get(pk=long_pk).decided_by == personas["county_admin"]
    assert LeaveRequest.objects.get(pk=short.pk).state == "approved"


def test_overlapping_or_backwards_leave_is_refused(serving, personas, client_for):
    leave_rules.request_leave(
        serving, datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), "家事", personas["clerk"], today=BEFORE
    )
    with pytest.raises(ValidationError):
        leave_rules.request_leave(
            serving,
            datetime.date(2026, 3, 4),
            datetime.date(2026, 3, 5),
            "又",
            personas["clerk"],
            today=BEFORE,
        )
    response = client_for(personas["clerk"]).post(
        reverse("leave:new"),
        {"assignment": serving.pk, "start_date": "2026-04-05", "end_date": "2026-04-01", "reason": "x"},
    )
    assert response.status_code == 200 and response.context["form"].errors["end_date"]
    assert LeaveRequest.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaveRequest.objects.create(
            assignment=serving,
            start_date=datetime.date(2026, 3, 3),
            end_date=datetime.date(2026, 3, 3),
            reason="绕过",
            approval_level="township",
        )


def test_approving_leave_writes_l_into_the_open_sheet(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    response = open_sheet(clerk, tree["t1"], "2026-03")
    post_grid(
        clerk,
        tree["t1"],
        {serving.pk: response.context["rows"][0].days},
        response.context["sheet"].version,
        "2026-03",
    )
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), "家事", personas["clerk"], today=BEFORE
    )
    assert leave.approve(personas["clerk"]) == []
    assert AttendanceRecord.objects.get().days[1:4] == "LLL"


def test_leave_on_an_approved_sheet_says_the_county_must_reopen(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    response = open_sheet(clerk, tree["t1"], "2026-03")
    days = response.context["rows"][0].days
    post_grid(clerk, tree["t1"], {serving.pk: days}, response.context["sheet"].version, "2026-03")
    sheet = AttendanceSheet.objects.get()
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 3, 2), datetime.date(2026, 3, 4), "家事", personas["clerk"], today=BEFORE
    )
    response = clerk.post(reverse("leave:decide", args=[leave.pk, "approve"]), follow=True)
    assert "2026-03" in response.content.decode()
    assert AttendanceRecord.objects.get().days == days


def test_a_new_row_shows_approved_leave(client_for, personas, serving, tree):
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 4, 7), datetime.date(2026, 4, 9), "家事", personas["clerk"], today=BEFORE
    )
    leave.approve(personas["clerk"])
    response = open_sheet(client_for(personas["clerk"]), tree["t1"], "2026-04")
    assert response.context["rows"][0].days[6:9] == "LLL"


def test_leave_past_the_yearly_cap_flags_the_cadre_for_recall(serving, personas, tree):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=10)
    # Mon 1 – Fri 12 June 2026: ten working days.
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 6, 1), datetime.date(2026, 6, 12), "病", personas["clerk"], today=BEFORE
    )
    leave.approve(personas["county_admin"])
    assert leave_rules.over_leave_cap(serving, 2026) is None
    more = leave_rules.request_leave(
        serving, datetime.date(2026, 6, 16), datetime.date(2026, 6, 17), "事", personas["clerk"], today=BEFORE
    )
    more.approve(personas["clerk"])
    assert leave_rules.over_leave_cap(serving, 2026) == (12, 10)
    # The bulk form agrees, for the dashboards and the to-do list.
    flagged = leave_rules.over_leave_cap_all(Assignment.objects.all(), 2026)
    assert [(a, a.leave_days, a.leave_cap) for a in flagged] == [(serving, 12, 10)]
    assert leave_rules.over_leave_cap_all(Assignment.objects.all(), 2025) == []


def test_reporting_the_return(serving, personas):
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 5, 11), datetime.date(2026, 5, 12), "事", personas["clerk"], today=BEFORE
    )
    with pytest.raises(ValidationError):
        leave.report_return(datetime.date(2026, 5, 13), personas["clerk"])
    leave.approve(personas["clerk"])
    leave.report_return(datetime.date(2026, 5, 13), personas["clerk"])
    assert LeaveRequest.objects.get().returned_on == datetime.date(2026, 5, 13)


# --- spot checks ---------------------------------------------------------------------------------
def test_found_absent_on_a_day_marked_present_is_a_discrepancy(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    response = open_sheet(clerk, tree["t1"])
    post_grid(
        clerk, tree["t1"], {serving.pk: response.context["rows"][0].days}, response.context["sheet"].version
    )
    response = clerk.post(
        reverse("spotchecks:new"),
        {
            "assignment": serving.pk,
            "date": "2026-02-03",
            "method": "unannounced",
            "found_present": "False",  # 不在岗, chosen: the form has no default
            "note": "不在岗",
        },
        follow=True,
    )
    assert SpotCheck.objects.count() == 1
    assert leave_rules.discrepancies(SpotCheck.objects.all()).count() == 1
    overview = client_for(personas["county_admin"]).get(reverse("attendance:overview", args=["2026-02"]))
    assert [c.assignment_id for c in overview.context["discrepancies"]] == [serving.pk]
    assert leave_rules.unexcused_absences_by_assignment([serving.pk], 2026) == {serving.pk: 1}


def test_absence_on_approved_leave_is_no_discrepancy(personas, serving):
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 2, 3), datetime.date(2026, 2, 3), "事", personas["clerk"], today=BEFORE
    )
    leave.approve(personas["clerk"])
    SpotCheck.objects.create(
        assignment=serving,
        date=datetime.date(2026, 2, 3),
        method="phone",
        found_present=False,
        checked_by=personas["clerk"],
    )
    assert leave_rules.discrepancies(SpotCheck.objects.all()).count() == 0
    assert leave_rules.unexcused_absences_by_assignment([serving.pk], 2026) == {}


def test_spot_check_outside_the_assignment_is_refused(client_for, personas, serving):
    response = client_for(personas["clerk"]).post(
        reverse("spotchecks:new"),
        {"assignment": serving.pk, "date": "2024-01-03", "method": "phone", "found_present": "True"},
    )
    assert response.status_code == 200 and response.context["form"].errors["date"]
    assert not SpotCheck.objects.exists()


# --- allowance -----------------------------------------------------------------------------------
def test_allowance_is_days_times_rate_plus_transport(client_for, personas, serving, tree):
    from decimal import Decimal

    policy = Policy.effective_for(tree["t1"])
    assert attendance.allowance(18, policy) == Decimal("148.00")  # 18 × 6 + 40
    clerk = client_for(personas["clerk"])
    response = open_sheet(clerk, tree["t1"])
    days = response.context["rows"][0].days
    post_grid(clerk, tree["t1"], {serving.pk: days}, response.context["sheet"].version)
    sheet = AttendanceSheet.objects.get()
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    response = client_for(personas["county_admin"]).get(reverse("attendance:allowance", args=["2026-02"]))
    expected = Decimal(days.count("P")) * 6 + 40
    assert response.context["grand"]["amount"] == expected


def test_allowance_of_an_approved_month_keeps_the_rates_it_was_approved_at(
    client_for, personas, serving, tree
):
    from decimal import Decimal

    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    AttendanceRecord.objects.create(
        sheet=sheet, assignment=serving, days="P" * 20 + "H" * 8, required_days=16
    )
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    Policy.objects.create(
        region=tree["county"], allowance_per_day=Decimal("9"), allowance_per_month=Decimal("60")
    )
    response = client_for(personas["county_admin"]).get(reverse("attendance:allowance", args=["2026-02"]))
    assert response.context["grand"]["amount"] == Decimal("160.00")  # 20 × 6 + 40, not 20 × 9 + 60
    [row] = next(iter(response.context["groups"]))["rows"]
    assert row.amount == Decimal("160.00")
    assert attendance.payable_allowance(AttendanceRecord.objects.select_related("sheet").get()) == Decimal(
        "160"
    )


def test_rows_of_sheets_not_approved_are_listed_as_unapproved_outside_the_totals(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    from decimal import Decimal

    other = dispatch(make_cadre(name="团旺书记"), make_village(township=tree["t2"], name="团旺村"))
    approved = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    AttendanceRecord.objects.create(
        sheet=approved, assignment=serving, days="P" * 20 + "H" * 8, required_days=16
    )
    approved.submit(personas["clerk"])
    approved.approve(personas["county_admin"])
    submitted = AttendanceSheet.objects.create(township=tree["t2"], month=FEB)
    AttendanceRecord.objects.create(
        sheet=submitted, assignment=other, days="P" * 22 + "H" * 6, required_days=16
    )
    submitted.submit(personas["other_clerk"])
    response = client_for(personas["county_admin"]).get(reverse("attendance:allowance", args=["2026-02"]))
    assert response.context["grand"]["amount"] == Decimal("160.00")
    assert response.context["grand"]["days"] == 20 and response.context["grand"]["count"] == 1
    assert [r.assignment_id for r in response.context["unapproved"]] == [other.pk]
    assert (
        attendance.payable_allowance(AttendanceRecord.objects.select_related("sheet").get(assignment=other))
        is None
    )
    page = response.content.decode()
    assert "团旺书记" in page and 'id="unapproved"' in page


def test_quarter_and_year_minimums_are_shown_when_the_policy_sets_them(client_for, personas, serving, tree):
    Policy.objects.create(region=tree["province"], days_per_year=200)
    response = open_sheet(client_for(personas["clerk"]), tree["t1"])
    row = response.context["rows"][0]
    assert row.quarter_required == 50 and row.quarter_present == row.present
    assert row.year_required == 200 and row.year_present == row.present
    assert "200" in response.content.decode()


def test_allowance_page_runs_constant_queries(client_for, personas, tree, make_village, make_cadre, dispatch):
    approved = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    waiting = AttendanceSheet.objects.create(township=tree["t2"], month=FEB)

    def add(n, offset):
        AttendanceSheet.objects.filter(pk__in=[approved.pk, waiting.pk]).update(state="open")
        for i in range(n):
            for sheet, township in ((approved, tree["t1"]), (waiting, tree["t2"])):
                a = dispatch(
                    make_cadre(name=f"补助{offset + i}{township.name}"), make_village(township=township)
                )
                AttendanceRecord.objects.create(
                    sheet=sheet, assignment=a, days="P" * 20 + "H" * 8, required_days=16
                )
        AttendanceSheet.objects.filter(pk=approved.pk).update(
            state="approved", allowance_per_day=6, allowance_per_month=40
        )

    client = client_for(personas["county_admin"])
    url = reverse("attendance:allowance", args=["2026-02"])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx), response

    add(1, 0)
    small, _ = queries()
    add(5, 1)
    large, response = queries()
    assert small == large
    assert response.context["grand"]["count"] == 6 and len(response.context["unapproved"]) == 6


def test_the_cadre_page_gives_no_verdict_on_a_month_still_in_progress(client_for, personas, serving, tree):
    from django.utils import timezone

    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    for month in (last_month, this_month):
        sheet = AttendanceSheet.objects.create(township=tree["t1"], month=month)
        n = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - month
        AttendanceRecord.objects.create(
            sheet=sheet, assignment=serving, days="A" * n.days, required_days=20, counts_business=True
        )
    body = client_for(personas["county_admin"]).get(reverse("cadres:detail", args=[serving.cadre.pk]))
    text = body.content.decode()
    assert text.count("本月进行中") == 1 and "差20天" in text


def test_opening_a_month_writes_nothing_and_the_first_save_creates_its_sheet(
    client_for, personas, serving, tree
):
    client = client_for(personas["clerk"])
    with CaptureQueriesContext(connection) as queries:
        response = open_sheet(client, tree["t1"])
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert not AttendanceSheet.objects.exists()
    body = response.content.decode()
    assert "本月考勤表尚未保存" in body and "/submit/" not in body
    row = response.context["rows"][0]
    post_grid(client, tree["t1"], {serving.pk: row.days}, response.context["sheet"].version)
    sheet = AttendanceSheet.objects.get(township=tree["t1"], month=FEB)
    assert sheet.records.get().days == row.days


def test_a_viewer_posting_to_an_unsaved_month_creates_nothing(client_for, personas, serving, tree):
    response = client_for(personas["viewer"]).post(sheet_url(tree["t1"]), {"version": 0})
    assert response.status_code == 403
    assert not AttendanceSheet.objects.exists()


def test_opening_a_saved_month_after_a_new_holiday_writes_nothing(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    response = open_sheet(client, tree["t1"])
    post_grid(client, tree["t1"], {serving.pk: response.context["rows"][0].days}, 0)
    HolidayOverride.objects.create(
        region=tree["county"], date=datetime.date(2026, 2, 10), kind="holiday", name="县庆"
    )
    with CaptureQueriesContext(connection) as queries:
        response = open_sheet(client, tree["t1"])
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert response.context["calendar"].day(10).kind == "holiday"  # shown from the calendar as it is now
