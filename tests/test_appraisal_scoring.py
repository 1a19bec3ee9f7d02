"""Scoring by weights on the round page (issue 18, item 3): the parts, the total, its band, a reason
for a grade that departs from it, and the weights' settings."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import rules, scoring
from appraisal.models import AppraisalRound, DemocraticAssessment, Grade, Inspection, Opinion
from assignments.models import Policy, SpotCheck

YEAR = 2025


def weigh(tree, inspections=30, annual=50, assessment=20):
    return Policy.objects.create(
        region=tree["county"],
        score_weight_inspections=inspections,
        score_weight_annual=annual,
        score_weight_assessment=assessment,
    )


def serve(n, make_cadre, make_village, dispatch):
    return [
        dispatch(
            make_cadre(name=f"书记{i}", birth=datetime.date(1975, 1, 1) + datetime.timedelta(days=41 * i)),
            make_village(),
            start=datetime.date(2025, 1, 1),
        )
        for i in range(n)
    ]


def inspect(assignment, user, ratings=("good", "good", "fair", "poor"), half=1):
    return Inspection.objects.create(
        assignment=assignment,
        year=YEAR,
        half=half,
        **dict(zip(["work_style", "people_first", "discipline", "results"], ratings, strict=True)),
        inspected_by=user,
    )


def vote(appraisal, user, participants=40, good=20, fairly_good=10):
    return DemocraticAssessment.objects.create(
        appraisal=appraisal,
        held_on=datetime.date(2025, 12, 10),
        participants=participants,
        good=good,
        fairly_good=fairly_good,
        entered_by=user,
    )


@pytest.fixture
def one(tree, personas, make_cadre, make_village, dispatch):
    """One first secretary, inspected (好 好 一般 差 = 85), typed 90, 民主测评 75 %; weights 30/50/20."""
    (assignment,) = serve(1, make_cadre, make_village, dispatch)
    inspect(assignment, personas["county_admin"])
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    row = round_.appraisals.select_related("cadre").get()
    row.score = Decimal(90)
    row.save()
    weigh(tree)
    return round_, row, assignment


def page_row(client, round_):
    response = client.get(round_.get_absolute_url())
    assert response.status_code == 200
    return response.context["appraisals"][0]


def test_weights_30_50_20_give_the_expected_total_on_the_round_page(client_for, personas, one):
    round_, row, _ = one
    vote(row, personas["clerk"])
    shown = page_row(client_for(personas["county_admin"]), round_)
    # 0.3 × 85 + 0.5 × 90 + 0.2 × 75 = 25.5 + 45 + 15
    assert shown.scored.parts == {
        "inspections": Decimal("85.00"),
        "annual": Decimal(90),
        "assessment": Decimal("75.0"),
    }
    assert shown.scored.total == Decimal("85.50") and shown.scored.band == Grade.EXCELLENT
    assert shown.vote.satisfaction_percent == Decimal("75.0")


def test_a_missing_assessment_with_a_weight_leaves_no_total_and_names_it(client_for, personas, one):
    round_, _row, _ = one
    shown = page_row(client_for(personas["county_admin"]), round_)
    assert shown.scored.total is None and shown.scored.band is None
    assert [str(m) for m in shown.scored.missing] == [str(scoring.PARTS[2][2])]


def test_without_weights_the_typed_score_is_the_total(client_for, personas, one, tree):
    round_, _row, _ = one
    Policy.objects.filter(region=tree["county"]).update(
        score_weight_inspections=0, score_weight_annual=0, score_weight_assessment=0
    )
    shown = page_row(client_for(personas["county_admin"]), round_)
    assert not shown.scored.weighted and shown.scored.total == Decimal(90)


def test_a_grade_departing_from_the_band_needs_a_reason(personas, one):
    round_, row, _ = one
    vote(row, personas["clerk"])  # total 85.50: excellent
    problems = rules.save_grades(round_, {row.pk: ("90", Grade.COMPETENT, "", "", "")})
    assert len(problems) == 1 and row.cadre.name in problems[0] and "85.50" in problems[0]
    row.refresh_from_db()
    assert row.grade == ""
    assert rules.save_grades(round_, {row.pk: ("90", Grade.COMPETENT, "", "", "驻村时间不足")}) == []
    row.refresh_from_db()
    assert (row.grade, row.grade_reason) == (Grade.COMPETENT, "驻村时间不足")
    # The grade of the band needs none, and a reason left over is cleared.
    assert rules.save_grades(round_, {row.pk: ("90", Grade.EXCELLENT, "", "", None)}) == []
    row.refresh_from_db()
    assert (row.grade, row.grade_reason) == (Grade.EXCELLENT, "")


def test_the_round_page_refuses_a_departing_grade_without_reason_naming_the_person(client_for, personas, one):
    round_, row, _ = one
    vote(row, personas["clerk"])
    client = client_for(personas["county_admin"])
    save = reverse("appraisal:round_action", args=[round_.pk, "save"])
    response = client.post(
        save, {f"score-{row.pk}": "90", f"grade-{row.pk}": "basic", f"grade_reason-{row.pk}": ""}
    )
    assert response.status_code == 200
    shown = response.context["appraisals"][0]
    assert shown.problems and row.cadre.name in shown.problems[0]
    response = client.post(
        save, {f"score-{row.pk}": "90", f"grade-{row.pk}": "basic", f"grade_reason-{row.pk}": "群众反映较多"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.grade, row.grade_reason) == (Grade.BASIC, "群众反映较多")


def test_a_grade_lowered_only_by_a_cap_needs_no_reason(personas, one):
    round_, row, assignment = one
    vote(row, personas["clerk"])  # band: excellent
    SpotCheck.objects.create(
        assignment=assignment,
        date=datetime.date(2025, 5, 6),
        method="phone",
        found_present=False,
        checked_by=personas["clerk"],
    )  # found away once: at most competent
    assert rules.save_grades(round_, {row.pk: ("90", Grade.COMPETENT, "", "", "")}) == []
    row.refresh_from_db()
    assert (row.grade, row.grade_reason) == (Grade.COMPETENT, "")
    # Below the cap is a departure again.
    assert rules.save_grades(round_, {row.pk: ("90", Grade.BASIC, "", "", "")})


def test_suggest_uses_the_weighted_total(tree, personas, make_cadre, make_village, dispatch):
    first, second = serve(2, make_cadre, make_village, dispatch)
    inspect(first, personas["county_admin"], ("poor",) * 4)  # 60
    inspect(second, personas["county_admin"], ("good",) * 4)  # 100
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    a = round_.appraisals.get(cadre=first.cadre)
    b = round_.appraisals.get(cadre=second.cadre)
    a.score, b.score = Decimal(95), Decimal(80)
    a.save()
    b.save()
    vote(a, personas["clerk"], participants=10, good=1, fairly_good=1)  # 20 %
    vote(b, personas["clerk"], participants=10, good=10, fairly_good=0)  # 100 %
    # Typed scores alone: a (95) excellent, b (80) competent.
    rules.suggest(round_)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.grade, b.grade) == (Grade.EXCELLENT, Grade.COMPETENT)
    weigh(tree)
    # a: 18 + 47.5 + 4 = 69.5 → basic; b: 30 + 40 + 20 = 90 → excellent.
    rules.suggest(round_)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.grade, b.grade) == (Grade.BASIC, Grade.EXCELLENT)
    assert a.grade_reason == "" and b.grade_reason == ""


def test_suggest_gives_the_quota_as_the_reason_when_it_departs(
    tree, personas, make_cadre, make_village, dispatch
):
    first, second = serve(2, make_cadre, make_village, dispatch)
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    weigh(tree, inspections=0, annual=80, assessment=20)
    for assignment, score in ((first, 80), (second, 75)):
        row = round_.appraisals.get(cadre=assignment.cadre)
        row.score = Decimal(score)
        row.save()
        vote(row, personas["clerk"], participants=10, good=5, fairly_good=0)
    rules.suggest(round_)  # totals 74 and 70: competent both; the 30 % minimum raises the first
    top = round_.appraisals.get(cadre=first.cadre)
    assert top.grade == Grade.EXCELLENT and top.grade_reason
    assert rules.save_grades(round_, {top.pk: ("80", Grade.EXCELLENT, "", "", None)}) == []


def test_weights_not_summing_to_100_are_refused_by_the_form_check_and_the_database(tree):
    with pytest.raises(ValidationError):
        Policy(
            region=tree["county"],
            score_weight_inspections=30,
            score_weight_annual=50,
            score_weight_assessment=10,
        ).full_clean()
    with pytest.raises(ValidationError):
        Policy(region=tree["county"], score_weight_inspections=30, score_weight_annual=70).full_clean()
    Policy(
        region=tree["county"], score_weight_inspections=30, score_weight_annual=50, score_weight_assessment=20
    ).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        weigh(tree, 30, 50, 10)
    assert not Policy.objects.exists()


@pytest.mark.parametrize("n", [30])
def test_the_round_page_runs_constant_queries_with_opinions_and_assessments(
    n, client_for, personas, tree, make_cadre, make_village, dispatch
):
    weigh(tree)
    counts = {}
    made = []
    for size in (3, n):
        made += serve(size - len(made), make_cadre, make_village, dispatch)[: size - len(made)]
        AppraisalRound.objects.all().delete()
        Inspection.objects.all().delete()
        round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
        for i, row in enumerate(round_.appraisals.select_related("cadre")):
            assignment = row.cadre.assignments.get()
            inspect(assignment, personas["county_admin"])
            row.score = Decimal(70 + i % 30)
            row.save()
            vote(row, personas["clerk"])
            for source, user in (("township", personas["clerk"]), ("unit", personas["liaison"])):
                Opinion.objects.create(
                    appraisal=row, source=source, suggested_grade="competent", text="好", given_by=user
                )
        client = client_for(personas["county_admin"])
        client.get(round_.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(round_.get_absolute_url())
        assert response.status_code == 200
        assert all(a.scored.total is not None for a in response.context["appraisals"])
        counts[size] = len(ctx)
    assert counts[3] == counts[n]


def test_a_work_team_member_is_scored_without_inspections_by_the_other_weights_scaled_to_100(
    tree, personas, make_cadre, make_village, dispatch
):
    """The half-year inspections are of first secretaries: for a team member they do not apply, and
    50 % year end + 20 % 民主测评 count as 5/7 and 2/7 — not as missing, not as 0."""
    village = make_village()
    dispatch(make_cadre(name="书记"), village, start=datetime.date(2025, 1, 1))
    member = dispatch(
        make_cadre(name="队员", birth=datetime.date(1988, 2, 2)),
        village,
        start=datetime.date(2025, 1, 1),
        role="team_member",
    )
    weigh(tree)
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    row = round_.appraisals.get(cadre=member.cadre)
    row.score = Decimal(90)
    row.save()
    vote(row, personas["clerk"], participants=40, good=20, fairly_good=10)  # 75 %
    facts, policy = rules.facts_for(round_, [row])
    f = facts[row.pk]
    assert not f.inspected
    score = scoring.score_for(row, f.inspections, row.assessment, policy, f.inspected)
    # (90 × 50 + 75 × 20) ÷ 70 = 85.714…
    assert score.total == Decimal("85.71") and score.band == Grade.EXCELLENT
    assert not score.missing and score.not_applicable
    # A first secretary without an inspection is missing it: no total.
    secretary = round_.appraisals.exclude(pk=row.pk).get()
    sf = rules.facts_for(round_, [secretary])[0][secretary.pk]
    assert sf.inspected
    assert scoring.score_for(secretary, [], None, policy, sf.inspected).total is None


def test_a_finalized_round_keeps_the_weights_it_was_finalized_with(client_for, personas, one):
    round_, row, _assignment = one
    vote(row, personas["clerk"])
    row.grade = Grade.EXCELLENT  # 85 × 0.3 + 90 × 0.5 + 75 × 0.2 = 85.5: excellent
    row.save()
    round_.finalize(personas["county_admin"])
    round_.refresh_from_db()
    assert round_.score_settings["score_weight_annual"] == 50
    Policy.objects.filter(region=round_.county).update(
        score_weight_inspections=0, score_weight_annual=100, score_weight_assessment=0
    )
    facts, policy = rules.facts_for(round_, [row])
    assert scoring.score_for(row, facts[row.pk].inspections, row.assessment, policy).total == Decimal("85.50")
    round_.reopen(personas["county_admin"], "复核")
    round_.refresh_from_db()
    facts, policy = rules.facts_for(round_, [row])
    assert scoring.score_for(row, facts[row.pk].inspections, row.assessment, policy).total == Decimal("90.00")


def test_a_grade_saved_before_weights_that_departs_from_the_band_stops_finalizing_until_it_says_why(
    personas, one
):
    round_, row, _assignment = one
    vote(row, personas["clerk"])  # total 85.50: excellent
    type(row).objects.filter(pk=row.pk).update(grade=Grade.COMPETENT)  # set before the weights
    problems = [str(p) for p in rules.finalize_problems(round_)]
    assert any(row.cadre.name in p and "85.50" in p for p in problems)
    type(row).objects.filter(pk=row.pk).update(grade_reason="驻村期间群众反映较多，酌情定为称职")
    assert not any("85.50" in str(p) for p in rules.finalize_problems(round_))
