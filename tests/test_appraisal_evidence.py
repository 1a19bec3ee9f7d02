"""Issue 18, item 1: the evidence page of a person in a round — every fact a grade rests on, one
printable page, linked from the round's row, seen by whoever sees the appraisal and nobody else."""

import calendar
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from appraisal import evidence, rules
from appraisal.models import AppraisalRound, DemocraticAssessment, Inspection, Opinion, VillageResult
from assignments import leave as leave_rules
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, Policy, SpotCheck
from fieldwork.models import DiaryEntry, MonthlyReport

D = datetime.date
YEAR = 2025
SECTIONS = [
    "ev-person",
    "ev-attendance",
    "ev-leave",
    "ev-checks",
    "ev-inspections",
    "ev-recorded",
    "ev-village",
    "ev-caps",
    "ev-opinions",
    "ev-score",
]


def sheet_row(township, assignment, month, present, required=20):
    days = calendar.monthrange(month.year, month.month)[1]
    sheet, _created = AttendanceSheet.objects.get_or_create(township=township, month=month)
    return AttendanceRecord.objects.create(
        sheet=sheet,
        assignment=assignment,
        days="P" * present + "A" * (days - present),
        required_days=required,
    )


def check(assignment, day, user, present=False, **kw):
    return SpotCheck.objects.create(
        assignment=assignment, date=day, method="unannounced", found_present=present, checked_by=user, **kw
    )


def inspect(assignment, half, user, results="good"):
    return Inspection.objects.create(
        assignment=assignment,
        year=YEAR,
        half=half,
        work_style="good",
        people_first="fair",
        discipline="good",
        results=results,
        summary="考察意见",
        inspected_by=user,
    )


def diary(assignment, day, user, n=1):
    for _ in range(n):
        DiaryEntry.objects.create(
            assignment=assignment, created_by=user, date=day, kind="visit", households=2, text="走访"
        )


@pytest.fixture
def world(tree, personas, make_village, make_cadre, dispatch):
    """Two people in 莱阳市's 2025 round: 少记录 serves all year in a village of 沐浴店镇 (t1) with one
    record of each kind; 多记录 is adjusted on 1 April from t1 to 团旺镇 (t2), with many months,
    leave, checks and entries."""
    admin = personas["county_admin"]
    few = dispatch(make_cadre(name="少记录"), make_village(tree["t1"], name="甲村"), start=D(2024, 6, 1))
    sheet_row(tree["t1"], few, D(YEAR, 3, 1), 12)  # below the minimum of 20
    retro = leave_rules.request_leave(few, D(YEAR, 5, 6), D(YEAR, 5, 7), "家事", admin, today=D(YEAR, 5, 9))
    retro.approve(admin)  # a 补假, never reported back (销假): overdue
    check(few, D(YEAR, 6, 10), admin, note="突击暗访不在岗")  # a Tuesday: a finding
    inspect(few, 1, admin, results="poor")
    diary(few, D(YEAR, 4, 8), admin, n=2)

    cadre = make_cadre(name="多记录", birth=D(1980, 3, 3))
    first = dispatch(cadre, make_village(tree["t1"], name="乙村"), start=D(2024, 6, 1))
    first.end(D(YEAR, 3, 31), "adjusted", user=admin)
    second = dispatch(cadre, make_village(tree["t2"], name="丙村"), start=D(YEAR, 4, 1))
    for start, end in ((D(YEAR, 2, 10), D(YEAR, 2, 11)), (D(YEAR, 3, 4), D(YEAR, 3, 4))):
        leave_rules.request_leave(first, start, end, "看病", admin, today=start - datetime.timedelta(days=3))
    for start, end in ((D(YEAR, 6, 3), D(YEAR, 6, 4)), (D(YEAR, 8, 5), D(YEAR, 8, 8))):
        leave_rules.request_leave(second, start, end, "家事", admin, today=start).approve(admin)
    for m in (1, 2, 3):
        sheet_row(tree["t1"], first, D(YEAR, m, 1), 21)
    for m in range(4, 12):
        sheet_row(tree["t2"], second, D(YEAR, m, 1), 15 if m in (5, 9) else 22)
    check(first, D(YEAR, 2, 18), admin, present=True)
    check(second, D(YEAR, 5, 13), admin)
    check(second, D(YEAR, 7, 15), admin)
    withdrawn = check(second, D(YEAR, 9, 16), admin)
    withdrawn.withdraw(admin, "记错了人")  # 撤销: counts nowhere, stays listed
    inspect(first, 1, admin)
    inspect(second, 2, admin)
    diary(first, D(YEAR, 2, 5), admin, n=3)
    diary(second, D(YEAR, 8, 5), admin, n=4)
    report = MonthlyReport.objects.create(
        assignment=second, month=D(YEAR, 8, 1), text="八月", created_by=admin
    )
    report.submit(admin)
    for village in (first.village, second.village):
        VillageResult.objects.create(
            village=village,
            year=YEAR,
            collective_income=Decimal(120000),
            livelihood_projects=4,
            entered_by=admin,
        )
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", admin)
    return {
        "round": round_,
        "few": round_.appraisals.get(cadre=few.cadre),
        "many": round_.appraisals.get(cadre=cadre),
        "few_assignment": few,
        "first": first,
        "second": second,
        "withdrawn": withdrawn,
    }


def url(appraisal):
    return reverse("appraisal:evidence", args=[appraisal.round_id, appraisal.pk])


def page(client, appraisal):
    response = client.get(url(appraisal))
    assert response.status_code == 200
    return response, response.content.decode()


def test_every_section_is_on_the_page_once(client_for, personas, world):
    _response, html = page(client_for(personas["county_admin"]), world["many"])
    for section in SECTIONS:
        assert html.count(f'id="{section}"') == 1, section
    assert html.count("<h2>") == len(SECTIONS)
    assert "css/evidence.css" in html  # the print stylesheet


def test_the_person_is_shown_with_months_served_over_both_assignments(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["many"])
    e = response.context["e"]
    # 1 January – 31 March and 1 April – 31 December: one unbroken stretch of twelve months
    assert e.facts.months_served == rules.months_served([world["first"], world["second"]], YEAR) == 12
    assert [a.pk for a in e.assignments] == [world["first"].pk, world["second"].pk]
    assert "乙村" in html and "丙村" in html and "多记录" in html
    assert e.hidden == 0


def test_a_month_below_the_minimum_is_marked_and_one_met_is_not(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["few"])
    march = next(m for m in response.context["e"].months if m.month == D(YEAR, 3, 1))
    assert march.below and (march.present, march.required) == (12, 20)
    assert 'data-month="2025-03" data-below="1"' in html
    response, html = page(client_for(personas["county_admin"]), world["many"])
    below = [m.month.month for m in response.context["e"].months if m.below]
    assert below == [5, 9]  # 15 of 22 working days in the village against 20
    assert response.context["e"].facts.months_below == 2


def test_a_month_still_running_is_in_progress_not_below(world):
    a = world["few"]
    e = evidence.gather(a, a.round.appraisals.all(), Assignment.objects.all(), today=D(YEAR, 3, 20))
    march = e.months[-1]
    assert march.month == D(YEAR, 3, 1) and march.in_progress and not march.below
    assert evidence.gather(a, a.round.appraisals.all(), Assignment.objects.none()).assignments == []


def test_a_retroactive_leave_and_an_overdue_return_are_marked(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["few"])
    (leave,) = response.context["e"].leaves
    assert leave.retroactive and leave.overdue and leave.counted_days == 2
    assert f'id="leave-{leave.pk}" data-retroactive="1" data-overdue="1"' in html


def test_a_finding_is_listed_and_a_withdrawn_check_struck_and_not_counted(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["few"])
    (finding,) = response.context["e"].findings
    assert (
        finding.date == D(YEAR, 6, 10) and f'id="check-{finding.pk}" class="finding" data-finding="1"' in html
    )
    assert "突击暗访不在岗" in html
    response, html = page(client_for(personas["county_admin"]), world["many"])
    e = response.context["e"]
    assert [c.date for c in e.findings] == [D(YEAR, 5, 13), D(YEAR, 7, 15)]
    assert e.facts.unexcused == 2 and len(e.checks) == 4
    assert f'id="check-{world["withdrawn"].pk}" class="withdrawn"' in html and "记错了人" in html


def test_the_cap_reasons_and_the_quota_are_shown(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["many"])
    e = response.context["e"]
    assert e.facts.cap == "basic" and e.facts.cap_reasons  # twice away: at most 基本称职
    for reason in e.facts.cap_reasons:
        assert reason in html
    assert e.quota.graded == 2


def test_the_inspections_and_the_cadres_own_records_are_counted(client_for, personas, world):
    response, html = page(client_for(personas["county_admin"]), world["few"])
    e = response.context["e"]
    assert [i.half for i in e.inspections] == [1] and e.inspections[0].poor_points == 1
    assert [h["entries"] for h in e.recorded] == [2, 0]
    assert 'diary-count">2<' in html
    response, html = page(client_for(personas["county_admin"]), world["many"])
    e = response.context["e"]
    assert [h["entries"] for h in e.recorded] == [3, 4] and [h["reports"] for h in e.recorded] == [0, 1]
    assert len(e.inspections) == 2


def test_the_villages_targets_are_checked(client_for, personas, world):
    response, _html = page(client_for(personas["county_admin"]), world["many"])
    villages = response.context["e"].villages
    assert [v.village.name for v in villages] == ["乙村", "丙村"]
    assert all(v.result is not None and v.checks for v in villages)
    projects = [met for _t, met, detail in villages[0].checks if detail == "4"]
    assert projects == [True]


def test_opinions_the_democratic_assessment_and_the_weighted_score_are_shown(
    client_for, personas, tree, world
):
    a = world["few"]
    Opinion.objects.create(
        appraisal=a,
        source="township",
        suggested_grade="competent",
        text="乡镇党委意见",
        given_by=personas["clerk"],
    )
    DemocraticAssessment.objects.create(
        appraisal=a,
        held_on=D(YEAR, 12, 20),
        participants=40,
        good=30,
        fairly_good=6,
        average=4,
        entered_by=personas["clerk"],
    )
    Policy.objects.create(
        region=tree["county"], score_weight_inspections=30, score_weight_annual=50, score_weight_assessment=20
    )
    a.score = Decimal(90)
    a.save(update_fields=["score"])
    response, html = page(client_for(personas["county_admin"]), a)
    e = response.context["e"]
    assert e.opinions["township"].text == "乡镇党委意见" and "unit" not in e.opinions
    assert "乡镇党委意见" in html and 'class="num satisfaction">90.0 %' in html
    # inspections: 好 好 好 一般 (poor results: 差) → (100+80+100+60)/4 = 85; 85×30% + 90×50% + 90×20%
    assert e.score.parts["inspections"] == Decimal(85) and e.score.total == Decimal("88.50")
    assert 'id="ev-total"><b>88.50</b>' in html


def test_a_missing_weighted_part_is_named(client_for, personas, tree, world):
    Policy.objects.create(
        region=tree["county"], score_weight_inspections=30, score_weight_annual=50, score_weight_assessment=20
    )
    response, _html = page(client_for(personas["county_admin"]), world["few"])
    score = response.context["e"].score
    assert score.total is None and len(score.missing) == 2  # no typed score, no 民主测评


def test_the_township_sees_its_part_and_the_other_township_nothing(client_for, personas, world):
    client = client_for(personas["other_clerk"])
    assert client.get(url(world["few"])).status_code == 404  # served in t1 only
    response, html = page(client, world["many"])  # adjusted into t2: t2 sees its part
    e = response.context["e"]
    assert [a.pk for a in e.assignments] == [world["second"].pk] and e.hidden == 1
    assert "乙村" not in html and "丙村" in html
    assert e.facts.months_served == 12 and e.facts.unexcused == 2  # the person's figures, whole
    assert {lv.assignment_id for lv in e.leaves} == {world["second"].pk}


def test_the_unit_liaison_sees_its_own_cadres_and_another_units_liaison_nothing(
    client_for, personas, tree, make_user, world
):
    assert client_for(personas["liaison"]).get(url(world["few"])).status_code == 200
    other = make_user("liaison2", Role.UNIT_LIAISON, unit=tree["other_unit"])
    assert client_for(other).get(url(world["few"])).status_code == 404
    assert client_for(personas["other_admin"]).get(url(world["few"])).status_code == 404


def test_an_appraisal_under_another_rounds_id_is_not_found(client_for, personas, tree, world):
    other = AppraisalRound.start(tree["county"], YEAR, "term_end", personas["county_admin"])
    bad = reverse("appraisal:evidence", args=[other.pk, world["few"].pk])
    assert client_for(personas["county_admin"]).get(bad).status_code == 404


def test_the_round_page_links_each_row_to_its_evidence(client_for, personas, world):
    html = client_for(personas["county_admin"]).get(world["round"].get_absolute_url()).content.decode()
    assert url(world["few"]) in html and url(world["many"]) in html


def test_the_page_runs_the_same_queries_for_one_assignment_and_few_records_as_for_two_and_many(
    client_for, personas, world
):
    client = client_for(personas["county_admin"])
    counts = {}
    for key in ("few", "many"):
        client.get(url(world[key]))  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world[key])).status_code == 200
        counts[key] = len(ctx)
    assert counts["few"] == counts["many"], counts
