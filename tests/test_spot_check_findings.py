"""Spot-check findings (POLICY.md "Spot-check ladder", 请假在先): one finding per cadre per day; a rest
day, official business reported before the check and leave requested before the check are no absence."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal import rules as appraisal_rules
from appraisal.models import Grade
from assignments import leave as leave_rules
from assignments.models import AttendanceRecord, AttendanceSheet, HolidayOverride, Policy, SpotCheck

MARCH = datetime.date(2026, 3, 1)
TUESDAY = datetime.date(2026, 3, 3)
SATURDAY = datetime.date(2026, 3, 7)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="抽查对象"), make_village(name="西村"))


def check(assignment, day, user, present=False, at=None):
    return SpotCheck.objects.create(
        assignment=assignment,
        date=day,
        method="unannounced",
        found_present=present,
        checked_by=user,
        created_at=at or timezone.now(),
    )


def march_row(assignment, codes=None):
    """A March 2026 row, every day P unless ``codes`` (day → code) says otherwise."""
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=MARCH)
    days = ["P"] * 31
    for day, code in (codes or {}).items():
        days[day - 1] = code
    record, _ = AttendanceRecord.objects.update_or_create(
        sheet=sheet, assignment=assignment, defaults={"days": "".join(days)}
    )
    return record


def absences(assignment, year=2026):
    return leave_rules.unexcused_absences_by_assignment([assignment.pk], year).get(assignment.pk, 0)


def test_two_checks_on_the_same_day_count_as_one_finding(serving, personas):
    march_row(serving)
    check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(hours=3))
    check(serving, TUESDAY, personas["county_admin"])
    assert absences(serving) == 1
    assert leave_rules.discrepancies(SpotCheck.objects.all()).count() == 1
    found = leave_rules.with_findings(SpotCheck.objects.order_by("created_at"))
    assert [(c.unexcused_absence, c.repeat) for c in found] == [(True, False), (False, True)]
    # Two different days are two findings.
    check(serving, TUESDAY + datetime.timedelta(days=1), personas["clerk"])
    assert absences(serving) == 2


def test_same_day_checks_count_once_on_the_dashboard_and_in_the_overview(client_for, personas, serving):
    march_row(serving)
    check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(hours=1))
    check(serving, TUESDAY, personas["clerk"])
    admin = client_for(personas["county_admin"])
    overview = admin.get(reverse("attendance:overview", args=["2026-03"]))
    assert len(overview.context["discrepancies"]) == 1
    listed = admin.get(reverse("spotchecks:list") + "?only=discrepancies")
    assert len(listed.context["page"].object_list) == 1


def test_a_check_on_a_saturday_is_not_an_absence_nor_a_discrepancy(serving, personas):
    march_row(serving)  # even if the sheet (wrongly) says P on the Saturday
    found = check(serving, SATURDAY, personas["clerk"])
    annotated = leave_rules.with_findings(SpotCheck.objects.filter(pk=found.pk)).get()
    assert annotated.rest_day and not annotated.unexcused_absence and not annotated.discrepancy
    assert absences(serving) == 0


def test_a_check_on_a_statutory_holiday_is_not_an_absence(serving, personas):
    labour_day = datetime.date(2026, 5, 1)  # a Friday, 劳动节
    check(serving, labour_day, personas["clerk"])
    assert absences(serving) == 0


def test_a_check_on_an_adjusted_working_saturday_is_an_absence(serving, personas):
    worked_saturday = datetime.date(2026, 5, 9)  # 调休上班
    check(serving, worked_saturday, personas["clerk"])
    assert absences(serving) == 1


def test_the_countys_own_calendar_entries_decide_the_day(serving, personas, tree):
    HolidayOverride.objects.create(region=tree["county"], date=TUESDAY, kind="holiday", name="县庆")
    HolidayOverride.objects.create(region=tree["county"], date=SATURDAY, kind="workday")
    check(serving, TUESDAY, personas["clerk"])
    check(serving, SATURDAY, personas["clerk"])
    found = {c.date: c.unexcused_absence for c in leave_rules.with_findings(SpotCheck.objects.all())}
    assert found == {TUESDAY: False, SATURDAY: True}
    # The nearest region wins: the township works the county's holiday.
    HolidayOverride.objects.create(region=tree["t1"], date=TUESDAY, kind="workday")
    assert absences(serving) == 2
    # Another county's entry changes nothing here.
    HolidayOverride.objects.create(region=tree["other_county"], date=SATURDAY, kind="holiday")
    assert absences(serving) == 2


def test_business_recorded_before_the_check_excuses_it(serving, personas):
    march_row(serving, {3: "B"})
    found = check(serving, TUESDAY, personas["clerk"])
    annotated = leave_rules.with_findings(SpotCheck.objects.filter(pk=found.pk)).get()
    assert annotated.business_reported and not annotated.unexcused_absence and not annotated.discrepancy
    assert absences(serving) == 0


def test_business_recorded_after_the_check_does_not_excuse_it(serving, personas):
    march_row(serving)  # P on the day when the check is made
    found = check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(minutes=5))
    march_row(serving, {3: "B"})  # the sheet is changed to B after the finding
    # (the history events of this test's transaction are stamped with its start, before `found`)
    SpotCheck.objects.filter(pk=found.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    annotated = leave_rules.with_findings(SpotCheck.objects.filter(pk=found.pk)).get()
    assert annotated.recorded_code == "B" and not annotated.business_reported
    assert annotated.unexcused_absence and annotated.discrepancy
    assert absences(serving) == 1


def test_a_check_before_the_row_existed_is_not_excused_by_a_later_b(serving, personas):
    check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(days=1))
    march_row(serving, {3: "B"})
    assert absences(serving) == 1


def test_leave_requested_before_the_check_excuses_it(serving, personas):
    leave = leave_rules.request_leave(serving, TUESDAY, TUESDAY, "事", personas["clerk"])
    leave.approve(personas["clerk"])
    check(serving, TUESDAY, personas["clerk"])
    assert absences(serving) == 0
    assert leave_rules.with_findings(SpotCheck.objects.all()).get().excused


def test_a_retroactive_leave_approved_after_a_finding_leaves_the_finding_and_the_cap(serving, personas, tree):
    found = check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(days=2))
    leave = leave_rules.request_leave(serving, TUESDAY, TUESDAY, "补假", personas["clerk"])
    # 补假: requested after its first day; decided by the county.
    type(leave).objects.filter(pk=leave.pk).update(retroactive=True, approval_level="county")
    leave.refresh_from_db()
    leave.approve(personas["county_admin"])
    annotated = leave_rules.with_findings(SpotCheck.objects.filter(pk=found.pk)).get()
    assert not annotated.excused and annotated.unexcused_absence
    assert absences(serving) == 1
    policy = Policy.effective_for(tree["county"])
    cap, reasons = appraisal_rules.cap_for(appraisal_rules.Facts(unexcused=absences(serving)), policy)
    assert cap == Grade.COMPETENT and reasons


def test_business_typed_in_after_the_check_in_the_same_transaction_does_not_excuse_it(serving, personas):
    # Everything here runs in one transaction, whose history events all carry its start time: the
    # order of the writes decides, not the clock.
    march_row(serving)
    check(serving, TUESDAY, personas["clerk"])
    march_row(serving, {3: "B"})
    annotated = leave_rules.with_findings(SpotCheck.objects.all()).get()
    assert annotated.recorded_code == "B" and not annotated.business_reported and annotated.discrepancy
    assert absences(serving) == 1


def test_business_typed_in_before_the_check_in_the_same_transaction_excuses_it(serving, personas):
    march_row(serving, {3: "B"})
    check(serving, TUESDAY, personas["clerk"], at=timezone.now() - datetime.timedelta(days=3))
    assert absences(serving) == 0


def test_business_through_the_grid_after_a_check_recorded_on_the_page_does_not_excuse_it(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    url = reverse("attendance:sheet", args=[tree["t1"].code, "2026-03"])
    response = clerk.get(url)
    days = response.context["rows"][0].days
    clerk.post(url, {"version": response.context["sheet"].version, f"row-{serving.pk}": days})
    clerk.post(
        reverse("spotchecks:new"),
        {"assignment": serving.pk, "date": TUESDAY.isoformat(), "method": "phone", "found_present": "False"},
    )
    assert SpotCheck.objects.count() == 1 and absences(serving) == 1
    response = clerk.get(url)
    business = days[:2] + "B" + days[3:]
    clerk.post(url, {"version": response.context["sheet"].version, f"row-{serving.pk}": business})
    assert AttendanceRecord.objects.get().days[2] == "B"
    assert absences(serving) == 1


def test_a_retroactive_leave_does_not_lift_the_appraisal_cap_of_an_earlier_finding(serving, personas, tree):
    from appraisal.models import AppraisalRound

    day = datetime.date(2025, 6, 3)  # a Tuesday
    check(serving, day, personas["clerk"], at=timezone.now() - datetime.timedelta(days=30))
    leave = leave_rules.request_leave(serving, day, day, "补假", personas["clerk"])
    type(leave).objects.filter(pk=leave.pk).update(retroactive=True, approval_level="county")
    leave.refresh_from_db()
    leave.approve(personas["county_admin"])
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    facts, _policy = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))
    [f] = facts.values()
    assert f.unexcused == 1 and f.cap == Grade.COMPETENT


def test_leave_requested_before_the_check_keeps_excellent_open(serving, personas, tree):
    from appraisal.models import AppraisalRound

    day = datetime.date(2025, 6, 3)
    leave = leave_rules.request_leave(serving, day, day, "事假", personas["clerk"])
    leave.approve(personas["clerk"])
    check(serving, day, personas["clerk"])
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    facts, _policy = appraisal_rules.facts_for(round_, list(round_.appraisals.all()))
    [f] = facts.values()
    assert f.unexcused == 0 and f.cap == Grade.EXCELLENT


def test_a_leave_ended_early_by_the_return_does_not_excuse_a_check_after_the_return(serving, personas):
    # Leave Tue 3 – Fri 6 March, back (销假) on Thursday 5: a check that finds the cadre away on
    # Thursday or Friday is an absence; one on Wednesday is excused.
    wednesday, thursday, friday = (TUESDAY + datetime.timedelta(days=n) for n in (1, 2, 3))
    leave = leave_rules.request_leave(serving, TUESDAY, friday, "事假", personas["clerk"], today=TUESDAY)
    leave.approve(personas["clerk"])
    leave.report_return(thursday, personas["clerk"], today=thursday)
    for day in (wednesday, thursday, friday):
        check(serving, day, personas["clerk"])
    excused = {c.date: c.excused for c in leave_rules.with_findings(SpotCheck.objects.all())}
    assert excused == {wednesday: True, thursday: False, friday: False}
    assert absences(serving) == 2
