"""Quarterly and yearly minimums have consequences (POLICY.md "Attendance", seed 003 "一个季度不少于50天"):
assignments.attendance.minimums_missed judges months, quarters and the year; a miss rules out 优秀."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import rules as appraisal_rules
from appraisal.models import AppraisalRound, Grade
from assignments import attendance
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, Policy
from assignments.models.attendance import month_bounds
from assignments.policy import EffectivePolicy, resolve

APR, MAY, JUN = datetime.date(2025, 4, 1), datetime.date(2025, 5, 1), datetime.date(2025, 6, 1)
AFTER_Q2 = datetime.date(2025, 7, 1)


def row(assignment, month, present, required=0):
    """A row with ``present`` days P on the days the assignment covers, the others H (or -)."""
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=month)
    first, last = month_bounds(month)
    days, left = [], present
    for n in range((last - first).days + 1):
        day = first + datetime.timedelta(days=n)
        if not assignment.is_serving_on(day):
            days.append("-")
        elif left:
            days.append("P")
            left -= 1
        else:
            days.append("H")
    assert left == 0, "more days than the assignment covers"
    return AttendanceRecord.objects.create(
        sheet=sheet, assignment=assignment, days="".join(days), required_days=required
    )


@pytest.fixture
def secretary(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="季度书记"), make_village(name="南村"), start=datetime.date(2025, 3, 1))


def missed(assignment, year=2025, **kw):
    return attendance.minimums_missed(Assignment.objects.filter(pk=assignment.pk), year, **kw).get(
        assignment.pk, []
    )


def test_a_quarter_with_exactly_50_days_meets_the_minimum(secretary):
    for month, n in ((APR, 17), (MAY, 17), (JUN, 16)):
        row(secretary, month, n)
    assert missed(secretary, today=AFTER_Q2) == []


def test_a_quarter_with_49_days_misses_the_minimum(secretary):
    for month, n in ((APR, 17), (MAY, 16), (JUN, 16)):
        row(secretary, month, n)
    [shortfall] = missed(secretary, today=AFTER_Q2)
    assert (shortfall.period, shortfall.first, shortfall.last) == ("quarter", APR, datetime.date(2025, 6, 30))
    assert (shortfall.present, shortfall.required) == (49, 50)
    assert "49" in shortfall.reason and "50" in shortfall.reason


def test_a_quarter_still_running_is_not_judged(secretary):
    for month, n in ((APR, 10), (MAY, 10), (JUN, 10)):
        row(secretary, month, n)
    assert missed(secretary, today=datetime.date(2025, 6, 30)) == []
    assert [s.period for s in missed(secretary, today=AFTER_Q2)] == ["quarter"]
    # The appraisal of a finished year judges every period of it.
    assert [s.period for s in missed(secretary, today=datetime.date(2025, 6, 30), whole_year=True)] == [
        "quarter"
    ]


def test_a_quarter_with_a_month_not_recorded_is_not_judged(secretary):
    row(secretary, APR, 17)
    row(secretary, MAY, 17)
    assert missed(secretary, today=AFTER_Q2) == []


def test_the_quarter_minimum_is_prorated_for_a_cadre_starting_mid_quarter(make_village, make_cadre, dispatch):
    late = dispatch(make_cadre(name="年中到岗"), make_village(), start=datetime.date(2025, 5, 15))
    # 15 May – 30 June is 47 of the quarter's 91 days: 50 × 47 / 91 = 25.8 → 26 days.
    row(late, MAY, 13)
    row(late, JUN, 13)
    assert missed(late, today=AFTER_Q2) == []
    AttendanceRecord.objects.filter(assignment=late, sheet__month=JUN).delete()
    row(late, JUN, 12)
    [shortfall] = missed(late, today=AFTER_Q2)
    assert (shortfall.present, shortfall.required) == (25, 26)


def test_months_below_their_minimum_are_reported_with_their_figures(secretary):
    row(secretary, APR, 19, required=20)
    row(secretary, MAY, 20, required=20)
    row(secretary, JUN, 20, required=20)
    [shortfall] = missed(secretary, today=AFTER_Q2)
    assert (shortfall.period, shortfall.first, shortfall.present, shortfall.required) == (
        "month",
        APR,
        19,
        20,
    )


def test_a_switched_off_quarter_minimum_is_never_missed(secretary, tree):
    Policy.objects.create(region=tree["county"], days_per_quarter=0)
    for month in (APR, MAY, JUN):
        row(secretary, month, 5)
    assert missed(secretary, today=AFTER_Q2) == []


def test_the_yearly_minimum_counts_once_the_year_is_over(make_village, make_cadre, dispatch, tree):
    Policy.objects.create(region=tree["province"], days_per_year=200, days_per_quarter=0)
    whole = dispatch(make_cadre(name="全年书记"), make_village(), start=datetime.date(2025, 1, 1))
    for m in range(1, 13):
        row(whole, datetime.date(2025, m, 1), 16)  # 192 days
    assert missed(whole, today=datetime.date(2025, 12, 31)) == []
    [shortfall] = missed(whole, today=datetime.date(2026, 1, 1))
    assert (shortfall.period, shortfall.present, shortfall.required) == ("year", 192, 200)
    for record in AttendanceRecord.objects.filter(assignment=whole)[:8]:
        AttendanceRecord.objects.filter(pk=record.pk).update(days=record.days.replace("H", "P", 1))
    assert missed(whole, today=datetime.date(2026, 1, 1)) == []  # 200: exactly the minimum


def test_minimums_missed_runs_constant_queries(make_village, make_cadre, dispatch, secretary):
    for month in (APR, MAY, JUN):
        row(secretary, month, 10)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            attendance.minimums_missed(Assignment.objects.all(), 2025, today=AFTER_Q2)
        return len(ctx)

    small = queries()
    for i in range(6):
        a = dispatch(make_cadre(name=f"队员{i}"), make_village(), start=datetime.date(2025, 3, 1))
        for month in (APR, MAY, JUN):
            row(a, month, 10 + i)
    assert queries() == small <= 4


# --- consequences in the appraisal ---------------------------------------------------------------
def test_a_missed_quarter_rules_out_excellent_and_names_the_period(personas, tree, secretary):
    for month, n in ((APR, 17), (MAY, 16), (JUN, 16)):
        row(secretary, month, n)
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    appraisals = list(round_.appraisals.all())
    facts, _policy = appraisal_rules.facts_for(round_, appraisals)
    [f] = facts.values()
    assert f.cap == Grade.COMPETENT
    assert any("49" in r and "50" in r for r in f.cap_reasons)


def test_the_setting_can_switch_the_attendance_cap_off(personas, tree, secretary):
    Policy.objects.create(region=tree["county"], attendance_blocks_excellent=False)
    for month, n in ((APR, 17), (MAY, 16), (JUN, 16)):
        row(secretary, month, n)
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    facts, _policy = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))
    assert [f.cap for f in facts.values()] == [Grade.EXCELLENT]


def test_a_quarter_met_leaves_excellent_open(personas, tree, secretary):
    for month, n in ((APR, 17), (MAY, 17), (JUN, 16)):
        row(secretary, month, n)
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    facts, _policy = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))
    assert [f.cap for f in facts.values()] == [Grade.EXCELLENT]


def test_cap_reason_names_the_period():
    shortfall = attendance.Shortfall(1, "quarter", APR, datetime.date(2025, 6, 30), 42, 50)
    facts = appraisal_rules.Facts(periods_below=[shortfall])
    cap, reasons = appraisal_rules.cap_for(facts, EffectivePolicy(dict(resolve([]).values)))
    assert cap == Grade.COMPETENT and "2025" in reasons[0] and "42" in reasons[0] and "50" in reasons[0]


def test_up_to_a_month_leaves_out_the_periods_ending_later(secretary):
    row(secretary, APR, 19, required=20)
    row(secretary, MAY, 10)
    row(secretary, JUN, 10)
    through_may = missed(secretary, through=MAY, today=AFTER_Q2)
    assert [(s.period, s.first) for s in through_may] == [("month", APR)]
    assert [s.period for s in missed(secretary, through=JUN, today=AFTER_Q2)] == ["month", "quarter"]
