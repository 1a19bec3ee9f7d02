import io

from django.core.management import call_command

from accounts.models import User
from assignments import coverage
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, LeaveRequest, SpotCheck
from cadres.models import Cadre
from villages.models import Region, Village


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_runs_twice_without_error_or_duplicates(db):
    first = seed()
    counts = (
        Region.objects.count(),
        Village.objects.count(),
        Cadre.objects.count(),
        Assignment.objects.count(),
    )
    second = seed()
    assert counts == (
        Region.objects.count(),
        Village.objects.count(),
        Cadre.objects.count(),
        Assignment.objects.count(),
    )
    assert "zhucun2024" in first and "zhucun2024" in second


def test_demo_county_is_plausible_and_obeys_every_rule(db):
    seed()
    county = Region.objects.get(code="370682000000")
    assert 8 <= Region.objects.townships().in_region(county).count() <= 12
    assert 120 <= Village.objects.in_region(county).count() <= 180
    assert 200 <= Cadre.objects.in_region(county).count() <= 350
    assert 150 <= Assignment.objects.in_region(county).count() <= 320
    assert Assignment.objects.filter(end_reason="recalled").exists()
    assert Assignment.objects.filter(end_reason="term_completed").exists()
    from django.utils import timezone

    summary = coverage.summary(Village.objects.in_region(county), timezone.localdate())
    assert summary["no_secretary"] >= 1 and summary["recall_gap"] >= 1
    for assignment in Assignment.objects.select_related("cadre", "village__township")[:80]:
        assignment.full_clean()
    from appraisal.models import AppraisalRound, Inspection

    year = timezone.localdate().year
    assert set(AppraisalRound.objects.values_list("year", "kind", "state")) == {
        (year - 3, "annual", "finalized"),
        (year - 2, "annual", "finalized"),
        (year - 1, "term_end", "finalized"),
        (year - 1, "annual", "draft"),  # started: opinions and 民主测评 coming in (issue 18)
    }
    assert Inspection.objects.exists()
    assert {u.role for u in User.objects.all()} >= {
        "province",
        "city",
        "county_admin",
        "township_clerk",
        "unit_liaison",
    }


def test_seed_is_deterministic(db):
    seed()
    names = list(Village.objects.order_by("code").values_list("code", "name", "categories"))
    ids = sorted(Cadre.objects.values_list("id_number", flat=True))
    assert names and ids
    from appraisal.models import AppraisalRound, Inspection, VillageResult
    from supervision.models import SpotCheckPlan

    for model in (AppraisalRound, Inspection, VillageResult, SpotCheckPlan):
        model.objects.all().delete()
    AttendanceSheet.objects.update(state="open")  # rows of a closed sheet cannot be deleted
    from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip

    for model in (CheckIn, Trip, DiaryEntry, MonthlyReport):
        model.objects.all().delete()
    for model in (SpotCheck, LeaveRequest, AttendanceRecord, AttendanceSheet):
        model.objects.all().delete()
    Assignment.objects.all().delete()  # events cascade
    from assignments.models import Policy

    Policy.objects.update(updated_by=None)  # the demo's township settings name who set them
    User.objects.all().delete()
    Cadre.objects.all().delete()
    Village.objects.all().delete()
    seed()
    assert list(Village.objects.order_by("code").values_list("code", "name", "categories")) == names
    assert sorted(Cadre.objects.values_list("id_number", flat=True)) == ids


def test_demo_has_a_cadre_adjusted_mid_year_appraised_once_and_a_term_end_round_closed_with_a_shortfall(db):
    from django.utils import timezone

    from appraisal import rules
    from appraisal.models import AppraisalRound
    from assignments.models import Policy

    seed()
    year = timezone.localdate().year - 1
    county = Region.objects.get(code="370682000000")
    adjusted = Assignment.objects.filter(end_reason="adjusted", end_date__year=year)
    person = next(
        a.cadre
        for a in adjusted
        if Assignment.objects.filter(cadre=a.cadre, start_date__gt=a.end_date).exists()
    )
    assert Assignment.objects.in_region(county).filter(cadre=person, start_date__year__lte=year).count() == 2
    annual = AppraisalRound.objects.get(county=county, year=year, kind="annual")
    assert annual.appraisals.filter(cadre=person).count() == 1
    appraisals = list(annual.appraisals.filter(cadre=person))
    assert len(rules.facts_for(annual, appraisals)[0][appraisals[0].pk].assignments) == 2

    term_end = AppraisalRound.objects.get(county=county, year=year, kind="term_end")
    assert term_end.state == "finalized" and term_end.shortfall >= 1 and term_end.shortfall_reasons
    policy = Policy.effective_for(county)
    assert policy.term_end_excellent_min_ratio and policy.term_end_excellent_max_ratio


def test_demo_has_an_open_round_with_opinions_assessments_and_weighted_scores(db):
    from django.utils import timezone

    from accounts.models import User
    from appraisal import rules, scoring
    from appraisal.models import AppraisalRound, DemocraticAssessment, Opinion
    from assignments.models import Policy
    from dashboard import todos

    seed()
    county = Region.objects.get(code="370682000000")
    annual = AppraisalRound.objects.get(county=county, year=timezone.localdate().year - 1, kind="annual")
    assert annual.is_draft and annual.opinions_due > timezone.localdate()
    assert Opinion.objects.filter(appraisal__round=annual, source="township").exists()
    assert Opinion.objects.filter(appraisal__round=annual, source="unit").exists()
    assert DemocraticAssessment.objects.filter(appraisal__round=annual).count() >= 5
    policy = Policy.effective_for(county)
    assert scoring.weights(policy) == {"inspections": 30, "annual": 50, "assessment": 20}
    rows = list(annual.appraisals.select_related("cadre"))
    facts, policy = rules.facts_for(annual, rows)
    assert any(s.total is not None for s in rules.scores_for(rows, facts, policy).values())
    for username in ("clerk", "liaison"):
        assert todos.counts(User.objects.get(username=username))["give_opinion"] >= 1


def test_demo_has_check_in_on_in_one_township_with_flagged_and_purged_check_ins(db):
    from assignments.models import Policy
    from fieldwork.models import CheckIn

    seed()
    on = [p.region.code for p in Policy.objects.filter(checkin_enabled=True).select_related("region")]
    assert on == ["370682100000"]
    assert CheckIn.objects.exclude(flag="").exists() and CheckIn.objects.filter(flag="").exists()
    # Positions older than the 30 days' retention are already deleted; the distance stays.
    assert CheckIn.objects.filter(latitude__isnull=True, purged_at__isnull=False).exists()
    assert not CheckIn.objects.filter(latitude__isnull=True, purged_at__isnull=True).exists()


def test_demo_county_has_a_check_plan_for_each_of_the_last_six_months_with_figures(db):
    import datetime

    from django.utils import timezone

    from supervision import plans
    from supervision.models import SpotCheckPlan

    seed()
    county = Region.objects.get(code="370682000000")
    months = list(
        SpotCheckPlan.objects.filter(region=county).order_by("month").values_list("month", flat=True)
    )
    month = timezone.localdate().replace(day=1)
    expected = []
    for _i in range(6):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        expected.insert(0, month)
    assert months == expected
    for plan in SpotCheckPlan.objects.filter(region=county):
        assert plans.verify(plan)
        assert plans.figures(plan)["total"]["done"] > 0
