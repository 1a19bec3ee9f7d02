"""seed_demo's attendance, leave and spot checks: every state shows, the rules hold, reruns add nothing."""

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from assignments import attendance
from assignments import leave as leave_rules
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    LeaveRequest,
    Policy,
    SpotCheck,
)
from demo.demo import ATTENDANCE_MONTHS, DEMO_COUNTY
from villages.models import Region


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def last_months(n=ATTENDANCE_MONTHS):
    months = [timezone.localdate().replace(day=1)]
    while len(months) < n:
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))
    return sorted(months)


def counts():
    return (
        AttendanceSheet.objects.count(),
        AttendanceRecord.objects.count(),
        LeaveRequest.objects.count(),
        SpotCheck.objects.count(),
    )


def fingerprint():
    """Everything drawn, by natural keys (primary keys differ from one database to the next)."""
    sheets = sorted(
        AttendanceSheet.objects.values_list(
            "township__code", "month", "state", "calendar", "submitted_at", "approved_at", "reopen_reason"
        )
    )
    records = sorted(
        AttendanceRecord.objects.values_list(
            "sheet__township__code", "sheet__month", "assignment__cadre__id_number", "days", "required_days"
        )
    )
    leave = sorted(
        LeaveRequest.objects.values_list(
            "assignment__cadre__id_number",
            "start_date",
            "end_date",
            "state",
            "approval_level",
            "reason",
            "decision_note",
            "returned_on",
            "created_at",
        )
    )
    checks = sorted(
        SpotCheck.objects.values_list(
            "assignment__cadre__id_number", "date", "method", "found_present", "note", "created_at"
        )
    )
    return sheets, records, leave, checks


def test_demo_has_attendance_in_every_state_and_obeys_the_rules(db):
    first_output = seed()
    today = timezone.localdate()
    months = last_months()
    previous, current = months[-2], months[-1]

    # Sheets: one per township per month, every state, one reopened with its reason.
    townships = Region.objects.townships().count()
    assert AttendanceSheet.objects.count() == townships * ATTENDANCE_MONTHS
    assert sorted(set(AttendanceSheet.objects.values_list("month", flat=True))) == months
    assert set(AttendanceSheet.objects.values_list("state", flat=True)) == set(AttendanceSheet.State.values)
    assert set(AttendanceSheet.objects.filter(month=current).values_list("state", flat=True)) == {"open"}
    assert set(AttendanceSheet.objects.filter(month__lt=previous).values_list("state", flat=True)) == {
        "approved"
    }
    reopened = AttendanceSheet.objects.filter(state="open", month=previous).exclude(reopen_reason="")
    assert reopened.filter(reopened_by__isnull=False, reopened_at__isnull=False).exists()
    assert AttendanceSheet.objects.filter(month=previous, state="submitted").count() > townships // 2

    # Rows: for the assignments serving_in_month gives, minimums from the domain function.
    for sheet in AttendanceSheet.objects.select_related("township").filter(month__in=[months[0], current])[
        :4
    ]:
        policy = Policy.effective_for(sheet.township)
        expected = {a.pk: a for a in attendance.serving_in_month(sheet.township, sheet.month)}
        rows = list(sheet.records.all())
        assert {r.assignment_id for r in rows} == set(expected)
        for r in rows:
            assert r.required_days == attendance.required_days(
                policy, expected[r.assignment_id], sheet.month, sheet.calendar
            )
    for month in months:
        assert AttendanceRecord.objects.filter(sheet__month=month).exists()
    records = AttendanceRecord.objects.count()
    below = AttendanceRecord.objects.below_minimum().count()
    assert 0.03 * records < below < 0.2 * records
    assert AttendanceRecord.objects.filter(days__contains="B").count() > records // 4

    # Leave: both levels, several states, pending county-level leave for the overview.
    assert set(LeaveRequest.objects.values_list("approval_level", flat=True)) == {"township", "county"}
    assert {"pending", "approved", "rejected"} <= set(LeaveRequest.objects.values_list("state", flat=True))
    assert LeaveRequest.objects.filter(
        state="pending", approval_level="county", start_date__gt=today
    ).exists()
    assert not LeaveRequest.objects.filter(state="rejected", decision_note="").exists()
    overdue = {lv.pk for lv in leave_rules.overdue_returns(LeaveRequest.objects.all(), today)}
    for leave in LeaveRequest.objects.select_related("assignment__village__township", "assignment__cadre"):
        a = leave.assignment
        assert a.start_date <= leave.start_date <= leave.end_date <= a.last_day
        policy = Policy.effective_for(a.village.township)
        # Working days, with the leave it touches; a 补假 (asked after its first day) goes to the county.
        length = leave_rules.combined_working_days(a, leave.start_date, leave.end_date, exclude_pk=leave.pk)
        assert leave.approval_level == LeaveRequest.level_for(length, policy, leave.retroactive)
        assert leave.retroactive == (timezone.localdate(leave.created_at) > leave.start_date)
        if leave.state == "approved" and leave.end_date < today and leave.pk not in overdue:
            assert leave.returned_on == leave.end_date + datetime.timedelta(days=1)
    # The demo county has a 补假 decided by the county and a return (销假) overdue.
    county = Region.objects.get(code=DEMO_COUNTY[0] + "000000")
    in_county = LeaveRequest.objects.in_region(county)
    assert in_county.filter(retroactive=True, state="approved", decided_by__role="county_admin").exists()
    assert in_county.filter(pk__in=overdue).exists()
    # Every generated row is true: L only on approved leave (working days), H only on rest days, no
    # P/A/B on a day to come — what the grid itself accepts.
    for sheet in AttendanceSheet.objects.select_related("township"):
        first, last = sheet.bounds
        records = list(sheet.records.select_related("assignment__cadre"))
        mask = attendance.calendar_mask(attendance.calendar_for(sheet.township, sheet.month))
        leaves = attendance.approved_leave_dates([r.assignment_id for r in records], first, last)
        for r in records:
            assert (
                attendance.validate_row(
                    1,
                    r.assignment.cadre.name,
                    r.days,
                    r.assignment,
                    first,
                    (last - first).days + 1,
                    mask=mask,
                    leave_dates=leaves.get(r.assignment_id, set()),
                    today=today,
                )
                == []
            )
    # Approved leave shows as L in the rows.
    for leave in LeaveRequest.objects.filter(state="approved", start_date__gte=months[0])[:10]:
        row = AttendanceRecord.objects.get(
            assignment=leave.assignment, sheet__month=leave.start_date.replace(day=1)
        )
        assert row.days[leave.start_date.day - 1] == "L"

    # Exactly one cadre of 莱阳市 passes the county's yearly leave cap.
    over = [
        a
        for a in Assignment.objects.in_region(county).select_related("village__township")
        if leave_rules.over_leave_cap(a, today.year)
    ]
    assert len(over) == 1

    # Spot checks: in the past, inside the assignment; a few discrepancies, and absences excused by leave.
    checks = SpotCheck.objects.select_related("assignment")
    assert all(c.date <= today and c.assignment.is_serving_on(c.date) for c in checks)
    assert leave_rules.discrepancies(SpotCheck.objects.all()).exists()
    found = leave_rules.with_findings(SpotCheck.objects.all())
    assert found.filter(found_present=False, excused=True, discrepancy=False).exists()
    # Routine checks of the attendance months mostly find the cadre in the village (the January surprise
    # visit before the previous batch's term end, seed 003's "1 of 10 on post", is outside them).
    # (The checks of the demo's spot-check plans aim at cadres whose records look wrong: not routine.)
    from supervision.models import SpotCheckTask

    planned = SpotCheckTask.objects.filter(spot_check__isnull=False).values("spot_check")
    routine = found.filter(date__gte=months[0]).exclude(pk__in=planned)
    assert routine.filter(found_present=True).count() > 0.8 * routine.count()

    assert "zhucun2024" in first_output

    # A second run adds nothing.
    before = counts()
    seed()
    assert counts() == before


def test_attendance_is_added_to_a_database_seeded_before_it_and_is_deterministic(db):
    seed()
    drawn = fingerprint()
    assert all(drawn)
    # As a database seeded before attendance existed: counties and villages, no attendance.
    AttendanceSheet.objects.update(state="open")  # rows of closed sheets cannot be deleted
    from supervision.models import SpotCheckPlan

    SpotCheckPlan.objects.all().delete()  # check plans (supervision) came after attendance too
    SpotCheck.objects.all().delete()
    LeaveRequest.objects.all().delete()
    AttendanceRecord.objects.all().delete()
    AttendanceSheet.objects.all().delete()
    seed()
    assert fingerprint() == drawn


def test_demo_county_has_a_cadre_behind_the_last_quarters_minimum(db):
    from django.utils import timezone

    from accounts import access
    from accounts.models import User
    from assignments import attendance as attendance_rules
    from dashboard import dashboard

    call_command("seed_demo", stdout=io.StringIO())
    county = Region.objects.get(code="370682000000")
    today = timezone.localdate()
    q_first, _q_last = attendance_rules.last_finished_quarter(today)
    behind = attendance_rules.behind_lately(Assignment.objects.in_region(county), today)
    quarters = [(a, s) for a, s in behind if s.period == "quarter" and s.first == q_first]
    assert quarters and all(s.present < s.required for _a, s in quarters)
    # The demo clerk's township has one, so her home page shows the section filled.
    clerk = User.objects.get(username="clerk")
    assert attendance_rules.behind_lately(access.scope(clerk, Assignment.objects.all()), today)
    assert dashboard.clerk_figures(clerk, today)["behind_periods"]
