import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import rules
from appraisal.models import Appraisal, AppraisalRound, Grade, Inspection
from assignments import leave as leave_rules
from assignments.models import AttendanceRecord, AttendanceSheet, Policy, SpotCheck
from assignments.policy import EffectivePolicy, resolve

YEAR = 2025


def policy(**changes):
    values = dict(resolve([]).values)
    values.update(changes)
    return EffectivePolicy(values)


def fake_round(grades, caps=None):
    appraisals = [Appraisal(pk=i, grade=g) for i, g in enumerate(grades)]
    facts = {i: rules.Facts(cap=(caps or {}).get(i, Grade.EXCELLENT)) for i in range(len(grades))}
    return appraisals, facts


# --- quota arithmetic --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "needed"),
    [(1, 1), (3, 1), (10, 3), (23, 7)],  # ceil(0.3 n): 0.3 → 1, 0.9 → 1, 3.0 → 3, 6.9 → 7
)
def test_minimum_quota_rounds_up(n, needed):
    appraisals, facts = fake_round([Grade.COMPETENT] * n)
    q = rules.quota(appraisals, facts, policy())
    assert q.min_needed == needed and not q.ok
    for a in appraisals[:needed]:
        a.grade = Grade.EXCELLENT
    q = rules.quota(appraisals, facts, policy())
    assert q.ok and q.excellent == needed
    appraisals[needed - 1].grade = Grade.COMPETENT
    assert not rules.quota(appraisals, facts, policy()).ok


def test_ungraded_people_do_not_count_toward_the_quota():
    appraisals, facts = fake_round([Grade.UNGRADED] * 5 + [Grade.COMPETENT] * 10)
    q = rules.quota(appraisals, facts, policy())
    assert q.graded == 10 and q.min_needed == 3


def test_minimum_and_maximum_together():
    appraisals, facts = fake_round([Grade.EXCELLENT] * 5 + [Grade.COMPETENT] * 5)
    p = policy(excellent_min_ratio=Decimal("0.3"), excellent_max_ratio=Decimal("0.4"))
    q = rules.quota(appraisals, facts, p)
    assert (q.min_needed, q.max_allowed) == (3, 4)
    assert not q.ok and any("4" in m for m in q.problems())
    appraisals[0].grade = Grade.COMPETENT
    assert rules.quota(appraisals, facts, p).ok


def test_a_cap_that_makes_the_minimum_impossible_is_reported_as_such():
    appraisals, facts = fake_round([Grade.COMPETENT] * 10, caps=dict.fromkeys(range(8), Grade.COMPETENT))
    q = rules.quota(appraisals, facts, policy())
    assert q.impossible
    assert "2" in q.problems()[0] and "3" in q.problems()[0]


def test_contradictory_ratios_are_reported():
    appraisals, facts = fake_round([Grade.COMPETENT] * 10)
    q = rules.quota(
        appraisals, facts, policy(excellent_min_ratio=Decimal("0.3"), excellent_max_ratio=Decimal("0.1"))
    )
    assert q.impossible


# --- caps --------------------------------------------------------------------------------------
def test_recall_rules_out_excellent():
    cap, reasons = rules.cap_for(rules.Facts(recalled=True), policy())
    assert cap == Grade.COMPETENT and reasons


def test_missing_the_attendance_minimum_rules_out_excellent_when_the_policy_says_so():
    assert rules.cap_for(rules.Facts(months_below=1), policy())[0] == Grade.COMPETENT
    assert (
        rules.cap_for(rules.Facts(months_below=1), policy(attendance_blocks_excellent=False))[0]
        == Grade.EXCELLENT
    )


@pytest.mark.parametrize(
    ("times", "cap"),
    [
        (0, Grade.EXCELLENT),
        (1, Grade.COMPETENT),
        (2, Grade.BASIC),
        (3, Grade.INCOMPETENT),
        (5, Grade.INCOMPETENT),
    ],
)
def test_spot_check_absences_cap_the_grade(times, cap):
    assert rules.cap_for(rules.Facts(unexcused=times), policy())[0] == cap


def test_the_strictest_cap_wins_and_every_reason_is_given():
    cap, reasons = rules.cap_for(rules.Facts(recalled=True, unexcused=2), policy())
    assert cap == Grade.BASIC and len(reasons) == 2


def test_score_bands():
    assert [rules.band(Decimal(s)) for s in (85, 84.99, 70, 69.5, 60, 59)] == [
        Grade.EXCELLENT,
        Grade.COMPETENT,
        Grade.COMPETENT,
        Grade.BASIC,
        Grade.BASIC,
        Grade.INCOMPETENT,
    ]


# --- rounds on real data -----------------------------------------------------------------------
@pytest.fixture
def year_of_service(tree, make_village, make_cadre, dispatch):
    """Ten first secretaries in 沐浴店镇 serving all of 2025."""
    return [
        dispatch(
            make_cadre(name=f"书记{i}", birth=datetime.date(1975, 1, 1) + datetime.timedelta(days=40 * i)),
            make_village(),
            start=datetime.date(2024, 6, 1),
        )
        for i in range(10)
    ]


def start(personas, tree, kind="annual"):
    return AppraisalRound.start(tree["county"], YEAR, kind, personas["county_admin"])


def test_a_round_covers_everyone_who_served_and_leaves_short_service_ungraded(
    personas, tree, year_of_service, make_cadre, make_village, dispatch
):
    late = dispatch(make_cadre(name="晚到者"), make_village(), start=datetime.date(2025, 10, 1))
    round_ = start(personas, tree)
    assert round_.appraisals.count() == 11
    ungraded = round_.appraisals.get(cadre=late.cadre)
    assert ungraded.grade == Grade.UNGRADED and "2" in ungraded.ungraded_reason


def test_a_second_round_of_the_same_kind_is_refused(personas, tree, year_of_service):
    start(personas, tree)
    with pytest.raises(ValidationError):
        start(personas, tree)


def test_a_grade_above_the_cap_is_refused_with_the_reason(personas, tree, year_of_service):
    a = year_of_service[0]
    SpotCheck.objects.create(
        assignment=a,
        date=datetime.date(2025, 5, 6),
        method="unannounced",
        found_present=False,
        checked_by=personas["clerk"],
    )
    round_ = start(personas, tree)
    row = round_.appraisals.get(cadre=a.cadre)
    problems = rules.save_grades(round_, {row.pk: ("90", Grade.EXCELLENT, "")})
    assert problems and "1" in problems[0]
    assert rules.save_grades(round_, {row.pk: ("90", Grade.COMPETENT, "")}) == []


def test_bad_scores_and_grades_are_refused_and_nothing_saved(personas, tree, year_of_service):
    round_ = start(personas, tree)
    rows = list(round_.appraisals.all())
    problems = rules.save_grades(
        round_,
        {
            rows[0].pk: ("101", Grade.COMPETENT, ""),
            rows[1].pk: ("80", "great", ""),
            rows[2].pk: ("8o", "", ""),
        },
    )
    assert len(problems) == 3
    assert not Appraisal.objects.exclude(score=None).exists()


def test_suggest_then_finalize_and_finalized_rounds_reject_edits(personas, tree, year_of_service, client_for):
    round_ = start(personas, tree)
    for i, row in enumerate(round_.appraisals.order_by("pk")):
        row.score = Decimal(95 - i * 3)
        row.save(update_fields=["score"])
    rules.suggest(round_)
    grades = list(round_.appraisals.order_by("-score").values_list("grade", flat=True))
    assert grades.count(Grade.EXCELLENT) == 4  # 95, 92, 89, 86 reach the band; the quota needs 3
    client = client_for(personas["county_admin"])
    client.post(reverse("appraisal:round_action", args=[round_.pk, "finalize"]))
    round_.refresh_from_db()
    assert round_.state == "finalized" and round_.finalized_by == personas["county_admin"]
    row = round_.appraisals.first()
    assert rules.save_grades(round_, {row.pk: ("10", Grade.INCOMPETENT, "")})
    response = client.post(
        reverse("appraisal:round_action", args=[round_.pk, "save"]), {f"grade-{row.pk}": "basic"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.grade != Grade.BASIC
    with pytest.raises(ValidationError):
        round_.reopen(personas["county_admin"], " ")
    round_.reopen(personas["county_admin"], "复核分数")
    assert AppraisalRound.objects.get().state == "draft"


def test_finalize_lists_every_problem(personas, tree, year_of_service):
    round_ = start(personas, tree)
    round_.appraisals.update(grade=Grade.COMPETENT)
    round_.appraisals.filter(pk=round_.appraisals.first().pk).update(grade="")
    with pytest.raises(ValidationError) as exc:
        round_.finalize(personas["county_admin"])
    assert len(exc.value.messages) == 2  # one without a grade, and the quota
    assert AppraisalRound.objects.get().state == "draft"


def test_suggest_fills_the_quota_from_the_top_eligible_scores(personas, tree, year_of_service):
    round_ = start(personas, tree)
    rows = list(round_.appraisals.order_by("pk"))
    for i, row in enumerate(rows):
        row.score = Decimal(80 - i)  # nobody reaches the band for excellent
    Appraisal.objects.bulk_update(rows, ["score"])
    Policy.objects.create(region=tree["county"], attendance_blocks_excellent=True)
    SpotCheck.objects.create(
        assignment=rows[0].cadre.assignments.get(),
        date=datetime.date(2025, 5, 6),
        method="phone",
        found_present=False,
        checked_by=personas["clerk"],
    )
    rules.suggest(round_)
    excellent = set(round_.appraisals.filter(grade=Grade.EXCELLENT).values_list("pk", flat=True))
    assert excellent == {rows[1].pk, rows[2].pk, rows[3].pk}  # rows[0] is capped by the spot check
    round_.finalize(personas["county_admin"])


def test_attendance_facts_feed_the_cap(personas, tree, year_of_service):
    a = year_of_service[0]
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=datetime.date(2025, 3, 1))
    AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="A" * 31, required_days=20)
    round_ = start(personas, tree)
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, _ = rules.facts_for(round_, appraisals)
    row = next(x for x in appraisals if x.cadre_id == a.cadre_id)
    assert facts[row.pk].months_below == 1 and facts[row.pk].cap == Grade.COMPETENT


# --- pages and scoping -------------------------------------------------------------------------
def test_clerk_cannot_start_a_round_or_see_another_countys(client_for, personas, tree, year_of_service):
    clerk = client_for(personas["clerk"])
    response = clerk.post(
        reverse("appraisal:rounds"), {"county": tree["county"].pk, "year": 2025, "kind": "annual"}
    )
    assert response.status_code == 403
    other = AppraisalRound.objects.create(
        county=tree["other_county"], year=2025, kind="annual", created_by=personas["other_admin"]
    )
    assert client_for(personas["county_admin"]).get(other.get_absolute_url()).status_code == 404


def test_county_admin_cannot_start_a_round_for_another_county(client_for, personas, tree, year_of_service):
    response = client_for(personas["county_admin"]).post(
        reverse("appraisal:rounds"), {"county": tree["other_county"].pk, "year": 2025, "kind": "annual"}
    )
    assert response.status_code == 200 and response.context["form"].errors["county"]
    assert not AppraisalRound.objects.exists()


def test_county_admin_records_a_half_year_inspection(client_for, personas, year_of_service):
    a = year_of_service[0]
    client = client_for(personas["county_admin"])
    data = {
        "year": 2025,
        "half": 1,
        "work_style": "good",
        "people_first": "good",
        "discipline": "fair",
        "results": "poor",
    }
    assert client.post(reverse("appraisal:inspection_new", args=[a.pk]), data).status_code == 302
    assert Inspection.objects.get().poor_points == 1
    assert "纪律观念" in client.get(a.cadre.get_absolute_url()).content.decode()
    assert (
        client.post(reverse("appraisal:inspection_new", args=[a.pk]), data).status_code == 200
    )  # one per half year


@pytest.mark.parametrize("n", [10, 200])
def test_round_page_runs_constant_queries(n, client_for, personas, tree, make_village, make_cadre, dispatch):
    counts = {}
    for size in (10, n):
        existing = len(
            rules.covered_assignments(AppraisalRound(county=tree["county"], year=YEAR, kind="annual"))
        )
        for i in range(existing, size):
            dispatch(
                make_cadre(
                    name=f"干部{i}", birth=datetime.date(1970, 1, 1) + datetime.timedelta(days=23 * i)
                ),
                make_village(),
                start=datetime.date(2024, 6, 1),
            )
        AppraisalRound.objects.all().delete()
        round_ = start(personas, tree)
        client = client_for(personas["county_admin"])
        client.get(round_.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(round_.get_absolute_url()).status_code == 200
        counts[size] = len(ctx)
    assert counts[10] == counts[n]


def test_promotion_list_holds_two_years_excellent_with_the_term_completed_never_the_recalled(
    personas, tree, year_of_service, client_for
):
    done, recalled, serving = year_of_service[:3]
    for year in (2024, 2025):
        r = AppraisalRound.objects.create(
            county=tree["county"],
            year=year,
            kind="annual",
            state="finalized",
            created_by=personas["county_admin"],
        )
        for a in (done, recalled, serving):
            Appraisal.objects.create(round=r, cadre=a.cadre, score=90, grade=Grade.EXCELLENT)
    done.end(done.planned_end_date, "term_completed", user=personas["county_admin"])
    recalled.recall(datetime.date(2026, 3, 1), "群众不满意", personas["county_admin"])
    response = client_for(personas["county_admin"]).get(reverse("appraisal:excellent_twice"))
    assert [row["cadre"] for row in response.context["rows"]] == [done.cadre]
    assert client_for(personas["county_admin"]).get(reverse("appraisal:by_unit")).status_code == 200


def test_promotion_list_needs_the_two_years_to_be_consecutive(personas, tree, year_of_service):
    a = year_of_service[0]
    for year in (2023, 2025):
        r = AppraisalRound.objects.create(
            county=tree["county"],
            year=year,
            kind="annual",
            state="finalized",
            created_by=personas["county_admin"],
        )
        Appraisal.objects.create(round=r, cadre=a.cadre, grade=Grade.EXCELLENT)
    a.end(a.planned_end_date, "term_completed", user=personas["county_admin"])
    assert rules.promotion_list(Appraisal.objects.all()) == []


def test_village_results_show_targets_met_and_missed(client_for, personas, year_of_service):
    village = year_of_service[0].village
    client = client_for(personas["clerk"])
    url = reverse("appraisal:village_results", args=[village.code])
    base = {
        "party_members_developed": 1,
        "reserve_cadres": 2,
        "livelihood_projects": 4,
        "households_visited_pct": 100,
    }
    assert client.post(url, {"year": 2024, "collective_income": "90000", **base}).status_code == 302
    assert client.post(url, {"year": 2025, "collective_income": "125000", **base}).status_code == 302
    response = client.get(url)
    checks = {r.year: [met for _t, met, _d in r.checks] for r in response.context["results"]}
    # income (both parts), projects, households, party members and reserve cadres over the term
    assert checks[2025] == [True, True, True, True] and checks[2024] == [False, True, True, False]
    assert client.post(url, {"year": 2025, "collective_income": "-5", **base}).status_code == 200


def test_appraisal_uses_unexcused_absences_only(personas, year_of_service):
    a = year_of_service[0]
    leave = leave_rules.request_leave(
        a, datetime.date(2025, 5, 6), datetime.date(2025, 5, 6), "事", personas["clerk"]
    )
    leave.approve(personas["clerk"])
    SpotCheck.objects.create(
        assignment=a,
        date=datetime.date(2025, 5, 6),
        method="phone",
        found_present=False,
        checked_by=personas["clerk"],
    )
    assert leave_rules.unexcused_absences_by_assignment([a.pk], 2025) == {}


def test_demo_county_round_can_be_suggested_and_finalized(db):
    call_command("seed_demo", stdout=io.StringIO())
    from villages.models import Region

    county = Region.objects.get(code="370682000000")
    admin = county.users.get(username="county")
    round_ = AppraisalRound.objects.filter(
        county=county, year=2025, kind="annual"
    ).first() or AppraisalRound.start(county, 2025, "annual", admin)
    rows = list(round_.appraisals.exclude(grade=Grade.UNGRADED).order_by("cadre__id_number"))
    for i, row in enumerate(rows):
        row.score = Decimal(60 + (i * 37) % 40)
    Appraisal.objects.bulk_update(rows, ["score"])
    rules.suggest(round_)
    round_.finalize(admin)
    assert AppraisalRound.objects.get(pk=round_.pk).state == "finalized"


def test_suggest_without_scores_proposes_the_quota_from_the_evidence_and_the_staff_may_change_it(
    personas, tree, year_of_service
):
    round_ = start(personas, tree)
    scored, from_evidence = rules.suggest(round_)
    assert (scored, from_evidence) == (0, 10)
    grades = list(round_.appraisals.values_list("grade", flat=True))
    assert grades.count(Grade.EXCELLENT) == 3 and grades.count(Grade.COMPETENT) == 7
    round_.appraisals.update(grade=Grade.COMPETENT)
    with pytest.raises(ValidationError):
        round_.finalize(personas["county_admin"])
    rows = list(round_.appraisals.order_by("pk")[:3])
    assert rules.save_grades(round_, {r.pk: ("", Grade.EXCELLENT, "") for r in rows}) == []
    round_.finalize(personas["county_admin"])


def test_someone_who_served_too_short_cannot_be_graded(
    personas, tree, year_of_service, make_cadre, make_village, dispatch
):
    late = dispatch(make_cadre(name="晚到者"), make_village(), start=datetime.date(2025, 10, 1))
    round_ = start(personas, tree)
    row = round_.appraisals.get(cadre=late.cadre)
    problems = rules.save_grades(round_, {row.pk: ("95", Grade.EXCELLENT, "")})
    assert problems and "晚到者" in problems[0]
    assert Appraisal.objects.get(pk=row.pk).grade == Grade.UNGRADED
