"""Risk signals (精准督查, supervision/signals.py): each rule fires on the records it describes, says why
in plain words, weighs what the policy says, and a whole county is read in a constant number of
queries."""

import calendar
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest, Policy, SpotCheck
from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip
from supervision import signals

MARCH = datetime.date(2026, 3, 1)
FEB = datetime.date(2026, 2, 1)
JAN = datetime.date(2026, 1, 1)
TODAY = datetime.date(2026, 4, 10)


def kept_row(month, codes=None):
    """A month's codes as a careful township keeps them: P on weekdays, H at weekends."""
    n = calendar.monthrange(month.year, month.month)[1]
    days = ["H" if month.replace(day=d).weekday() >= 5 else "P" for d in range(1, n + 1)]
    for day, code in (codes or {}).items():
        days[day - 1] = code
    return "".join(days)


def row(assignment, month, days, required=0):
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=month)
    AttendanceRecord.objects.update_or_create(
        sheet=sheet, assignment=assignment, defaults={"days": days, "required_days": required}
    )


@pytest.fixture
def cadre(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="风险对象"), make_village(name="东村"))


@pytest.fixture
def other(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="对照对象"), make_village(name="西村"))


def risk(tree, assignment, month=MARCH):
    return signals.month_risks(tree["county"], month, today=TODAY)[assignment.pk]


def codes(r):
    return [code for code, _params in r.reasons]


def test_a_row_identical_to_the_month_before_is_a_signal_with_its_reason(tree, cadre, other):
    copied = kept_row(FEB)
    row(cadre, FEB, copied)
    row(cadre, MARCH, copied + "PPP")
    # February and March 2026 both begin on a Sunday: a kept row differs by what happened.
    row(other, FEB, kept_row(FEB))
    row(other, MARCH, kept_row(MARCH, {17: "B"}))
    r = risk(tree, cadre)
    assert codes(r) == ["copied_row"]
    assert r.score == signals.WEIGHTS["copied_row"]
    assert "2026-03" in r.texts[0]
    assert "copied_row" not in codes(risk(tree, other))


def test_every_working_day_in_the_village_all_quarter_is_a_signal(tree, cadre):
    for month in (JAN, FEB, MARCH):
        row(cadre, month, kept_row(month))
    assert "all_present_quarter" in codes(risk(tree, cadre))


def test_leave_or_a_trip_in_the_quarter_takes_the_all_present_signal_away(tree, cadre, personas):
    for month in (JAN, FEB, MARCH):
        row(cadre, month, kept_row(month, {10: "B"} if month == FEB else None))
    assert "all_present_quarter" not in codes(risk(tree, cadre))
    row(cadre, FEB, kept_row(FEB))
    Trip.objects.create(
        assignment=cadre,
        start_date=datetime.date(2026, 2, 10),
        end_date=datetime.date(2026, 2, 10),
        kind="meeting",
        destination="县城",
        reason="开会",
        state="confirmed",
        created_by=personas["clerk"],
    )
    assert "all_present_quarter" not in codes(risk(tree, cadre))


def test_days_just_at_the_minimum_two_months_running_are_a_signal(tree, cadre, other):
    row(cadre, FEB, kept_row(FEB, dict.fromkeys(range(20, 29), "A")), required=12)
    present = AttendanceRecord.objects.get(assignment=cadre).present_days
    AttendanceRecord.objects.filter(assignment=cadre).update(required_days=present)
    row(cadre, MARCH, "P" * present + "A" * (31 - present), required=present)
    row(other, FEB, kept_row(FEB), required=10)
    row(other, MARCH, kept_row(MARCH), required=10)
    assert "at_minimum" in codes(risk(tree, cadre))
    assert "at_minimum" not in codes(risk(tree, other))


def test_days_in_the_village_without_a_diary_entry_or_check_in_are_a_signal(tree, cadre, other, personas):
    row(cadre, MARCH, kept_row(MARCH))
    row(other, MARCH, kept_row(MARCH))
    for d in range(1, 32):
        day = MARCH.replace(day=d)
        if day.weekday() < 5:
            DiaryEntry.objects.create(
                assignment=other, date=day, kind="visit", text="走访", created_by=personas["clerk"]
            )
    DiaryEntry.objects.create(
        assignment=cadre,
        date=datetime.date(2026, 3, 2),
        kind="visit",
        text="走访",
        created_by=personas["clerk"],
    )
    r = risk(tree, cadre)
    assert "untraced_days" in codes(r)
    text = r.texts[codes(r).index("untraced_days")]
    assert "21 of 22" in text or ("22天" in text and "21天" in text), text
    assert "untraced_days" not in codes(risk(tree, other))


def test_without_any_diary_or_check_in_in_the_county_nobody_is_untraced(tree, cadre):
    row(cadre, MARCH, kept_row(MARCH))
    assert "untraced_days" not in codes(risk(tree, cadre))


def test_far_check_ins_and_late_trips_are_signals(tree, cadre, personas):
    CheckIn.objects.create(
        assignment=cadre,
        accuracy_m=20,
        distance_m=9000,
        flag="far",
        created_by=personas["clerk"],
        created_at=timezone.make_aware(datetime.datetime(2026, 3, 5, 9)),
    )
    Trip.objects.create(
        assignment=cadre,
        start_date=datetime.date(2026, 3, 12),
        end_date=datetime.date(2026, 3, 12),
        kind="meeting",
        destination="市里",
        reason="开会",
        late=True,
        created_by=personas["clerk"],
    )
    assert {"far_checkins", "late_trips"} <= set(codes(risk(tree, cadre)))


def leave(assignment, start, end, user, **kw):
    return LeaveRequest.objects.create(
        assignment=assignment,
        start_date=start,
        end_date=end,
        reason="家事",
        state="approved",
        created_by=user,
        **{"approval_level": "township", **kw},
    )


def test_a_return_not_reported_and_leave_asked_after_the_fact_are_signals(tree, cadre, personas):
    leave(cadre, datetime.date(2026, 3, 9), datetime.date(2026, 3, 10), personas["clerk"])
    leave(
        cadre,
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 2),
        personas["clerk"],
        retroactive=True,
        approval_level="county",
        returned_on=datetime.date(2026, 3, 3),
    )
    r = risk(tree, cadre)
    assert {"overdue_return", "retroactive_leave"} <= set(codes(r))
    assert "2026-03-10" in r.texts[codes(r).index("overdue_return")]


def test_leave_near_the_yearly_cap_is_a_signal_only_where_there_is_a_cap(tree, cadre, personas):
    leave(
        cadre,
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 6),
        personas["clerk"],
        returned_on=datetime.date(2026, 3, 9),
    )
    assert "near_leave_cap" not in codes(risk(tree, cadre))
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=6)
    assert "near_leave_cap" in codes(risk(tree, cadre))


def test_a_discrepancy_found_in_the_last_twelve_months_is_a_signal(tree, cadre, other, personas):
    row(cadre, MARCH, kept_row(MARCH))
    row(other, MARCH, kept_row(MARCH))
    for a, present in ((cadre, False), (other, True)):
        SpotCheck.objects.create(
            assignment=a,
            date=datetime.date(2026, 3, 4),
            method="phone",
            found_present=present,
            checked_by=personas["clerk"],
        )
    assert "earlier_finding" in codes(risk(tree, cadre))
    assert "earlier_finding" not in codes(risk(tree, other))


def test_a_finding_on_a_rest_day_is_no_earlier_finding(tree, cadre, personas):
    row(cadre, MARCH, kept_row(MARCH, {7: "P"}))
    SpotCheck.objects.create(
        assignment=cadre,
        date=datetime.date(2026, 3, 7),
        method="phone",
        found_present=False,
        checked_by=personas["clerk"],
    )
    assert "earlier_finding" not in codes(risk(tree, cadre))


def test_no_monthly_report_is_a_signal_where_the_others_submit_theirs(tree, cadre, other, personas):
    assert "no_monthly_report" not in codes(risk(tree, cadre))
    MonthlyReport.objects.create(
        assignment=other,
        month=MARCH,
        state="submitted",
        submitted_at=timezone.now(),
        created_by=personas["clerk"],
    )
    assert "no_monthly_report" in codes(risk(tree, cadre))
    assert "no_monthly_report" not in codes(risk(tree, other))


def test_the_policy_sets_the_weights_and_zero_switches_a_signal_off(tree, cadre):
    copied = kept_row(FEB)
    row(cadre, FEB, copied)
    row(cadre, MARCH, copied + "PPP")
    Policy.objects.create(region=tree["county"], supervision_weights="copied_row:7")
    assert risk(tree, cadre).score == 7
    Policy.objects.filter(region=tree["county"]).update(supervision_weights="copied_row:0")
    assert risk(tree, cadre).score == 0 and not risk(tree, cadre).reasons


def test_a_county_is_read_in_the_same_number_of_queries_for_two_cadres_or_eight(
    tree, make_village, make_cadre, dispatch, personas
):
    def build(n):
        for i in range(n):
            a = dispatch(make_cadre(name=f"干部{i}"), make_village())
            row(a, FEB, kept_row(FEB))
            row(a, MARCH, kept_row(FEB) + "PPP")
            DiaryEntry.objects.create(
                assignment=a, date=MARCH, kind="visit", text="走访", created_by=personas["clerk"]
            )
            leave(a, datetime.date(2026, 3, 9), datetime.date(2026, 3, 10), personas["clerk"])
            SpotCheck.objects.create(
                assignment=a,
                date=datetime.date(2026, 3, 4),
                method="phone",
                found_present=False,
                checked_by=personas["clerk"],
            )

    build(2)
    with CaptureQueriesContext(connection) as few:
        signals.month_risks(tree["county"], MARCH, today=TODAY)
    build(6)
    with CaptureQueriesContext(connection) as many:
        risks = signals.month_risks(tree["county"], MARCH, today=TODAY)
    assert len(risks) == 8
    assert all("copied_row" in codes(r) for r in risks.values())
    assert len(many.captured_queries) == len(few.captured_queries) <= 13
