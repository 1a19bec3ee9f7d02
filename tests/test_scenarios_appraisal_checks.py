"""Scenarios an organisation department would try against issue 12, items 10–16 (POLICY.md, seeds
001/003/004): boundary days and counts of the minimums, spot-check findings, the appraisal of a
person, the quota by kind of round, the shortfall, 不确定等次, contradicting settings, the promotion
list, village targets and the allowance. Built from the policy, not from the code."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from appraisal import rules, targets
from appraisal.models import Appraisal, AppraisalRound, Grade, VillageResult
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
from assignments.models.attendance import month_bounds

Y = 2025
D = datetime.date
NEW_YEAR = D(Y, 1, 1)


# --- helpers ---------------------------------------------------------------------------------------
@pytest.fixture
def serve(make_village, make_cadre, dispatch, personas):
    """serve(name, start, end=None, reason=..., township=None, cadre=None) → an assignment."""

    def run(
        name="干部",
        start=NEW_YEAR,
        end=None,
        reason=Assignment.EndReason.ADJUSTED,
        township=None,
        cadre=None,
        role="first_secretary",
    ):
        cadre = cadre or make_cadre(name=name)
        a = dispatch(cadre, make_village(township=township), role=role, start=start)
        if end is not None:
            a.end(
                end, reason, user=personas["county_admin"], note="工作不胜任" if reason == "recalled" else ""
            )
        return a

    return run


def row(assignment, month, present, required=0, code="H"):
    """A month's row: ``present`` days P on days the assignment covers, the others ``code``."""
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
            days.append(code)
    assert left == 0
    return AttendanceRecord.objects.create(
        sheet=sheet, assignment=assignment, days="".join(days), required_days=required
    )


def start_round(tree, personas, year=Y, kind=AppraisalRound.Kind.ANNUAL):
    return AppraisalRound.start(tree["county"], year, kind, personas["county_admin"])


def grade_all(round_, excellent_names, grade=Grade.COMPETENT):
    posted = {}
    for a in round_.appraisals.select_related("cadre"):
        if a.grade == Grade.UNGRADED:
            continue
        posted[a.pk] = ("", Grade.EXCELLENT if a.cadre.name in excellent_names else grade, "")
    return rules.save_grades(round_, posted)


def facts_by_name(round_):
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, _policy = rules.facts_for(round_, appraisals)
    return {a.cadre.name: facts[a.pk] for a in appraisals}


def check(assignment, day, user, present=False, at=None):
    return SpotCheck.objects.create(
        assignment=assignment,
        date=day,
        method="unannounced",
        found_present=present,
        checked_by=user,
        created_at=at or timezone.now(),
    )


def absences(assignment, year):
    return leave_rules.unexcused_absences_by_assignment([assignment.pk], year).get(assignment.pk, 0)


# --- the quota: exact counts -------------------------------------------------------------------------
def test_thirty_percent_of_ten_people_is_exactly_three_excellent(serve, tree, personas):
    for i in range(10):
        serve(f"干部{i}")
    round_ = start_round(tree, personas)
    assert grade_all(round_, {"干部0", "干部1"}) == []
    with pytest.raises(ValidationError) as refused:
        round_.finalize(personas["county_admin"])
    assert "3" in str(refused.value)
    assert grade_all(round_, {"干部0", "干部1", "干部2"}) == []
    round_.finalize(personas["county_admin"])
    assert AppraisalRound.objects.get(pk=round_.pk).state == AppraisalRound.State.FINALIZED


def test_thirty_percent_of_seven_people_rounds_up_to_three_excellent(serve, tree, personas):
    for i in range(7):
        serve(f"干部{i}")
    round_ = start_round(tree, personas)
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, policy = rules.facts_for(round_, appraisals)
    assert rules.quota(appraisals, facts, policy, round_.kind).min_needed == 3  # ceil(2.1)


def test_a_cadre_adjusted_mid_year_is_one_person_in_the_quota_base(serve, tree, personas):
    for i in range(6):
        serve(f"干部{i}")
    first = serve("调整干部", start=D(Y, 1, 1), end=D(Y, 5, 14))
    serve(cadre=first.cadre, start=D(Y, 5, 15), township=tree["t2"])
    round_ = start_round(tree, personas)
    assert round_.appraisals.count() == 7
    assert round_.appraisals.filter(cadre=first.cadre).count() == 1
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, policy = rules.facts_for(round_, appraisals)
    assert rules.quota(appraisals, facts, policy, round_.kind).min_needed == 3
    assert facts_by_name(round_)["调整干部"].months_served == 12


# --- months served: exact calendar months ------------------------------------------------------------
def test_one_january_to_thirty_june_is_six_months_and_can_be_graded(serve, tree, personas):
    serve("半年", start=D(Y - 1, 3, 1), end=D(Y, 6, 30), reason=Assignment.EndReason.OTHER)
    round_ = start_round(tree, personas)
    a = round_.appraisals.get()
    assert a.grade == "" and a.ungraded_reason == ""
    assert facts_by_name(round_)["半年"].months_served == 6


def test_one_january_to_twenty_nine_june_is_five_months_and_leaves_the_person_ungraded(serve, tree, personas):
    serve("差一天", start=D(Y - 1, 3, 1), end=D(Y, 6, 29), reason=Assignment.EndReason.OTHER)
    round_ = start_round(tree, personas)
    a = round_.appraisals.get()
    assert a.grade == Grade.UNGRADED and "5" in a.ungraded_reason
    problems = rules.save_grades(round_, {a.pk: ("", Grade.COMPETENT, "")})
    assert problems and "差一天" in problems[0]


def test_thirty_one_january_to_twenty_eight_february_is_one_month():
    assert rules.months_served([(D(Y, 1, 31), D(Y, 2, 28))], Y) == 1
    assert rules.months_served([(D(Y, 2, 1), D(Y, 2, 27))], Y) == 0
    assert rules.months_served([(D(Y, 3, 15), D(Y, 4, 14))], Y) == 1
    assert rules.months_served([(D(Y, 3, 15), D(Y, 4, 13))], Y) == 0


def test_two_assignments_that_touch_add_up_to_whole_months():
    assert rules.months_served([(D(Y, 1, 1), D(Y, 3, 31)), (D(Y, 4, 1), D(Y, 6, 30))], Y) == 6
    # Joined at the 15th: one unbroken stretch of six months.
    assert rules.months_served([(D(Y, 1, 15), D(Y, 4, 20)), (D(Y, 4, 21), D(Y, 7, 14))], Y) == 6


def test_two_assignments_with_a_gap_count_only_the_months_served():
    # January – February and April – May: four months; the March gap is not served.
    assert rules.months_served([(D(Y, 1, 1), D(Y, 2, 28)), (D(Y, 4, 1), D(Y, 5, 31))], Y) == 4
    # Half a month on each side of a gap never makes up more than the days served (16 + 15 days).
    assert rules.months_served([(D(Y, 1, 1), D(Y, 1, 16)), (D(Y, 3, 1), D(Y, 3, 15))], Y) == 1
    assert rules.months_served([(D(Y, 1, 1), D(Y, 1, 15)), (D(Y, 3, 1), D(Y, 3, 15))], Y) == 0


def test_months_served_count_only_the_appraised_year():
    assert rules.months_served([(D(Y - 1, 7, 1), D(Y, 6, 30))], Y) == 6
    assert rules.months_served([(D(Y, 7, 1), D(Y + 1, 6, 30))], Y) == 6


# --- recall -----------------------------------------------------------------------------------------
def test_a_recall_in_the_previous_year_does_not_rule_out_excellent_this_year(serve, tree, personas):
    old = serve("去年召回", start=D(Y - 1, 3, 1), end=D(Y - 1, 12, 31), reason=Assignment.EndReason.RECALLED)
    serve(cadre=old.cadre, start=D(Y, 1, 1))
    round_ = start_round(tree, personas)
    facts = facts_by_name(round_)["去年召回"]
    assert not facts.recalled and facts.allows_excellent


def test_a_recall_of_any_assignment_this_year_rules_out_excellent(serve, tree, personas):
    old = serve("今年召回", start=D(Y - 1, 3, 1), end=D(Y, 1, 31), reason=Assignment.EndReason.RECALLED)
    serve(cadre=old.cadre, start=D(Y, 2, 1), township=tree["t2"])
    round_ = start_round(tree, personas)
    facts = facts_by_name(round_)["今年召回"]
    assert facts.recalled and facts.cap == Grade.COMPETENT
    a = round_.appraisals.get()
    problems = rules.save_grades(round_, {a.pk: ("", Grade.EXCELLENT, "")})
    assert problems and "今年召回" in problems[0]


def test_a_recall_in_another_county_this_year_still_rules_out_excellent(serve, tree, personas):
    # Recalled in 海阳市 in February (工作不胜任), sent to 莱阳市 from March: "a cadre recalled during
    # the year cannot be rated 优秀 that year" is a fact about the person.
    away = serve("外县召回", start=D(Y - 1, 3, 1), township=tree["t3"])
    away.recall(D(Y, 2, 20), "工作不胜任", personas["other_admin"])
    serve(cadre=away.cadre, start=D(Y, 3, 1))
    round_ = start_round(tree, personas)
    facts = facts_by_name(round_)["外县召回"]
    assert facts.recalled and not facts.allows_excellent


# --- quarterly and yearly minimums ------------------------------------------------------------------
def test_a_quarter_at_exactly_fifty_days_keeps_excellent_open_and_forty_nine_closes_it(serve, tree, personas):
    fifty = serve("五十天")
    fortynine = serve("四十九天")
    for month, n in ((D(Y, 4, 1), 17), (D(Y, 5, 1), 17), (D(Y, 6, 1), 16)):
        row(fifty, month, n)
    for month, n in ((D(Y, 4, 1), 17), (D(Y, 5, 1), 16), (D(Y, 6, 1), 16)):
        row(fortynine, month, n)
    round_ = start_round(tree, personas)
    facts = facts_by_name(round_)
    assert facts["五十天"].allows_excellent
    assert not facts["四十九天"].allows_excellent
    assert any("49" in r and "50" in r for r in facts["四十九天"].cap_reasons)


def test_a_cadre_starting_mid_quarter_owes_a_pro_rated_quarter(serve):
    late = serve("五月到岗", start=D(Y, 5, 15))
    # 15 May – 30 June: 47 of 91 days → 50 × 47 / 91 = 25.8 → 26.
    row(late, D(Y, 5, 1), 13)
    row(late, D(Y, 6, 1), 13)
    assert attendance.minimums_missed([late], Y, whole_year=True) == {}
    AttendanceRecord.objects.filter(assignment=late, sheet__month=D(Y, 6, 1)).delete()
    row(late, D(Y, 6, 1), 12)
    [shortfall] = attendance.minimums_missed([late], Y, whole_year=True)[late.pk]
    assert (shortfall.present, shortfall.required) == (25, 26)


def test_a_cadre_in_two_townships_in_one_quarter_is_judged_on_the_whole_quarter(serve, tree, personas):
    # Adjusted on 15 May from 沐浴店镇 to 团旺镇: 30 days in the first village, 20 in the second, 50
    # in the quarter — the person met "一个季度不少于50天".
    a = serve("两镇干部", start=D(Y, 1, 1), end=D(Y, 5, 14))
    b = serve(cadre=a.cadre, start=D(Y, 5, 15), township=tree["t2"])
    row(a, D(Y, 4, 1), 20)
    row(a, D(Y, 5, 1), 10)
    row(b, D(Y, 5, 1), 10)
    row(b, D(Y, 6, 1), 10)
    for m in (1, 2, 3, 7, 8, 9, 10, 11, 12):
        row(a if m < 5 else b, D(Y, m, 1), 20)
    round_ = start_round(tree, personas)
    facts = facts_by_name(round_)["两镇干部"]
    assert facts.periods_below == [] and facts.allows_excellent
    # 49 over the two villages is a miss, named once for the person.
    AttendanceRecord.objects.filter(assignment=b, sheet__month=D(Y, 6, 1)).delete()
    row(b, D(Y, 6, 1), 9)
    facts = facts_by_name(round_)["两镇干部"]
    assert [(s.present, s.required) for s in facts.periods_below] == [(49, 50)]
    assert not facts.allows_excellent


def test_a_yearly_minimum_of_two_hundred_days_is_checked_when_set(serve, tree, personas):
    Policy.objects.create(region=tree["county"], days_per_year=200, days_per_quarter=0)
    short = serve("一百九十九")
    enough = serve("二百")
    for m in range(1, 13):
        row(short, D(Y, m, 1), 17 if m <= 7 else 16)  # 7 × 17 + 5 × 16 = 199
        row(enough, D(Y, m, 1), 17 if m <= 8 else 16)  # 200
    facts = facts_by_name(start_round(tree, personas))
    assert facts["二百"].allows_excellent
    assert [(s.period, s.present, s.required) for s in facts["一百九十九"].periods_below] == [
        ("year", 199, 200)
    ]


# --- spot checks --------------------------------------------------------------------------------------
MARCH = D(2026, 3, 1)


def march_row(assignment, codes=None):
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=MARCH)
    days = ["P"] * 31
    for day, code in (codes or {}).items():
        days[day - 1] = code
    record, _ = AttendanceRecord.objects.update_or_create(
        sheet=sheet, assignment=assignment, defaults={"days": "".join(days)}
    )
    return record


def test_a_check_on_a_tiaoxiu_working_saturday_finds_an_absence_and_on_a_holiday_none(serve, tree, personas):
    b = serve("调休二", start=D(2025, 1, 1))
    check(b, D(2025, 2, 8), personas["clerk"])  # 调休 working Saturday: an absence
    check(b, D(2025, 1, 29), personas["clerk"])  # 春节: not an absence
    check(b, D(2025, 2, 9), personas["clerk"])  # an ordinary Sunday: not an absence
    assert absences(b, 2025) == 1


def test_a_county_declared_working_saturday_makes_a_check_an_absence(serve, tree, personas):
    a = serve("县调休", start=D(2025, 1, 1))
    HolidayOverride.objects.create(region=tree["county"], date=D(2025, 3, 8), kind="adjusted_workday")
    HolidayOverride.objects.create(region=tree["county"], date=D(2025, 3, 10), kind="holiday", name="县庆")
    check(a, D(2025, 3, 8), personas["clerk"])
    check(a, D(2025, 3, 10), personas["clerk"])
    assert absences(a, 2025) == 1


def test_two_checks_on_one_day_one_present_one_absent_make_one_finding(serve, personas):
    a = serve("同日两查", start=D(2026, 1, 1))
    march_row(a)
    now = timezone.now()
    check(a, D(2026, 3, 3), personas["clerk"], present=True, at=now - datetime.timedelta(hours=4))
    check(a, D(2026, 3, 3), personas["county_admin"], present=False, at=now - datetime.timedelta(hours=1))
    check(a, D(2026, 3, 3), personas["county_admin"], present=False, at=now)
    assert absences(a, 2026) == 1
    assert leave_rules.discrepancies(SpotCheck.objects.all()).count() == 1


def test_business_typed_in_after_the_check_does_not_excuse_it_but_business_reported_before_does(
    serve, personas
):
    before = serve("先报备", start=D(2026, 1, 1))
    after = serve("后补B", start=D(2026, 1, 1))
    march_row(before, {4: "B"})
    march_row(after)
    check(before, D(2026, 3, 4), personas["clerk"])
    check(after, D(2026, 3, 4), personas["clerk"])
    march_row(after, {4: "B"})  # typed in once the check had found the cadre away
    assert absences(before, 2026) == 0
    assert absences(after, 2026) == 1


def test_leave_requested_before_the_check_excuses_it_and_a_buqia_after_never_does(serve, personas):
    early = serve("先请假", start=D(2026, 1, 1))
    late = serve("后补假", start=D(2026, 1, 1))
    leave = leave_rules.request_leave(
        early, D(2026, 3, 10), D(2026, 3, 11), "家事", personas["clerk"], today=D(2026, 3, 9)
    )
    check(early, D(2026, 3, 10), personas["county_admin"])
    leave.approve(personas["clerk"])  # approved after the check, requested before it
    check(late, D(2026, 3, 10), personas["county_admin"])
    buqia = leave_rules.request_leave(late, D(2026, 3, 10), D(2026, 3, 11), "补假", personas["clerk"])
    assert buqia.retroactive and buqia.approval_level == LeaveRequest.Level.COUNTY
    buqia.approve(personas["county_admin"])
    assert absences(early, 2026) == 0
    assert absences(late, 2026) == 1


def test_one_spot_check_absence_rules_out_excellent_and_two_cap_at_basic(serve, tree, personas):
    once = serve("一次", start=D(Y, 1, 1))
    twice = serve("两次", start=D(Y, 1, 1))
    thrice = serve("三次", start=D(Y, 1, 1))
    check(once, D(Y, 3, 4), personas["clerk"])
    for day in (4, 5):
        check(twice, D(Y, 3, day), personas["clerk"])
    for day in (4, 5, 6):
        check(thrice, D(Y, 3, day), personas["clerk"])
    check(thrice, D(Y, 3, 6), personas["county_admin"])  # the same day again: still three
    facts = facts_by_name(start_round(tree, personas))
    assert (facts["一次"].cap, facts["两次"].cap, facts["三次"].cap) == (
        Grade.COMPETENT,
        Grade.BASIC,
        Grade.INCOMPETENT,
    )
    assert facts["三次"].unexcused == 3


# --- the term-end round ------------------------------------------------------------------------------
def test_the_thirty_percent_minimum_does_not_apply_to_a_term_end_round(serve, tree, personas):
    for i in range(4):
        serve(f"期满{i}", start=D(Y - 2, 3, 1), end=D(Y, 2, 28), reason=Assignment.EndReason.TERM_COMPLETED)
    round_ = start_round(tree, personas, kind=AppraisalRound.Kind.TERM_END)
    assert round_.appraisals.count() == 4
    assert grade_all(round_, set()) == []
    round_.finalize(personas["county_admin"])
    assert AppraisalRound.objects.get(pk=round_.pk).shortfall == 0


def test_a_term_end_round_follows_its_own_minimum_and_maximum(serve, tree, personas):
    Policy.objects.create(
        region=tree["county"],
        excellent_min_ratio=Decimal("0.5"),
        term_end_excellent_min_ratio=Decimal("0.2"),
        term_end_excellent_max_ratio=Decimal("0.4"),
    )
    for i in range(5):
        serve(f"期满{i}", start=D(Y - 2, 3, 1), end=D(Y, 2, 28), reason=Assignment.EndReason.TERM_COMPLETED)
    serve("在任", start=D(Y - 1, 3, 1))  # planned end 2027: not in the term-end round
    round_ = start_round(tree, personas, kind=AppraisalRound.Kind.TERM_END)
    assert round_.appraisals.count() == 5
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, policy = rules.facts_for(round_, appraisals)
    q = rules.quota(appraisals, facts, policy, round_.kind)
    assert (q.min_needed, q.max_allowed) == (1, 2)
    assert grade_all(round_, {"期满0", "期满1", "期满2"}) == []
    with pytest.raises(ValidationError):
        round_.finalize(personas["county_admin"])
    assert grade_all(round_, {"期满0", "期满1"}) == []
    round_.finalize(personas["county_admin"])


# --- the shortfall ------------------------------------------------------------------------------------
def test_a_round_whose_caps_leave_too_few_closes_with_the_shortfall_and_who_was_capped(
    serve, tree, personas, client_for
):
    serve("唯一可优")
    for i in range(3):
        a = serve(f"被召回{i}", start=D(Y - 1, 3, 1), end=D(Y, 8, 31), reason=Assignment.EndReason.RECALLED)
        assert a.end_reason == "recalled"
    # 4 graded → at least ceil(1.2) = 2 excellent, but 3 are recalled.
    round_ = start_round(tree, personas)
    assert grade_all(round_, set()) == []
    with pytest.raises(ValidationError):
        round_.finalize(personas["county_admin"])  # the one who may be excellent must be rated so
    assert grade_all(round_, {"唯一可优"}) == []
    round_.finalize(personas["county_admin"])
    round_.refresh_from_db()
    assert round_.shortfall == 1
    assert sorted(r["name"] for r in round_.shortfall_reasons) == ["被召回0", "被召回1", "被召回2"]
    page = client_for(personas["county_admin"]).get(reverse("appraisal:round", args=[round_.pk]))
    assert page.status_code == 200 and "被召回2" in page.content.decode()
    export = client_for(personas["county_admin"]).get(
        reverse("excel:export", args=["appraisal"]) + f"?round={round_.pk}"
    )
    assert export.status_code == 200
    wb = openpyxl.load_workbook(
        io.BytesIO(b"".join(export.streaming_content) if export.streaming else export.content)
    )
    text = " ".join(str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value)
    assert "被召回2" in text and "优秀名额缺口 1 人" in text
    # Reopened, the shortfall goes; finalized again, it is recorded again.
    round_.reopen(personas["county_admin"], "复核")
    round_.refresh_from_db()
    assert round_.shortfall == 0
    round_.finalize(personas["county_admin"])
    round_.refresh_from_db()
    assert round_.shortfall == 1


# --- 不确定等次 by hand ----------------------------------------------------------------------------------
def test_not_graded_by_hand_needs_its_own_reason(serve, tree, personas):
    serve("待定")
    round_ = start_round(tree, personas)
    a = round_.appraisals.get()
    assert rules.save_grades(round_, {a.pk: ("", Grade.UNGRADED, "评语", "")})
    assert rules.save_grades(round_, {a.pk: ("", Grade.UNGRADED, "评语", "立案审查中")}) == []
    a.refresh_from_db()
    assert (a.grade, a.ungraded_reason, a.comments) == (Grade.UNGRADED, "立案审查中", "评语")
    # A reason with a real grade is refused; clearing it grades the person.
    assert rules.save_grades(round_, {a.pk: ("", Grade.COMPETENT, "评语", "立案审查中")})
    assert rules.save_grades(round_, {a.pk: ("", Grade.COMPETENT, "评语", "")}) == []
    a.refresh_from_db()
    assert (a.grade, a.ungraded_reason) == (Grade.COMPETENT, "")


def test_a_person_left_ungraded_is_outside_the_quota_base(serve, tree, personas):
    for i in range(4):
        serve(f"干部{i}")
    round_ = start_round(tree, personas)
    ids = {a.cadre.name: a.pk for a in round_.appraisals.select_related("cadre")}
    # 3 graded → ceil(0.9) = 1 excellent; the fourth is 不确定等次.
    assert rules.save_grades(round_, {ids["干部3"]: ("", Grade.UNGRADED, "", "病休")}) == []
    assert grade_all(round_, {"干部0"}) == []
    round_.finalize(personas["county_admin"])


# --- contradicting settings ---------------------------------------------------------------------------
def test_a_county_maximum_under_the_province_minimum_is_refused_naming_both(tree):
    Policy.objects.create(region=tree["province"], excellent_min_ratio=Decimal("0.30"))
    county = Policy(region=tree["county"], excellent_max_ratio=Decimal("0.20"))
    with pytest.raises(ValidationError) as refused:
        county.full_clean()
    text = str(refused.value)
    assert "山东省" in text and "莱阳市" in text


def test_a_county_maximum_under_the_default_minimum_is_refused(tree):
    county = Policy(region=tree["county"], excellent_max_ratio=Decimal("0.20"))
    with pytest.raises(ValidationError) as refused:
        county.full_clean()
    assert "莱阳市" in str(refused.value)


def test_raising_the_province_minimum_above_a_county_maximum_saved_earlier_is_refused_naming_both(tree):
    province = Policy.objects.create(region=tree["province"], excellent_min_ratio=Decimal("0.10"))
    county = Policy(region=tree["county"], excellent_max_ratio=Decimal("0.20"))
    county.full_clean()
    county.save()
    province.excellent_min_ratio = Decimal("0.30")
    with pytest.raises(ValidationError) as refused:
        province.full_clean()
    text = str(refused.value)
    assert "山东省" in text and "莱阳市" in text
    # A county with its own minimum under its maximum does not contradict anything.
    county.excellent_min_ratio = Decimal("0.15")
    county.full_clean()
    county.save()
    province.full_clean()


def test_term_end_settings_that_contradict_across_regions_are_refused_naming_both(tree):
    Policy.objects.create(region=tree["city"], term_end_excellent_min_ratio=Decimal("0.30"))
    county = Policy(region=tree["county"], term_end_excellent_max_ratio=Decimal("0.20"))
    with pytest.raises(ValidationError) as refused:
        county.full_clean()
    text = str(refused.value)
    assert "烟台市" in text and "莱阳市" in text
    # A maximum of 0 switches it off: no contradiction.
    Policy(region=tree["county"], term_end_excellent_max_ratio=Decimal("0")).full_clean()


# --- the promotion list -------------------------------------------------------------------------------
def _finalized(tree, personas, year, cadres_excellent):
    round_ = AppraisalRound.objects.create(
        county=tree["county"],
        year=year,
        kind="annual",
        created_by=personas["county_admin"],
        state="finalized",
    )
    for cadre in cadres_excellent:
        Appraisal.objects.create(round=round_, cadre=cadre, grade=Grade.EXCELLENT)
    return round_


def test_the_promotion_list_holds_only_completed_terms_never_the_recalled_nor_those_still_serving(
    serve, tree, personas
):
    done = serve("期满", start=D(2023, 1, 1), end=D(2024, 12, 31), reason=Assignment.EndReason.TERM_COMPLETED)
    recalled = serve("召回", start=D(2023, 1, 1), end=D(2024, 11, 30), reason=Assignment.EndReason.RECALLED)
    serving = serve("在任", start=D(2023, 3, 1))
    adjusted = serve("调走", start=D(2023, 1, 1), end=D(2024, 12, 31), reason=Assignment.EndReason.ADJUSTED)
    cadres = [done.cadre, recalled.cadre, serving.cadre, adjusted.cadre]
    _finalized(tree, personas, 2023, cadres)
    _finalized(tree, personas, 2024, cadres)
    rows = rules.promotion_list(Appraisal.objects.all())
    assert [r["cadre"].name for r in rows] == ["期满"]
    assert sorted(rows[0]["years"]) == [2023, 2024]
    assert rules.promotion_list(Appraisal.objects.filter(round__year__in=[2023])) == []  # one year is not two


def test_the_promotion_page_shows_the_completed_term_and_not_the_recalled(serve, tree, personas, client_for):
    done = serve(
        "页面期满", start=D(2023, 1, 1), end=D(2024, 12, 31), reason=Assignment.EndReason.TERM_COMPLETED
    )
    recalled = serve(
        "页面召回", start=D(2023, 1, 1), end=D(2024, 11, 30), reason=Assignment.EndReason.RECALLED
    )
    for year in (2023, 2024):
        _finalized(tree, personas, year, [done.cadre, recalled.cadre])
    page = client_for(personas["county_admin"]).get(reverse("appraisal:excellent_twice"))
    text = page.content.decode()
    assert page.status_code == 200 and "页面期满" in text and "页面召回" not in text


def test_excellent_in_two_years_that_are_not_consecutive_is_not_on_the_promotion_list(serve, tree, personas):
    done = serve("隔年", start=D(2023, 1, 1), end=D(2024, 12, 31), reason=Assignment.EndReason.TERM_COMPLETED)
    _finalized(tree, personas, 2022, [done.cadre])
    _finalized(tree, personas, 2024, [done.cadre])
    assert rules.promotion_list(Appraisal.objects.all()) == []


def test_a_draft_round_or_a_term_end_round_does_not_count_for_the_promotion_list(serve, tree, personas):
    done = serve("草稿", start=D(2023, 1, 1), end=D(2024, 12, 31), reason=Assignment.EndReason.TERM_COMPLETED)
    _finalized(tree, personas, 2023, [done.cadre])
    draft = AppraisalRound.objects.create(
        county=tree["county"], year=2024, kind="annual", created_by=personas["county_admin"]
    )
    Appraisal.objects.create(round=draft, cadre=done.cadre, grade=Grade.EXCELLENT)
    term_end = AppraisalRound.objects.create(
        county=tree["county"],
        year=2024,
        kind="term_end",
        created_by=personas["county_admin"],
        state="finalized",
    )
    Appraisal.objects.create(round=term_end, cadre=done.cadre, grade=Grade.EXCELLENT)
    assert rules.promotion_list(Appraisal.objects.all()) == []


# --- village targets ----------------------------------------------------------------------------------
def _result(village, year, income, personas, **kw):
    return VillageResult.objects.create(
        village=village,
        year=year,
        collective_income=Decimal(income),
        entered_by=personas["county_admin"],
        **kw,
    )


def test_the_income_target_is_met_only_with_both_the_growth_and_the_floor(make_village, personas):
    v = make_village()
    _result(v, 2024, 70000, personas)
    exact = _result(v, 2025, 100000, personas)
    assert targets.check(exact, VillageResult.objects.get(year=2024), v)[0][1] is True
    w = make_village()
    _result(w, 2024, 80000, personas)
    high_floor_low_growth = _result(w, 2025, 109999.99, personas)
    assert (
        targets.check(high_floor_low_growth, VillageResult.objects.get(village=w, year=2024), w)[0][1]
        is False
    )
    x = make_village()
    _result(x, 2024, 60000, personas)
    growth_below_floor = _result(x, 2025, 99999.99, personas)
    assert (
        targets.check(growth_below_floor, VillageResult.objects.get(village=x, year=2024), x)[0][1] is False
    )


def test_the_party_member_and_reserve_cadre_target_needs_both_parts(make_village, personas):
    v = make_village()
    only_reserve = _result(v, 2025, 0, personas, party_members_developed=0, reserve_cadres=4)
    assert targets.check(only_reserve, None, v)[3][1] is False
    w = make_village()
    both = _result(w, 2025, 0, personas, party_members_developed=1, reserve_cadres=3)
    assert targets.check(both, None, w)[3][1] is True
    assert targets.check(both, None, w)[2][1] is False  # households 0 %
    assert targets.check(both, None, w)[1][1] is False  # 0 projects


# --- allowance -----------------------------------------------------------------------------------------
def _approved_february(serve, personas, present=20):
    a = serve("补助", start=D(2026, 1, 1))
    row(a, D(2026, 2, 1), present)
    sheet = AttendanceSheet.objects.get(month=D(2026, 2, 1))
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    return a, sheet


def test_allowance_is_paid_at_the_rates_fixed_when_the_month_was_approved(serve, tree, personas):
    a, sheet = _approved_february(serve, personas)
    Policy.objects.create(
        region=tree["county"], allowance_per_day=Decimal("9"), allowance_per_month=Decimal("80")
    )
    record = AttendanceRecord.objects.select_related("sheet").get(assignment=a)
    assert attendance.payable_allowance(record) == Decimal("160.00")  # 20 × 6 + 40


def test_a_month_reopened_and_approved_again_after_a_policy_change_keeps_its_rates(serve, tree, personas):
    # Decision: the rates of a month are those in force when it was first approved; reopening a
    # month to correct a day does not reprice it at a policy changed since (issue 12, item 16: a
    # later change of policy never changes a month already approved).
    a, sheet = _approved_february(serve, personas)
    Policy.objects.create(
        region=tree["county"], allowance_per_day=Decimal("9"), allowance_per_month=Decimal("80")
    )
    sheet.reopen(personas["county_admin"], "更正一天")
    record = AttendanceRecord.objects.get(assignment=a)
    days = list(record.days)
    days[days.index("H")] = "P"  # a day corrected: 21 days
    record.days = "".join(days)
    record.save()
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    sheet.refresh_from_db()
    assert (sheet.allowance_per_day, sheet.allowance_per_month) == (Decimal("6.00"), Decimal("40.00"))
    record = AttendanceRecord.objects.select_related("sheet").get(assignment=a)
    assert attendance.payable_allowance(record) == Decimal("166.00")  # 21 × 6 + 40


def test_rows_of_a_sheet_not_approved_are_listed_as_unapproved_outside_the_totals(
    serve, tree, personas, client_for
):
    paid, _sheet = _approved_february(serve, personas)
    pending = serve("未审批", start=D(2026, 1, 1), township=tree["t2"])
    row(pending, D(2026, 2, 1), 20)
    AttendanceSheet.objects.get(township=tree["t2"], month=D(2026, 2, 1)).submit(personas["other_clerk"])
    scoped = AttendanceRecord.objects.in_region(tree["county"])
    approved, others = attendance.allowance_records(scoped, D(2026, 2, 1))
    assert [r.assignment_id for r in approved] == [paid.pk]
    assert [r.assignment_id for r in others] == [pending.pk]
    assert attendance.payable_allowance(others[0]) is None
    page = client_for(personas["county_admin"]).get(reverse("attendance:allowance", args=["2026-02"]))
    assert page.status_code == 200
    assert "160" in page.content.decode() and "未审批" in page.content.decode()
    export = client_for(personas["county_admin"]).get(
        reverse("excel:export", args=["allowance"]) + "?month=2026-02"
    )
    wb = openpyxl.load_workbook(
        io.BytesIO(b"".join(export.streaming_content) if export.streaming else export.content)
    )
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    total = next(r for r in rows if r[1] == "合计")
    assert total[9] == pytest.approx(160.0)


def test_a_cadre_adjusted_mid_month_meets_the_month_over_both_villages(serve, tree, personas):
    # Adjusted on 15 May: the first village's row owes 20 × 14/31 = 9 days, the second's
    # 20 × 17/31 = 11. Twelve days in the first and eight in the second are 20 of 20: met.
    a = serve("月中调整", start=D(Y, 1, 1), end=D(Y, 5, 14))
    b = serve(cadre=a.cadre, start=D(Y, 5, 15), township=tree["t2"])
    row(a, D(Y, 5, 1), 12, required=9)
    row(b, D(Y, 5, 1), 8, required=11)
    round_ = start_round(tree, personas)
    Policy.objects.create(region=tree["county"], days_per_quarter=0)
    facts = facts_by_name(round_)["月中调整"]
    assert facts.months_below == 0 and facts.months_recorded == 1 and facts.allows_excellent
    AttendanceRecord.objects.filter(assignment=b).delete()
    row(b, D(Y, 5, 1), 7, required=11)
    facts = facts_by_name(round_)["月中调整"]
    assert facts.months_below == 1 and not facts.allows_excellent


def test_scores_fill_the_quota_from_the_best_eligible_and_a_capped_top_score_is_passed_over(
    serve, tree, personas
):
    people = [serve(f"评分{i}") for i in range(7)]
    check(people[0], D(Y, 3, 4), personas["clerk"])  # the best score, but found away once
    round_ = start_round(tree, personas)
    scores = {f"评分{i}": s for i, s in enumerate([95, 84, 83, 82, 81, 80, 79])}
    rows = {a.cadre.name: a for a in round_.appraisals.select_related("cadre")}
    assert rules.save_grades(round_, {a.pk: (str(scores[n]), "", "") for n, a in rows.items()}) == []
    rules.suggest(round_)
    grades = {a.cadre.name: a.grade for a in round_.appraisals.select_related("cadre")}
    assert grades["评分0"] == Grade.COMPETENT
    assert sorted(n for n, g in grades.items() if g == Grade.EXCELLENT) == ["评分1", "评分2", "评分3"]
    round_.finalize(personas["county_admin"])


def test_a_finding_recorded_after_the_round_closed_stops_excellent_when_it_is_reopened(serve, tree, personas):
    people = [serve(f"复核{i}") for i in range(3)]
    round_ = start_round(tree, personas)
    assert grade_all(round_, {"复核0"}) == []
    round_.finalize(personas["county_admin"])
    check(people[0], D(Y, 11, 4), personas["county_admin"])
    round_.reopen(personas["county_admin"], "新发现")
    with pytest.raises(ValidationError) as refused:
        round_.finalize(personas["county_admin"])
    assert "复核0" in str(refused.value)


def test_a_recalled_cadre_is_not_in_the_term_end_round_but_one_whose_term_ends_this_year_is(
    serve, tree, personas
):
    serve("召回者", start=D(Y - 1, 3, 1), end=D(Y, 6, 30), reason=Assignment.EndReason.RECALLED)
    serve("年内期满", start=D(Y - 1, 3, 1))  # planned end 2026-02-28: next year's round
    serve("今年期满", start=D(Y - 2, 6, 1))  # planned end 2025-05-31, still open
    round_ = start_round(tree, personas, kind=AppraisalRound.Kind.TERM_END)
    assert [a.cadre.name for a in round_.appraisals.select_related("cadre")] == ["今年期满"]


def test_a_county_minimum_above_the_city_maximum_is_refused_naming_both(tree):
    Policy.objects.create(region=tree["city"], excellent_max_ratio=Decimal("0.40"))
    county = Policy(region=tree["county"], excellent_min_ratio=Decimal("0.50"))
    with pytest.raises(ValidationError) as refused:
        county.full_clean()
    text = str(refused.value)
    assert "烟台市" in text and "莱阳市" in text
    assert "excellent_min_ratio" in refused.value.message_dict


def test_rows_of_a_reopened_month_are_unapproved_until_it_is_approved_again(serve, tree, personas):
    a, sheet = _approved_february(serve, personas)
    sheet.reopen(personas["county_admin"], "更正")
    record = AttendanceRecord.objects.select_related("sheet").get(assignment=a)
    assert attendance.payable_allowance(record) is None
    approved, others = attendance.allowance_records(
        AttendanceRecord.objects.in_region(tree["county"]), D(2026, 2, 1)
    )
    assert list(approved) == [] and [r.assignment_id for r in others] == [a.pk]


def test_a_quarter_missed_over_two_townships_is_listed_once_for_the_county(serve, tree, personas):
    a = serve("两镇落后", start=D(Y, 1, 1), end=D(Y, 5, 14))
    b = serve(cadre=a.cadre, start=D(Y, 5, 15), township=tree["t2"])
    row(a, D(Y, 4, 1), 20)
    row(a, D(Y, 5, 1), 10)
    row(b, D(Y, 5, 1), 10)
    row(b, D(Y, 6, 1), 9)
    behind = attendance.behind_lately(Assignment.objects.in_region(tree["county"]), today=D(Y, 7, 10))
    assert [(x.pk, s.period, s.present, s.required) for x, s in behind] == [(b.pk, "quarter", 49, 50)]


def test_leave_cut_short_by_an_early_return_no_longer_excuses_a_check_after_the_return(serve, personas):
    a = serve("提前销假", start=D(2026, 1, 1))
    leave = leave_rules.request_leave(
        a, D(2026, 3, 9), D(2026, 3, 13), "探亲", personas["county_admin"], today=D(2026, 3, 2)
    )
    leave.approve(personas["county_admin"])
    leave.report_return(D(2026, 3, 11), personas["clerk"], today=D(2026, 3, 11))
    check(a, D(2026, 3, 10), personas["clerk"])  # still on leave: excused
    check(a, D(2026, 3, 12), personas["clerk"])  # back since the 11th: away without leave
    assert absences(a, 2026) == 1


def test_excellent_in_the_two_years_before_a_term_completed_the_next_year_is_on_the_promotion_list(
    serve, tree, personas
):
    done = serve(
        "次年期满", start=D(2023, 3, 1), end=D(2025, 2, 28), reason=Assignment.EndReason.TERM_COMPLETED
    )
    _finalized(tree, personas, 2023, [done.cadre])
    _finalized(tree, personas, 2024, [done.cadre])
    assert [r["cadre"].name for r in rules.promotion_list(Appraisal.objects.all())] == ["次年期满"]


def test_a_cadre_recalled_and_sent_again_before_completing_a_term_is_not_on_the_promotion_list(
    serve, tree, personas
):
    first = serve("召回再派", start=D(2023, 1, 1), end=D(2024, 6, 30), reason=Assignment.EndReason.RECALLED)
    again = serve(cadre=first.cadre, start=D(2024, 7, 1), end=D(2024, 12, 31), reason="term_completed")
    assert again.end_reason == Assignment.EndReason.TERM_COMPLETED
    _finalized(tree, personas, 2023, [first.cadre])
    _finalized(tree, personas, 2024, [first.cadre])
    assert rules.promotion_list(Appraisal.objects.all()) == []


def test_a_month_still_in_progress_does_not_rule_out_excellent_in_a_round_of_the_running_year(
    serve, tree, personas
):
    # An annual round is often held in December: December's days still to come are no shortfall.
    today = timezone.localdate()
    this_month = today.replace(day=1)
    a = serve("本月进行中", start=D(today.year, 1, 1))
    row(a, this_month, 1, required=20)
    round_ = start_round(tree, personas, year=today.year)
    facts = facts_by_name(round_)["本月进行中"]
    assert facts.months_below == 0 and facts.months_recorded == 1
    if this_month.month > 1:  # a finished month below its minimum still counts
        row(a, this_month.replace(month=this_month.month - 1), 1, required=20)
        assert facts_by_name(round_)["本月进行中"].months_below == 1


def test_the_term_end_round_page_names_its_own_settings_and_not_the_annual_thirty_percent(
    serve, tree, personas, client_for
):
    Policy.objects.create(
        region=tree["county"],
        term_end_excellent_min_ratio=Decimal("0.2"),
        term_end_excellent_max_ratio=Decimal("0.5"),
    )
    serve("期满甲", start=D(Y - 2, 3, 1), end=D(Y, 2, 28), reason=Assignment.EndReason.TERM_COMPLETED)
    round_ = start_round(tree, personas, kind=AppraisalRound.Kind.TERM_END)
    page = client_for(personas["county_admin"]).get(reverse("appraisal:round", args=[round_.pk]))
    text = page.content.decode()
    assert "期满考核" in text and "20 %" in text and "50 %" in text and "30 %" not in text


def test_the_leave_cap_counts_the_person_over_both_villages_of_a_year(serve, tree, personas):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=30)
    a = serve("两村请假", start=D(Y, 1, 1), end=D(Y, 5, 14))
    b = serve(cadre=a.cadre, start=D(Y, 5, 15), township=tree["t2"])
    for assignment, start, end in ((a, D(Y, 3, 3), D(Y, 3, 28)), (b, D(Y, 6, 9), D(Y, 6, 27))):
        leave = leave_rules.request_leave(
            assignment, start, end, "病假", personas["county_admin"], today=start
        )
        leave.approve(personas["county_admin"])
    # 20 + 15 working days: 35 over the cap of 30, though each village saw fewer.
    assert leave_rules.leave_days_by_cadre([a.cadre_id], Y) == {a.cadre_id: 35}
    flagged = leave_rules.over_leave_cap_all(Assignment.objects.in_region(tree["county"]), Y)
    assert {x.pk for x in flagged} == {a.pk, b.pk}
    assert leave_rules.over_leave_cap(b, Y) == (35, 30)


def test_a_yearly_minimum_is_pro_rated_for_a_cadre_starting_on_the_first_of_july(serve, tree, personas):
    Policy.objects.create(region=tree["county"], days_per_year=200, days_per_quarter=0)
    late = serve("七月到岗", start=D(Y, 7, 1))
    # 1 July – 31 December: 184 of 365 days → 200 × 184 / 365 = 100.8 → 101.
    for m, n in ((7, 17), (8, 17), (9, 17), (10, 17), (11, 17), (12, 16)):
        row(late, D(Y, m, 1), n)
    assert attendance.minimums_missed([late], Y, whole_year=True) == {}
    AttendanceRecord.objects.filter(assignment=late, sheet__month=D(Y, 12, 1)).delete()
    row(late, D(Y, 12, 1), 15)
    [shortfall] = attendance.minimums_missed([late], Y, whole_year=True)[late.pk]
    assert (shortfall.period, shortfall.present, shortfall.required) == ("year", 100, 101)


def test_a_cadre_recalled_in_a_later_term_leaves_the_promotion_list(serve, tree, personas):
    # 优秀 in 2023 and 2024, first term completed at the end of 2024, recalled from the second term
    # in 2025: "never the recalled" — the list is for promotion, and a recall says the cadre failed.
    first = serve("后被召回", start=D(2023, 1, 1), end=D(2024, 12, 31), reason="term_completed")
    _finalized(tree, personas, 2023, [first.cadre])
    _finalized(tree, personas, 2024, [first.cadre])
    assert [r["cadre"] for r in rules.promotion_list(Appraisal.objects.all())] == [first.cadre]
    serve(cadre=first.cadre, start=D(2025, 1, 1), end=D(2025, 6, 30), reason=Assignment.EndReason.RECALLED)
    assert rules.promotion_list(Appraisal.objects.all()) == []
